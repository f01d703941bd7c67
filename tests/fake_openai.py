"""A real local OpenAI-compatible HTTP server whose answers the tests script: faults, latency, valid summits.

It speaks HTTP on 127.0.0.1 (so the openai SDK, httpx2 and the library's retry loop run exactly as they do
against a remote API) and answers ``POST /v1/chat/completions`` with the replies given to :meth:`script`,
one per request in order, then with ``default`` once the script is used up::

    with FakeOpenAI(latency=0.0) as srv:
        srv.script(status(429, headers={"Retry-After": "1"}), ok_summit())
        backend = srv.backend(mode=instructor.Mode.JSON_SCHEMA)
        ...
        srv.requests  # the JSON bodies received, in order

It is for faults and throughput only: what a real model says is recorded in cassettes, never faked here.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import instructor
import openai

from summit_extract import Backend

__all__ = [
    "PERMANENT", "TRANSIENT", "Exchange", "FakeOpenAI", "Reply", "article_of", "drip", "empty_choices",
    "fault_plan", "faulty", "for_request", "malformed", "ok", "ok_summit", "per_article", "refusal",
    "requested_fields", "reset", "schema_violation", "slow", "status", "summit_json", "truncated",
    "ungrounded",
]


@dataclass
class Exchange:
    """One request as the server received it, and the means to answer it."""

    body: dict[str, Any]
    headers: dict[str, str]
    number: int
    handler: BaseHTTPRequestHandler

    def send(self, code: int, payload: bytes | dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Answer with a status, a body (a dict is sent as JSON) and headers; a vanished client is ignored."""
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.handler.send_response(code)
            self.handler.send_header("Content-Type", "application/json")
            self.handler.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.handler.send_header(name, value)
            self.handler.end_headers()
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError:
            self.handler.close_connection = True  # the client gave up (timeout) before we answered

    def completion(
        self,
        message: dict[str, Any] | None,
        *,
        finish_reason: str = "stop",
        usage: tuple[int, int] = (100, 50),
    ) -> dict[str, Any]:
        """A chat.completion object with one choice (or none when ``message`` is None)."""
        choice = {"index": 0, "message": message, "finish_reason": finish_reason}
        choices = [] if message is None else [choice]
        return {
            "id": f"chatcmpl-fake-{self.number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(self.body.get("model", "fake")),
            "choices": choices,
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }

    def answer_message(self, content: str) -> dict[str, Any]:
        """An assistant message carrying ``content`` where the request expects it: a tool call or the text."""
        tools = self.body.get("tools")
        if tools:
            name = tools[0].get("function", {}).get("name", "answer")
            function = {"name": name, "arguments": content}
            call = {"id": f"call_{self.number}", "type": "function", "function": function}
            return {"role": "assistant", "content": None, "tool_calls": [call]}
        return {"role": "assistant", "content": content}


#: What the server does with one request.
Reply = Callable[[Exchange], None]


def article_of(body: dict[str, Any]) -> str:
    """The article inside a request built by summit_extract's prompt.

    A plain schema's request has one user message, the article; an article type with passes puts worked
    examples (each an "Article:" turn) before the article, and the pass request after it: the article is
    the last user message that opens with "Article:" (re-asks only append messages after it).
    """
    found = ""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            text = content if isinstance(content, str) else ""
            if text.startswith("Article:\n") or not found:
                found = text
    found = found.split("Article:\n", 1)[-1]
    return re.sub(r"\n\n\(Published on [0-9-]+\.\)$", "", found)


def requested_fields(body: dict[str, Any]) -> set[str] | None:
    """The top-level fields the request's response model has (its JSON schema or tool), None if unknown."""
    schema: dict[str, Any] | None = None
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        schema = response_format.get("json_schema", {}).get("schema") or response_format.get("schema")
    tools = body.get("tools")
    if schema is None and tools:
        schema = tools[0].get("function", {}).get("parameters")
    if not isinstance(schema, dict) or "properties" not in schema:
        return None
    return set(schema["properties"])


