"""STAND-IN for the lead's engine module (issue 8/9): an article's requests as data, and their assembly.

This file implements the agreed ``_planning`` API over today's single-request extraction (one request
keyed "main", or "chunk<i>/main" per chunk of a long article) so that the Batch API path never builds a
prompt itself. It is deleted in favour of main's module when main's ``_planning`` lands.

- :func:`plan_article` returns the JSON bodies of ``POST /v1/chat/completions`` exactly as the live call
  sends them (instructor's own request builder turns the schema into ``response_format`` or ``tools``).
- :meth:`ArticlePlan.assemble` takes the answers (chat.completion JSON) and runs them through the same
  validation, grounding and finalize steps as the live path, as a first attempt with no re-ask: an
  answer that a live call would have re-asked raises the library's error instead.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from . import _chunking
from ._backend import Backend
from ._calling import STRATEGIES, Call, _quarantine
from ._exceptions import OutputValidationError, RefusalError, TruncatedOutputError, Usage
from ._extracting import Extraction, _chunk_jobs, _finish, _Job, _prepare
from ._grounding import grounding

__all__ = ["ArticlePlan", "PlannedRequest", "plan_article"]


@dataclass(frozen=True)
class PlannedRequest:
    """One chat request of an article's plan."""

    #: Unique within the article: "main" for a one-request plan, "chunk2/main" for a chunk.
    key: str
    #: The JSON body of POST /v1/chat/completions, exactly as the live call sends it.
    body: dict[str, Any]


@dataclass
class ArticlePlan:
    """The requests one article needs, and how to turn their answers into the extraction."""

    requests: list[PlannedRequest]
    _jobs: list[tuple[str, _Job]] = field(default_factory=list, repr=False)
    _whole: _Job | None = field(default=None, repr=False)

    def assemble(self, answers: Mapping[str, dict[str, Any]]) -> Extraction[Any]:
        """Validate, ground and finalize the answers (key -> chat.completion JSON), as the live path does."""
        parts = []
        for key, job in self._jobs:
            answer = answers.get(key)
            if answer is None:
                raise _fail(job, OutputValidationError, f"no answer for request {key!r}")
            value = _parse(job, answer)
            parts.append(_finish(job, value, whole=self._whole is None))
        if self._whole is None:
            return parts[0]
        merged = _chunking.merge(parts)
        return merged


def plan_article(
    text: str,
    schema: type[BaseModel],
    *,
    backend: Backend,
    published: dt.date | str | None = None,
    ungrounded: Literal["drop", "flag"] = "drop",
    instructions: str | None = None,
) -> ArticlePlan:
    """The requests ``extract_result`` would send first for this article, with the means to assemble them."""
    job = _prepare(
        text,
        schema,
        published=published,
        client=None,
        backend=backend,
        model=None,
        mode=None,
        max_retries=None,
        timeout=None,
        policy=None,
        ungrounded=ungrounded,
        instructions=instructions,
    )
    chunk_jobs = _chunk_jobs(job)
    if chunk_jobs is None:
        jobs = [("main", job)]
    else:
        jobs = [(f"chunk{n}/main", cj) for n, cj in enumerate(chunk_jobs)]
    requests = [PlannedRequest(key, _body(j.call)) for key, j in jobs]
    return ArticlePlan(requests, jobs, job if chunk_jobs is not None else None)


def _body(call: Call) -> dict[str, Any]:
    kwargs = call.kwargs()
    for name in ("max_retries", "context", "strict", "hooks", "timeout"):
        kwargs.pop(name, None)
    response_model = kwargs.pop("response_model")
    messages, max_tokens = kwargs.pop("messages"), kwargs.pop("max_tokens")
    key = (response_model, call.backend.mode, json.dumps(kwargs, sort_keys=True))
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _template(response_model, call.backend.mode, kwargs)
    if template.get("messages") != _MARK or template.get("max_tokens") != _MARK_TOKENS:
        # The mode rewrites the messages (e.g. puts the schema into them): build this body in full.
        return _build_body(
            response_model, call.backend.mode, dict(kwargs, messages=messages, max_tokens=max_tokens)
        )
    # The SDK sends what json.dumps makes of it: the messages are plain JSON already, as on the wire.
    return dict(template, messages=json.loads(json.dumps(messages)), max_tokens=max_tokens)


#: instructor rebuilds the schema part of a request (JSON schema, tools) on every call, which is most of
#: the cost of planning; it depends only on the schema, the mode and the sampling settings.
_TEMPLATES: dict[tuple[Any, ...], dict[str, Any]] = {}
_MARK = [{"role": "user", "content": "\x00summit-extract-template\x00"}]
_MARK_TOKENS = 987_654_321


def _template(response_model: Any, mode: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    return _build_body(response_model, mode, dict(kwargs, messages=_MARK, max_tokens=_MARK_TOKENS))


def _build_body(response_model: Any, mode: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    from instructor.v2.core.response import handle_response_model

    _, body = handle_response_model(response_model, mode=mode, **kwargs)
    result: dict[str, Any] = json.loads(json.dumps(body))
    return result


def _parse(job: _Job, answer: dict[str, Any]) -> BaseModel:
    from instructor.core.exceptions import IncompleteOutputException
    from instructor.v2.core.response import process_response
    from pydantic import ValidationError

    call = job.call
    started = time.monotonic()
    usage = answer.get("usage") or {}
    call.ledger.attempts += 1
    call.ledger.usage += Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
    choices = answer.get("choices") or []
    if not choices:
        raise _fail(job, RefusalError, "the endpoint returned an answer with no choices")
    refusal = (choices[0].get("message") or {}).get("refusal")
    if refusal:
        raise _fail(job, RefusalError, f"the endpoint returned a refusal ({str(refusal)[:200]})")
    try:
        completion = ChatCompletion.model_validate(answer)
        with grounding(call.context):
            value: BaseModel = process_response(
                completion,
                response_model=call.schema,
                stream=False,
                strict=False,
                mode=call.backend.mode,
            )
    except IncompleteOutputException:
        raise _fail(
            job, TruncatedOutputError, f"the answer was cut off at max_tokens ({STRATEGIES[0].name})"
        ) from None
    except (ValidationError, ValueError, TypeError, AttributeError, IndexError) as exc:
        what = " ".join(str(exc).split())[:400]
        raise _fail(
            job, OutputValidationError, f"the answer did not validate against {call.schema.__name__}: {what}"
        ) from None
    job.started = started
    return _quarantine(value, call.context)


def _fail(job: _Job, kind: type[OutputValidationError] | type[RefusalError], what: str) -> Exception:
    return job.call._fail(kind, what)
