"""Stopping an answer that repeats itself: read it as it is written, and end it at the first repeated item.

At temperature 0 a small model that has listed what an article states often goes on listing the last item
again, word for word, until the list's ``maxItems`` or the token budget stops it. On two CPU cores every
repeated item costs seconds of generation and adds nothing: merging drops exact repeats anyway.

For a backend that serves streamed answers the library's HTTP client (see :class:`StopRepeats`) asks for
the answer streamed, reads it as it comes and, at the first item of a top-level list that repeats an
earlier item of the same list, closes the connection (llama.cpp then stops generating). The openai SDK and
instructor get an ordinary chat completion: the answer up to that item, its JSON closed, ``finish_reason``
"stop", and the usage the server reported. Recordings hold the streamed exchange, so a replay reads it
the same way and stops at the same item.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2

from .._deadline import bounded_async_stream, bounded_stream
from .._salvaging import close_json

__all__ = ["AsyncStopRepeats", "RepeatWatch", "StopRepeats", "completion_of_events"]

log = logging.getLogger("summit_extract")

_CLOSE = {"{": "}", "[": "]"}


class RepeatWatch:
    """Reads JSON text as it grows and tells where the first item that repeats an earlier item of the same
    top-level list starts (``repeat_at``). Only items of lists that are fields of the top-level object
    count: a party named twice inside one agreement is no loop."""

    def __init__(self) -> None:
        self.text = ""
        self.repeat_at: int | None = None
        self._stack: list[str] = []
        self._in_string = self._escaped = False
        self._item_start: int | None = None
        self._list_start = 0
        self._seen: dict[int, set[str]] = {}

    def feed(self, piece: str) -> bool:
        """Add the next piece of the answer; True once an item has repeated (see ``repeat_at``)."""
        start = len(self.text)
        self.text += piece
        if self.repeat_at is not None:
            return True
        for i in range(start, len(self.text)):
            ch = self.text[i]
            if self._in_string:
                if self._escaped:
                    self._escaped = False
                elif ch == "\\":
                    self._escaped = True
                elif ch == '"':
                    self._in_string = False
                continue
            if ch == '"':
                self._in_string = True
            elif ch in _CLOSE:
                if self._stack == ["{", "["]:
                    self._item_start = i
                if self._stack == ["{"] and ch == "[":
                    self._list_start = i
                self._stack.append(ch)
            elif ch in "}]" and self._stack:
                self._stack.pop()
                if self._stack == ["{", "["] and self._item_start is not None:
                    if self._repeats(self.text[self._item_start : i + 1]):
                        self.repeat_at = self._item_start
                        return True
                    self._item_start = None
        return False

    def _repeats(self, item: str) -> bool:
        try:
            key = json.dumps(json.loads(item), sort_keys=True, ensure_ascii=False)
        except ValueError:
            key = " ".join(item.split())
        seen = self._seen.setdefault(self._list_start, set())
        if key in seen:
            return True
        seen.add(key)
        return False

    def answer(self) -> str:
        """The answer so far; once an item repeated, the answer before it, its JSON closed."""
        if self.repeat_at is None:
            return self.text
        return close_json(self.text[: self.repeat_at]) or self.text[: self.repeat_at]


class _Completion:
    """Builds one chat completion from a streamed answer's server-sent events."""

    def __init__(self) -> None:
        self.watch = RepeatWatch()
        self.head: dict[str, Any] = {}
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.timings: dict[str, Any] | None = None
        self.progress: dict[str, Any] = {}
        self.tokens = 0
        self._buffer = b""

    def feed(self, data: bytes) -> bool:
        """Add bytes of the event stream; True when the answer should end here (an item repeated)."""
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        return any(self._line(line.strip()) for line in lines)

    def _line(self, line: bytes) -> bool:
        if not line.startswith(b"data:"):
            return False
        payload = line[5:].strip()
        if payload == b"[DONE]":
            return False
        event = json.loads(payload)
        for key in ("id", "created", "model", "system_fingerprint"):
            if key in event:
                self.head[key] = event[key]
        self.progress = event.get("prompt_progress") or self.progress
        if event.get("usage"):
            self.usage = event["usage"]
            self.timings = event.get("timings") or self.timings
        for choice in event.get("choices") or []:
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            content = (choice.get("delta") or {}).get("content")
            if content:
                self.tokens += 1  # llama.cpp sends one token per event
                if self.watch.feed(content):
                    return True
        return False

    def body(self) -> dict[str, Any]:
        stopped = self.watch.repeat_at is not None
        usage = self.usage
        if stopped or usage is None:
            # Ended before the server's final event: the prompt as the server reported reading it.
            total, cached = int(self.progress.get("total", 0)), int(self.progress.get("cache", 0))
            usage = {
                "prompt_tokens": total,
                "completion_tokens": self.tokens,
                "total_tokens": total + self.tokens,
                "prompt_tokens_details": {"cached_tokens": cached},
            }
        message = {"role": "assistant", "content": self.watch.answer()}
        return {
            "id": self.head.get("id", "stopped"),
            "object": "chat.completion",
            "created": self.head.get("created", int(time.time())),
            "model": self.head.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "stop" if stopped else (self.finish_reason or "stop"),
                }
            ],
            "usage": usage,
            **({"timings": self.timings} if self.timings else {}),
        }