def for_request(body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The part of a whole-Summit answer that the request asks for (one pass, or every field)."""
    fields = requested_fields(body)
    if fields is None:
        return answer
    return {k: v for k, v in answer.items() if k in fields}


def _phrase(article: str, words: int = 12) -> str:
    """A short verbatim span of the article: the first words of its first non-blank line."""
    match = re.search(rf"\S+(?:[ \t]+\S+){{0,{words - 1}}}", article)
    return match.group(0) if match else article.strip()


def summit_json(article: str) -> dict[str, Any]:
    """A valid Summit answer for ``article``: no summit, one dispute whose evidence is copied from it.

    Every field the model fills is present; ``for_request`` cuts it to the pass a request asks.
    """
    return {
        "is_summit": False,
        "name": None,
        "location": None,
        "date": None,
        "host_country": None,
        "participants": [],
        "agreements": [],
        "disputes": [
            {
                "evidence": _phrase(article),
                "parties": ["Side A", "Side B"],
                "subject": "the matter the article reports",
                "status": "ongoing",
            }
        ],
        "statements": [],
    }


def ok(
    content: str | dict[str, Any],
    finish_reason: str = "stop",
    usage: tuple[int, int] = (100, 50),
    *,
    fit: bool = False,
) -> Reply:
    """A 200 answer carrying ``content`` (a dict is sent as JSON) as a tool call or message content.

    ``fit``: send only the fields of ``content`` the request's response model has (a Summit answer cut
    to the pass being asked).
    """

    def reply(ex: Exchange) -> None:
        value = for_request(ex.body, content) if fit and isinstance(content, dict) else content
        text = value if isinstance(value, str) else json.dumps(value)
        ex.send(200, ex.completion(ex.answer_message(text), finish_reason=finish_reason, usage=usage))

    return reply


def ok_summit(usage: tuple[int, int] = (100, 50)) -> Reply:
    """A valid, grounded Summit for whatever article the request carries."""

    def reply(ex: Exchange) -> None:
        ok(summit_json(article_of(ex.body)), usage=usage, fit=True)(ex)

    return reply


def ungrounded(usage: tuple[int, int] = (100, 50)) -> Reply:
    """A summit in Paris whose evidence is in no article the tests use: grounding must reject it.

    Every pass gets ungrounded items: the frame its participants and place, the others an agreement
    and a dispute.
    """
    value = {
        "is_summit": True,
        "name": "Paris Peace Summit",
        "location": {"evidence": "leaders gathered at the Elysee Palace in Paris", "city": "Paris",
                     "venue": "Elysee Palace", "country": "France"},
        "date": None,
        "host_country": None,
        "participants": [
            {"evidence": "President Emmanuel Macron welcomed the delegations", "name": "Emmanuel Macron",
             "title": "President", "country": "France"},
            {"evidence": "German Chancellor Olaf Scholz arrived on Monday", "name": "Olaf Scholz",
             "title": "Chancellor", "country": "Germany"},
        ],
        "agreements": [
            {"evidence": "the leaders pledged a high-speed rail link to Lyon", "subject": "rail link to Lyon",
             "parties": ["France", "Germany"], "status": "agreed", "kind": "economic"},
        ],
        "disputes": [
            {"evidence": "Belgium and the Netherlands quarrelled over river tolls", "subject": "river tolls",
             "parties": ["Belgium", "Netherlands"], "status": "ongoing"},
        ],
        "statements": [],
    }
    return ok(value, usage=usage, fit=True)


def schema_violation(usage: tuple[int, int] = (100, 50)) -> Reply:
    """Valid JSON that does not fit the Summit schema, whichever pass is asked (lists of the wrong type)."""
    return ok({"participants": 5, "agreements": "none", "disputes": "none"}, usage=usage)


def malformed(usage: tuple[int, int] = (100, 50)) -> Reply:
    """Content that is not JSON at all."""
    return ok('{"is_summit": false, "disputes": [{"evidence": oops', usage=usage)


def truncated(usage: tuple[int, int] = (100, 2048)) -> Reply:
    """Output cut off at max_tokens: finish_reason "length" and a JSON array that never closes."""
    return ok('{"participants": [], "disputes": [{"evidence": "trade trade trade trade tr', "length", usage)


def refusal(usage: tuple[int, int] = (100, 12)) -> Reply:
    """The model declines: no content, a ``refusal`` message instead."""

    def reply(ex: Exchange) -> None:
        message = {"role": "assistant", "content": None, "refusal": "I'm sorry, I can't help with that."}
        ex.send(200, ex.completion(message, usage=usage))

    return reply


def empty_choices(usage: tuple[int, int] = (100, 0)) -> Reply:
    """A 200 answer with an empty ``choices`` list."""

    def reply(ex: Exchange) -> None:
        ex.send(200, ex.completion(None, usage=usage))

    return reply


def status(
    code: int, headers: dict[str, str] | None = None, body: bytes | dict[str, Any] | None = None
) -> Reply:
    """An HTTP error answer, with OpenAI's error body unless ``body`` is given."""
    payload = body if body is not None else {
        "error": {"message": f"fake server says {code}", "type": "server_error", "param": None, "code": None}
    }

    def reply(ex: Exchange) -> None:
        ex.send(code, payload, headers)

    return reply


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """Wait ``seconds`` before answering with ``then`` (ok_summit by default): longer than a timeout."""
    after = then or ok_summit()

    def reply(ex: Exchange) -> None:
        time.sleep(seconds)
        after(ex)

    return reply


