"""Extraction over a Ray cluster with Ray Data (``pip install 'summit-extract[ray]'``): the public names.

The runner lives in ``summit_extract._runners.cluster``; see it for how actors, resume and output work.
:func:`read_articles` is the reader of the command line too, and :func:`iter_records` reads back what any
runner wrote (a JSONL file, or a folder of Parquet parts).
"""

from ._runners.cluster import BackendSpec, Endpoint, extract_dataset
from ._runners.consolidating_ray import consolidate_dataset
from ._runners.reading import read_articles
from ._runners.records import iter_records

__all__ = [
    "BackendSpec",
    "Endpoint",
    "consolidate_dataset",
    "extract_dataset",
    "iter_records",
    "read_articles",
]