def completion_of_events(data: bytes) -> dict[str, Any]:
    """The chat completion the library makes of a whole event stream (a recorded one, say): the answer up
    to its first repeated item."""
    completion = _Completion()
    completion.feed(data + b"\n")
    return completion.body()


def _streamed(request: httpx2.Request) -> httpx2.Request | None:
    """The same chat completion request, asked for streamed; None for any other request."""
    if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
        return None
    try:
        body = json.loads(request.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("stream"):
        return None
    # return_progress: llama.cpp reports the prompt it read before the first token, so usage stays
    # exact when the answer is ended early, before the server's final event.
    body = {**body, "stream": True, "stream_options": {"include_usage": True}, "return_progress": True}
    headers = [(k, v) for k, v in request.headers.multi_items() if k.lower() != "content-length"]
    return httpx2.Request(
        request.method,
        request.url,
        headers=headers,
        content=json.dumps(body, ensure_ascii=False).encode(),
        extensions=request.extensions,
    )


def _is_event_stream(response: httpx2.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return response.status_code == 200 and kind.split(";")[0].strip() == "text/event-stream"


def _answer(request: httpx2.Request, completion: _Completion, response: httpx2.Response) -> httpx2.Response:
    body = completion.body()
    if completion.watch.repeat_at is not None:
        log.info("answer repeated an item after %d tokens; ended it there", completion.tokens)
    return httpx2.Response(
        200,
        headers={"content-type": "application/json"},
        content=json.dumps(body, ensure_ascii=False).encode(),
        request=request,
        extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
    )


class StopRepeats(httpx2.BaseTransport):
    """An HTTP transport that streams chat completions and ends each at its first repeated list item."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        streamed = _streamed(request)
        if streamed is None:
            return self.inner.handle_request(request)
        response = self.inner.handle_request(streamed)
        if not _is_event_stream(response):
            return response  # an error, or a server that answered whole: the SDK reads it as usual
        completion = _Completion()
        try:
            chunks: Iterator[bytes] = iter(bounded_stream(response, streamed))
            for chunk in chunks:
                if completion.feed(chunk):
                    break
            getattr(chunks, "close", lambda: None)()  # its wall-clock timer ends with it
        finally:
            response.close()  # mid-answer: the server sees the connection go and stops generating
        return _answer(request, completion, response)

    def close(self) -> None:
        self.inner.close()


class AsyncStopRepeats(httpx2.AsyncBaseTransport):
    """The async twin of :class:`StopRepeats`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        streamed = _streamed(request)
        if streamed is None:
            return await self.inner.handle_async_request(request)
        response = await self.inner.handle_async_request(streamed)
        if not _is_event_stream(response):
            return response
        completion = _Completion()
        try:
            chunks: AsyncIterator[bytes] = aiter(bounded_async_stream(response, streamed))
            async for chunk in chunks:
                if completion.feed(chunk):
                    break
            if (aclose := getattr(chunks, "aclose", None)) is not None:
                await aclose()
        finally:
            await response.aclose()
        return _answer(request, completion, response)

    async def aclose(self) -> None:
        await self.inner.aclose()