def drip(seconds: float, then: Reply | None = None) -> Reply:
    """Send the headers at once, then the body a few bytes at a time over ``seconds``: every single read
    is quick, so only a wall-clock limit on the whole request stops it."""
    after = then or ok_summit()

    def reply(ex: Exchange) -> None:
        captured: dict[str, Any] = {}

        class _Capture:
            def send_response(self, code: int) -> None:
                captured["code"] = code

            def send_header(self, name: str, value: str) -> None:
                captured.setdefault("headers", []).append((name, value))

            def end_headers(self) -> None:
                pass

            class wfile:
                data = b""

                @classmethod
                def write(cls, data: bytes) -> None:
                    cls.data += data

                @staticmethod
                def flush() -> None:
                    pass

        fake = Exchange(ex.body, ex.headers, ex.number, _Capture())  # type: ignore[arg-type]
        after(fake)
        data = _Capture.wfile.data
        handler = ex.handler
        try:
            handler.send_response(captured.get("code", 200))
            for name, value in captured.get("headers", []):
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.flush()
            pieces = [data[i : i + 16] for i in range(0, len(data), 16)]
            pause = seconds / max(1, len(pieces))
            for piece in pieces:
                time.sleep(pause)
                handler.wfile.write(piece)
                handler.wfile.flush()
        except OSError:
            handler.close_connection = True

    return reply


def reset() -> Reply:
    """Close the connection abruptly (TCP RST) without answering."""

    def reply(ex: Exchange) -> None:
        conn = ex.handler.connection
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ex.handler.close_connection = True
        conn.close()

    return reply


