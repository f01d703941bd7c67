"""Everything the library borrows from instructor's internals, in one place.

instructor builds a request from a response model (JSON schema or tools, by mode), sends it, validates
the answer and re-asks. The library uses its public client for the live path, and these internals for
the rest: the response model wrapped once per schema, request bodies built without sending them (the
OpenAI Batch API), an answer received elsewhere validated as instructor validates a live one, and the
hooks that let the calling stage's ledger count requests and tokens. An instructor upgrade that moves
one of them is fixed here alone.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import instructor
from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from instructor.core.hooks import Hooks
from instructor.processing import handle_response_model, process_response
from pydantic import BaseModel

__all__ = [
    "IncompleteOutputException",
    "InstructorRetryException",
    "ResponseParsingError",
    "client",
    "hooks",
    "parse",
    "ready",
    "request_body",
]


def client(openai_client: Any, mode: instructor.Mode) -> Any:
    """instructor's client around an openai one, speaking ``mode``."""
    return instructor.from_openai(openai_client, mode=mode)


def hooks(on_request: Callable[..., None], on_response: Callable[[Any], None]) -> Hooks:
    """Hooks that see every request instructor sends and every response it receives, re-asks included."""
    made = Hooks()
    made.on("completion:kwargs", on_request)
    made.on("completion:response", on_response)
    return made


@functools.cache
def ready(schema: type[BaseModel]) -> type[BaseModel]:
    """instructor's own wrapper of ``schema``, made once, its JSON schema generated once.

    On every call instructor wraps the response model in a new class (``response_schema``) and generates
    its JSON schema again: ~3 ms of CPU a request, and a new class each time. A model that is already
    wrapped is used as it is, so the wrapper is made here once per schema and reused; its answers are the
    same class instructor would have made (a subclass of ``schema``), its schema the same dict, copied.
    """
    from instructor.v2.core.function_calls import ResponseSchema, response_schema

    if issubclass(schema, ResponseSchema):
        return schema
    wrapped = response_schema(schema)
    generate = wrapped.model_json_schema
    made: dict[tuple[Any, ...], dict[str, Any]] = {}

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if cls is not wrapped:  # a subclass: pydantic's own, uncached
            parent: Any = super(wrapped, cls)
            return dict(parent.model_json_schema(*args, **kwargs))
        key = (args, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = generate(*args, **kwargs)
        return copy.deepcopy(made[key])

    wrapped.model_json_schema = classmethod(model_json_schema)  # type: ignore[method-assign,assignment]
    return wrapped


def parse(completion: Any, schema: type[BaseModel], mode: instructor.Mode) -> BaseModel:
    """An answer received elsewhere (a Batch API output), parsed and validated as instructor validates a
    live one; raises what instructor raises (``IncompleteOutputException`` when it was cut off)."""
    value: BaseModel = process_response(
        completion, response_model=schema, stream=False, strict=False, mode=mode
    )
    return value


#: instructor rebuilds a request's schema part (JSON schema, tools) on every call, ~3 ms each; it depends
#: only on the response model, the mode and the sampling settings, so a batch builds it once per pass.
_TEMPLATES: dict[tuple[Any, ...], dict[str, Any]] = {}
_MARK_MESSAGES = [{"role": "user", "content": "\x00summit-extract-template\x00"}]
_MARK_TOKENS = 987_654_321


def request_body(response_model: Any, mode: instructor.Mode, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The body instructor would POST for these arguments, its schema part built once and reused."""
    kwargs = dict(kwargs)
    messages, max_tokens = kwargs.pop("messages"), kwargs.pop("max_tokens")
    key = (response_model, mode, json.dumps(kwargs, sort_keys=True, default=str))
    template = _TEMPLATES.get(key)
    if template is None:
        _, template = handle_response_model(
            response_model, mode=mode, messages=_MARK_MESSAGES, max_tokens=_MARK_TOKENS, **kwargs
        )
        _TEMPLATES[key] = template
    if template.get("messages") != _MARK_MESSAGES or template.get("max_tokens") != _MARK_TOKENS:
        # This mode writes into the messages (e.g. the schema into the system prompt): build it in full.
        _, body = handle_response_model(
            response_model, mode=mode, messages=messages, max_tokens=max_tokens, **kwargs
        )
        return dict(body)
    body = copy.deepcopy({k: v for k, v in template.items() if k not in ("messages", "max_tokens")})
    return {**body, "messages": messages, "max_tokens": max_tokens}
