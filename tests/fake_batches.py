"""A real local HTTP server faking OpenAI's Files and Batch APIs and the chat endpoint, with recorded answers.

It answers every request of a batch (and every live chat request) with what the embedded model really
said to that request, read from the cassettes (see ``tests/recorded_answers.py``), so the Batch path, a Ray
run and ``extract_many`` can be compared on the same answers. Failures are injected on purpose: a request
line every ``error_every`` fails in the error file, a job can expire after ``expire_after`` lines, the
create call can fail (before or after the batch is made) to show that a re-run creates nothing twice, and
a request with no recording gets an error line. Limits are enforced as the real API does: a file over
``max_requests`` lines or ``max_bytes`` bytes makes a failed batch.

    with FakeBatchAPI() as api:
        backend = api.backend()
        submit_batch(items, out=out, backend=backend)
        collect_batch(out, backend=backend)
        api.batches, api.files, api.chat_requests  # what was received
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import instructor
import openai

from summit_extract import Backend
from tests.recorded_answers import RecordedAnswers, recorded

__all__ = ["FakeBatchAPI"]

MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@dataclass
class FakeBatchAPI:
    """Files, batches and chat completions on 127.0.0.1; a context manager."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024
    #: Every n-th request line of a batch (counting from 1, over all batches) fails in the error file.
    error_every: int = 0
    #: Every n-th request line gets a 200 answer with no choices at all (a provider hiccup, or a refusal).
    empty_every: int = 0
    #: A job expires after answering this many of its lines (the rest get no line at all).
    expire_after: int | None = None
    #: Jobs stay "in_progress" while True (``status`` calls see them running).
    hold: bool = False
    #: Seconds each live chat request takes.
    latency: float = 0.0
    #: Seconds each upload and batch creation takes (so that a benchmark can kill a submit midway).
    api_latency: float = 0.0
    #: Failures of ``POST /v1/batches`` still to inject: "before" (no batch made) or "after" (made, then 500).
    create_faults: list[str] = field(default_factory=list)
    answers: RecordedAnswers = field(default_factory=recorded)
    files: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    #: Bodies of live chat requests, in order.
    chat_requests: list[dict[str, Any]] = field(default_factory=list, init=False)
    #: How often each endpoint was called, e.g. ``calls["POST /v1/files"]``.
    calls: Counter[str] = field(default_factory=Counter, init=False)
    _lines: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _server: _Server | None = field(default=None, init=False)

    def __enter__(self) -> FakeBatchAPI:
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the server is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def backend(self, *, api_key: str = "sk-fake-batch-key", max_concurrency: int = 4) -> Backend:
        """The backend the recordings were made with (JSON_SCHEMA, the embedded model's name), served here."""
        url = self.base_url
        return Backend(
            name="openai",
            model=MODEL,
            mode=instructor.Mode.JSON_SCHEMA,
            make_client=lambda: openai.OpenAI(base_url=url, api_key=api_key, max_retries=0),
            make_async_client=lambda: openai.AsyncOpenAI(base_url=url, api_key=api_key, max_retries=0),
            context_tokens=None,
            max_concurrency=max_concurrency,
        )

    def release(self) -> None:
        """Let held jobs finish."""
        self.hold = False

    def submitted_lines(self) -> list[dict[str, Any]]:
        """Every request line of every batch created, in order."""
        lines: list[dict[str, Any]] = []
        for batch in self.batches.values():
            content = self.files[batch["input_file_id"]]["content"]
            lines += [json.loads(line) for line in content.splitlines() if line.strip()]
        return lines

    # -- the API ----------------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def _file(self, name: str, content: bytes, purpose: str) -> dict[str, Any]:
        file_id = self._new_id("file")
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }
        self.files[file_id] = {**obj, "content": content}
        return obj

    def _public_file(self, file_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.files[file_id].items() if k != "content"}

    def _create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        fault = self.create_faults.pop(0) if self.create_faults else None
        if fault == "before":
            return 500, _error("fake: the batch could not be created")
        source = self.files.get(body.get("input_file_id", ""))
        if source is None:
            return 404, _error("no such file")
        batch_id = self._new_id("batch")
        now = int(time.time())
        batch: dict[str, Any] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body.get("endpoint"),
            "errors": None,
            "input_file_id": source["id"],
            "completion_window": body.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "metadata": body.get("metadata"),
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }
        lines = [json.loads(line) for line in source["content"].splitlines() if line.strip()]
        if len(lines) > self.max_requests or len(source["content"]) > self.max_bytes:
            batch["status"] = "failed"
            batch["errors"] = {
                "object": "list",
                "data": [{"code": "too_large", "message": "over the limits"}],
            }
        else:
            batch["_lines"] = lines
        self.batches[batch_id] = batch
        if fault == "after":
            return 500, _error("fake: the batch was created but the answer was lost")
        return 200, _public_batch(batch)

    def _retrieve_batch(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        if batch["status"] in ("validating", "in_progress"):
            if self.hold:
                batch["status"] = "in_progress"
                batch["request_counts"]["total"] = len(batch["_lines"])
            else:
                self._run(batch)
        return _public_batch(batch)

    def _run(self, batch: dict[str, Any]) -> None:
        out: list[bytes] = []
        errors: list[bytes] = []
        lines = batch["_lines"]
        expired = self.expire_after is not None and len(lines) > self.expire_after
        for number, line in enumerate(lines):
            if expired and self.expire_after is not None and number >= self.expire_after:
                break
            n = next(self._lines)
            request_id = f"req-{n}"
            answer = self.answers.get(line["body"])
            if (self.error_every and n % self.error_every == 0) or answer is None:
                code, message = (500, "fake: injected failure") if answer else (400, "fake: no recording")
                row = {
                    "id": f"batch_req_{n}",
                    "custom_id": line["custom_id"],
                    "response": {"status_code": code, "request_id": request_id, "body": _error(message)},
                    "error": None,
                }
                errors.append(json.dumps(row).encode() + b"\n")
                continue
            body = dict(answer, model=line["body"].get("model"))
            if self.empty_every and n % self.empty_every == 0:
                body["choices"] = []
            row = {
                "id": f"batch_req_{n}",
                "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": request_id, "body": body},
                "error": None,
            }
            out.append(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        if out:
            batch["output_file_id"] = self._file(
                f"{batch['id']}_output.jsonl", b"".join(out), "batch_output"
            )["id"]
        if errors:
            batch["error_file_id"] = self._file(
                f"{batch['id']}_error.jsonl", b"".join(errors), "batch_output"
            )["id"]
        batch["status"] = "expired" if expired else "completed"
        batch["request_counts"] = {"total": len(lines), "completed": len(out), "failed": len(errors)}

    def _chat(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.chat_requests.append(body)
        if self.latency:
            time.sleep(self.latency)
        answer = self.answers.get(body)
        if answer is None:
            return 400, _error("fake: no recording for this request")
        return 200, dict(answer, model=body.get("model"))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self, code: int, payload: bytes | dict[str, Any], kind: str = "application/json"
            ) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                parts = url.path.rstrip("/").split("/")[2:]  # after /v1
                with fake._lock:
                    fake.calls[f"GET /v1/{parts[0] if parts else ''}"] += 1
                    if parts == ["files"]:
                        purpose = parse_qs(url.query).get("purpose", [None])[0]
                        data = [
                            fake._public_file(f)
                            for f in fake.files
                            if purpose in (None, fake.files[f]["purpose"])
                        ]
                        self._send(200, {"object": "list", "data": data, "has_more": False})
                    elif len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                        self._send(200, fake.files[parts[1]]["content"], "application/octet-stream")
                    elif len(parts) == 2 and parts[0] == "files":
                        self._send(200, fake._public_file(parts[1]))
                    elif parts == ["batches"]:
                        data = [_public_batch(b) for b in reversed(fake.batches.values())]
                        self._send(200, {"object": "list", "data": data, "has_more": False})
                    elif len(parts) == 2 and parts[0] == "batches":
                        self._send(200, fake._retrieve_batch(parts[1]))
                    else:
                        self._send(404, _error(f"fake: no route {url.path}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path.rstrip("/")
                if path == "/v1/chat/completions":
                    code, payload = fake._chat(json.loads(raw))
                    self._send(code, payload)
                    return
                if fake.api_latency:
                    time.sleep(fake.api_latency)
                with fake._lock:
                    fake.calls[f"POST {path}"] += 1
                    if path == "/v1/files":
                        fields = _multipart(self.headers.get("Content-Type", ""), raw)
                        name, content = fields["file"]
                        self._send(
                            200, fake._file(name or "upload.jsonl", content, fields["purpose"][1].decode())
                        )
                    elif path == "/v1/batches":
                        self._send(*fake._create_batch(json.loads(raw)))
                    else:
                        self._send(404, _error(f"fake: no route {path}"))

        return Handler


def _error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}}


def _public_batch(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name -> (filename, bytes)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    parts: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[str(name)] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return parts