def per_article(choose: Callable[[str, int], Reply]) -> Reply:
    """A reply chosen from the request's article and how many requests have carried it (1 for the first)."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def reply(ex: Exchange) -> None:
        article = article_of(ex.body)
        with lock:
            seen[article] += 1
            n = seen[article]
        choose(article, n)(ex)

    return reply


#: Faults that hit an article's first request only: the library must retry (or re-ask) and succeed.
TRANSIENT: dict[str, Callable[[], Reply]] = {
    "500": lambda: status(500),
    "503-retry-after": lambda: status(503, headers={"Retry-After": "0"}),
    "429": lambda: status(429, headers={"Retry-After": "0.05"}),
    "reset": reset,
    "timeout": lambda: slow(3.0),
    "bad-body": lambda: status(200, body=b"<html>upstream error</html>"),
    "malformed": malformed,
    "schema": schema_violation,
    "truncated": truncated,
    "ungrounded": ungrounded,
}
#: Faults that hit every request for an article: it must end as exactly one error record.
PERMANENT: dict[str, Callable[[], Reply]] = {
    "refusal": refusal,
    "empty-choices": empty_choices,
    "always-503": lambda: status(503),
    "always-malformed": malformed,
}


def fault_plan(articles: list[str], rate: float = 0.1, seed: int = 0) -> dict[str, str]:
    """Pick ``rate`` of the articles at random (seeded) and give each a fault, kinds in turn."""
    # Interleaved, so that even a handful of faults has both kinds.
    kinds = [k for pair in itertools.zip_longest(TRANSIENT, PERMANENT) for k in pair if k is not None]
    chosen = random.Random(seed).sample(range(len(articles)), round(len(articles) * rate))
    return {articles[i]: kinds[n % len(kinds)] for n, i in enumerate(sorted(chosen))}


def faulty(plan: dict[str, str], latency: float = 0.0) -> Reply:
    """The default reply of a fault run: each planned article meets its fault, every other one succeeds."""
    fine = slow(latency, ok_summit()) if latency else ok_summit()

    def choose(article: str, n: int) -> Reply:
        kind = plan.get(article)
        if kind in PERMANENT:
            return PERMANENT[kind]()
        if kind in TRANSIENT and n == 1:
            return TRANSIENT[kind]()
        return fine

    return per_article(choose)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow reply still sleeping must not block shutdown
    request_queue_size = 256  # throughput runs open many connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and clients that time out are expected here, not worth a traceback


@dataclass
class FakeOpenAI:
    """The fake server; a context manager that starts it on a free port and stops it on exit."""

    latency: float = 0.0
    #: The reply once the script is used up; ``ok_summit()`` after ``latency`` seconds if None.
    default: Reply | None = None
    requests: list[dict[str, Any]] = field(default_factory=list, init=False)
    headers: list[dict[str, str]] = field(default_factory=list, init=False)
    #: ``time.monotonic()`` at which each request arrived.
    times: list[float] = field(default_factory=list, init=False)
    #: Most requests in progress at once (shows that concurrent requests are served concurrently).
    peak: int = field(default=0, init=False)
    _busy: int = field(default=0, init=False)
    _script: deque[Reply] = field(default_factory=deque, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _server: _Server | None = field(default=None, init=False)

    def __enter__(self) -> FakeOpenAI:
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        serve = self._server.serve_forever
        thread = threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not running"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.requests)

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def articles(self) -> Iterator[str]:
        """The article of every request received, in order."""
        for body in list(self.requests):
            yield article_of(body)

    def backend(
        self,
        mode: instructor.Mode = instructor.Mode.JSON_SCHEMA,
        *,
        api_key: str = "sk-fake-server-key",
        model: str = "fake-model",
        context_tokens: int | None = 8192,
        max_concurrency: int = 4,
    ) -> Backend:
        """A summit_extract Backend pointing at this server, with the SDK's own retries off."""
        url = self.base_url
        return Backend(
            name="fake",
            model=model,
            mode=mode,
            make_client=lambda: openai.OpenAI(base_url=url, api_key=api_key, max_retries=0),
            make_async_client=lambda: openai.AsyncOpenAI(base_url=url, api_key=api_key, max_retries=0),
            context_tokens=context_tokens,
            max_concurrency=max_concurrency,
        )

    def _next(self) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.default is not None:
            return self.default
        return slow(self.latency, ok_summit()) if self.latency else ok_summit()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's connection pool expects

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                ex = Exchange({}, dict(self.headers.items()), 0, self)
                ex.send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                with fake._lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers.items()))
                    fake.times.append(time.monotonic())
                    number = len(fake.requests)
                    fake._busy += 1
                    fake.peak = max(fake.peak, fake._busy)
                try:
                    fake._next()(Exchange(body, dict(self.headers.items()), number, self))
                finally:
                    with fake._lock:
                        fake._busy -= 1

        return Handler
