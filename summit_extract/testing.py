"""Testing an article type without a model: a backend that answers each pass from a script.

As pydantic-ai ships ``TestModel`` and ``FunctionModel``, this module ships :func:`scripted_backend`: a
:class:`~summit_extract.Backend` whose OpenAI client is answered in the process (an HTTP transport with no
socket: no network, no model). Each request is answered by the name of the pass it asks, from a dict or
by a function, and the answer is a real chat completion that goes through the real pipeline: instructor
parses it, pydantic validates it, the evidence is grounded in the article (or dropped), the article
type's ``finalize`` runs. A test therefore sees what a model's answer would become::

    from summit_extract import extract_result
    from summit_extract.testing import scripted_backend

    backend = scripted_backend({
        "frame": {"sides": [{"name": "Armenia"}, {"name": "Azerbaijan"}], "is_ceasefire_talks": True},
        "terms": {"terms": []},
        "violations": {"violations": []},
    })
    result = extract_result(ARTICLE, CeasefireTalks, backend=backend)
    assert backend.asked == ["frame", "terms", "violations"]

A pass's answer is a dict (sent as its JSON), a str (sent as it is: malformed output for a test), a list of
those (one per successive request of the pass: its chunks, or a re-ask), or a function of the
:class:`ScriptedRequest`. A whole script may be one function. A request the script has no answer for
fails the extraction at once with a ``ConfigurationError`` naming the pass. A plain pydantic schema (not
a ``Document``) is asked in one pass named ``"main"``, as is any type with ``passes=["main"]``.

Use ``cache=False`` with ``extract_many``: results are otherwise cached by article, as for any backend.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2
import instructor
import openai

from ._backend import Backend
from ._context import context_of
from ._exceptions import ConfigurationError

__all__ = ["Answer", "Script", "ScriptedBackend", "ScriptedRequest", "scripted_backend"]

#: One answer: a dict sent as JSON, or a str sent as it is.
Answer = Mapping[str, Any] | str
#: What answers one pass: an answer, one answer per successive request, or a function of the request.
PassScript = Answer | Sequence[Answer] | Callable[["ScriptedRequest"], Answer]
#: A script: answers by pass name, or one function for every request.
Script = Mapping[str, PassScript] | Callable[["ScriptedRequest"], Answer]


@dataclass(frozen=True)
class ScriptedRequest:
    """One request the scripted backend received, as a script's function sees it."""

    #: The pass it asks ("frame", "terms", ...; "main" for one request of every field).
    pass_name: str
    #: The text the request reads: the article, or the piece of a long article it was split into.
    article: str
    #: The fields the pass's response model asks for, in order.
    fields: tuple[str, ...]
    #: 1 for the first answer of this request, 2 for the answer to a re-ask, and so on.
    attempt: int
    #: How many requests of this pass (pieces and re-asks included) came before this one, plus one.
    number: int
    #: The request body exactly as the library POSTs it to ``/v1/chat/completions``.
    body: dict[str, Any] = field(repr=False)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of the request."""
        return list(self.body.get("messages", []))


@dataclass(frozen=True)
class ScriptedBackend(Backend):
    """A backend answered by a script (see :func:`scripted_backend`); it records every request."""

    #: Every request received, in order.
    requests: list[ScriptedRequest] = field(default_factory=list, repr=False, compare=False)

    @property
    def asked(self) -> list[str]:
        """The pass of each request received, in order."""
        return [r.pass_name for r in self.requests]


def scripted_backend(
    script: Script,
    *,
    model: str = "scripted",
    mode: instructor.Mode = instructor.Mode.TOOLS,
    context_tokens: int | None = None,
) -> ScriptedBackend:
    """A backend that answers each request from ``script``, by pass name (see the module docstring).

    ``mode`` is the instructor mode the requests are built for (tool calls by default, as for OpenAI;
    ``instructor.Mode.JSON_SCHEMA`` as for llama.cpp). ``context_tokens`` sets the context window, so a
    long article is split into pieces as it would be for a model with that window.
    """
    log: list[ScriptedRequest] = []
    counts: dict[str, int] = {}

    def handle(request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(404, json={"error": {"message": f"no such endpoint: {request.url.path}"}})
        body = json.loads(request.content)
        context = context_of()
        name = (context.pass_name if context is not None else None) or "main"
        counts[name] = counts.get(name, 0) + 1
        asked = ScriptedRequest(
            pass_name=name,
            article=context.text if context is not None else _last_user_text(body),
            fields=_requested_fields(body),
            attempt=context.attempt if context is not None else 1,
            number=counts[name],
            body=body,
        )
        log.append(asked)
        content = _content(_answer(script, asked))
        return httpx2.Response(200, json=_completion(body, content))

    def client() -> openai.OpenAI:
        return openai.OpenAI(
            base_url="http://scripted.invalid/v1",
            api_key="scripted",
            max_retries=0,
            http_client=openai.DefaultHttpxClient(transport=httpx2.MockTransport(handle)),
        )

    def async_client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url="http://scripted.invalid/v1",
            api_key="scripted",
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(handle)),
        )

    return ScriptedBackend(
        name="scripted",
        model=model,
        mode=mode,
        make_client=client,
        make_async_client=async_client,
        context_tokens=context_tokens,
        endpoint=f"scripted:{uuid.uuid4()}",  # never a cache hit from another script's answers
        requests=log,
    )


def _answer(script: Script, request: ScriptedRequest) -> Answer:
    """The script's answer to one request; a request it has no answer for is a ConfigurationError."""
    try:
        if callable(script):
            return script(request)
        if request.pass_name not in script:
            raise ConfigurationError(
                f"the scripted backend has no answer for pass {request.pass_name!r} (it scripts "
                f"{', '.join(map(repr, script)) or 'none'}): add {request.pass_name!r}: {{...}} to the script"
            )
        planned = script[request.pass_name]
        if callable(planned):
            return planned(request)
        if isinstance(planned, (str, Mapping)):
            return planned
        if request.number > len(planned):
            raise ConfigurationError(
                f"the scripted backend has {len(planned)} answer(s) for pass {request.pass_name!r} and got "
                f"request {request.number}: script one more (a piece of a long article, or a re-ask)"
            )
        return planned[request.number - 1]
    except ConfigurationError:
        raise
    except Exception as exc:  # the user's own script failed: say so at once, never retried as a fault
        raise ConfigurationError(
            f"the script raised {type(exc).__name__} answering pass {request.pass_name!r}: {exc}"
        ) from exc


def _content(answer: Answer) -> str:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, Mapping):
        return json.dumps(dict(answer), ensure_ascii=False)
    raise ConfigurationError(
        f"a scripted answer is a dict (sent as JSON) or a str (sent as it is), not {type(answer).__name__}"
    )


def _requested_fields(body: dict[str, Any]) -> tuple[str, ...]:
    """The fields of the request's response model: its tool's parameters or its JSON schema."""
    schema: Any = None
    tools = body.get("tools")
    if tools:
        schema = tools[0].get("function", {}).get("parameters")
    response_format = body.get("response_format")
    if schema is None and isinstance(response_format, dict):
        schema = response_format.get("json_schema", {}).get("schema") or response_format.get("schema")
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return tuple(properties)


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    """A chat.completion carrying ``content`` where the request expects it: a tool call, or the text."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    tools = body.get("tools")
    if tools:
        name = tools[0].get("function", {}).get("name", "answer")
        call = {"id": "call_scripted", "type": "function", "function": {"name": name, "arguments": content}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
    completion = len(content) // 4 + 1
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "scripted")),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }
