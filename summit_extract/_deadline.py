"""Wall-clock time limits: a deadline for a whole extraction and a hard bound on each HTTP request.

The HTTP stack's own ``timeout`` bounds each *read*, so a body that trickles in a byte at a time never
times out. Here a request and response hook on the openai client's HTTP client bound each request by
the wall clock instead: the request's socket timeouts are cut to the time left, and its body is read
under a timer that ends the read when time is up, with a ``ReadTimeout`` that the openai SDK reports as
``APITimeoutError`` (retried like any timeout while the overall :class:`Deadline` allows).

One :class:`Deadline` may be shared by several calls (every chunk and pass of one article), so
``total_timeout`` bounds the whole extraction, re-asks included.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import httpx2

__all__ = ["Deadline", "bounded_async_stream", "bounded_stream", "guard", "request_limits"]


class Deadline:
    """A point on the monotonic clock after which work must stop; ``Deadline(None)`` never expires."""

    def __init__(self, seconds: float | None) -> None:
        self.at = math.inf if seconds is None else time.monotonic() + max(0.0, seconds)

    def remaining(self) -> float:
        """Seconds left (never negative; ``inf`` for no deadline)."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return time.monotonic() >= self.at

    def cap(self, seconds: float) -> float:
        """``seconds``, or the time left if that is shorter."""
        return min(seconds, self.remaining())

    def __repr__(self) -> str:
        return f"Deadline(remaining={self.remaining():.1f}s)"


#: (per-request seconds, deadline) for requests made in this context; None outside library calls.
_LIMITS: ContextVar[tuple[float, Deadline] | None] = ContextVar("summit_extract_request_limits", default=None)
_END = "summit_extract_end"
_HOOKED = "_summit_extract_deadline_hooks"


@contextlib.contextmanager
def request_limits(timeout: float, deadline: Deadline) -> Iterator[None]:
    """In this block, each request of a guarded client ends after ``timeout`` s or at ``deadline``."""
    token = _LIMITS.set((timeout, deadline))
    try:
        yield
    finally:
        _LIMITS.reset(token)


def guard(client: Any) -> Any:
    """Install the wall-clock hooks on an openai client's HTTP client (once); returns the client."""
    http: Any = getattr(client, "_client", None)
    hooks = getattr(http, "event_hooks", None)
    if http is None or not isinstance(hooks, dict) or getattr(http, _HOOKED, False):
        return client
    if isinstance(http, httpx2.AsyncClient):
        hooks.setdefault("request", []).append(_async_on_request)
        hooks.setdefault("response", []).append(_async_on_response)
    else:
        hooks.setdefault("request", []).append(_on_request)
        hooks.setdefault("response", []).append(_on_response)
    http.event_hooks = hooks
    with contextlib.suppress(AttributeError, TypeError):
        setattr(http, _HOOKED, True)
    return client


def _on_request(request: httpx2.Request) -> None:
    limits = _LIMITS.get()
    if limits is None:
        return
    timeout, deadline = limits
    end = min(time.monotonic() + timeout, deadline.at)
    request.extensions[_END] = end
    left = max(0.001, end - time.monotonic())
    given = request.extensions.get("timeout") or {}
    request.extensions["timeout"] = {
        name: left if given.get(name) is None else min(float(given[name]), left)
        for name in ("connect", "read", "write", "pool")
    }


def _on_response(response: httpx2.Response) -> None:
    response.stream = bounded_stream(response, response.request)


async def _async_on_request(request: httpx2.Request) -> None:
    _on_request(request)


async def _async_on_response(response: httpx2.Response) -> None:
    response.stream = bounded_async_stream(response, response.request)


def bounded_stream(response: httpx2.Response, request: httpx2.Request) -> Any:
    """``response``'s body stream, read under ``request``'s wall-clock limit when a guarded client set one
    (the response hook, and a transport that reads a body itself before that hook runs)."""
    end = request.extensions.get(_END)
    if not isinstance(end, float):
        return response.stream
    return _SyncBounded(response.stream, end, response.extensions.get("network_stream"))


def bounded_async_stream(response: httpx2.Response, request: httpx2.Request) -> Any:
    """The async twin of :func:`bounded_stream`."""
    end = request.extensions.get(_END)
    return _AsyncBounded(response.stream, end) if isinstance(end, float) else response.stream


def _timed_out(end: float) -> httpx2.ReadTimeout:
    late = time.monotonic() - end
    return httpx2.ReadTimeout(f"the response was not complete within its time limit (+{late:.1f} s)")


class _SyncBounded(httpx2.SyncByteStream):
    """A response body read under a timer: at ``end`` the socket is shut down and the read fails."""

    def __init__(self, inner: Any, end: float, network_stream: Any) -> None:
        self.inner = inner
        self.end = end
        self.network_stream = network_stream

    def __iter__(self) -> Iterator[bytes]:
        fired = threading.Event()
        sock: socket.socket | None = None
        with contextlib.suppress(Exception):
            sock = self.network_stream.get_extra_info("socket") if self.network_stream else None

        def cut() -> None:
            fired.set()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(0.0, self.end - time.monotonic()), cut)
        timer.daemon = True
        timer.start()
        try:
            for chunk in self.inner:
                if fired.is_set() or time.monotonic() >= self.end:
                    raise _timed_out(self.end)
                yield chunk
        except httpx2.TimeoutException:
            raise
        except Exception:
            if fired.is_set():
                raise _timed_out(self.end) from None
            raise
        finally:
            timer.cancel()

    def close(self) -> None:
        self.inner.close()


class _AsyncBounded(httpx2.AsyncByteStream):
    """An async response body whose every read ends at ``end``."""

    def __init__(self, inner: Any, end: float) -> None:
        self.inner = inner
        self.end = end

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunks = self.inner.__aiter__()
        while True:
            left = self.end - time.monotonic()
            if left <= 0:
                raise _timed_out(self.end)
            try:
                async with asyncio.timeout(left):
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise _timed_out(self.end) from None
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()
