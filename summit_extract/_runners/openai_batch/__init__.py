"""The OpenAI Batch API: half-price extraction of a large corpus, with the same records as ``extract_many``.

Three steps, each safe to interrupt and re-run, each a module:

- :func:`submit_batch` (``submit``) plans every article not yet submitted or done, packs the requests
  into jobs under the provider's per-file limits, and uploads and creates them; the ``manifest`` next to
  OUT (``OUT.batch/manifest.json``) records every job before it is uploaded.
- :func:`batch_status` (``status``) asks the provider how each job is doing.
- :func:`collect_batch` (``collect``) downloads the answers of finished jobs, assembles each article as a
  live call would and appends the records to OUT, re-asking what failed; ``cost`` reports the tokens,
  batch and live apart, with the batch discount applied to the former.

Submit and collect write OUT through the record layer (``records.Sink``), holding its lock.
"""

from .collect import Reask, collect_batch
from .cost import BATCH_DISCOUNT, BatchCollect
from .manifest import manifest_path
from .status import BatchJobStatus, BatchStatus, batch_status
from .submit import DEFAULT_MAX_BYTES, DEFAULT_MAX_REQUESTS, BatchSubmission, submit_batch

__all__ = [
    "BATCH_DISCOUNT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REQUESTS",
    "BatchCollect",
    "BatchJobStatus",
    "BatchStatus",
    "BatchSubmission",
    "Reask",
    "batch_status",
    "collect_batch",
    "manifest_path",
    "submit_batch",
]
