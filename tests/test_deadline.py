"""Time limits are wall-clock limits: ``timeout`` bounds one request however its body arrives, and
``total_timeout`` (a :class:`Deadline`, shareable by several calls) bounds everything, re-asks included.

The fault server drips its body a few bytes at a time, so each socket read is quick and only a limit on
the whole request can stop it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from summit_extract import RetryPolicy, Summit, TransportError, _prompting, aextract_result, extract_result
from summit_extract._calling import call_async, call_sync
from summit_extract._context import ExtractionContext
from summit_extract._deadline import Deadline
from summit_extract._planning import Call
from tests.fake_openai import FakeOpenAI, drip, malformed, ok_summit, slow

#: One request per extraction (a Summit is otherwise asked in several passes).
ONE = ["main"]

TEXT = "Officials of Chile and Peru disagreed on Tuesday over fishing quotas in shared waters."


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


def policy(**kw: Any) -> RetryPolicy:
    base: dict[str, Any] = dict(max_retries=0, max_attempts=1, timeout=1.0, total_timeout=60.0,
                                backoff_initial=0.01, backoff_max=0.02)
    return RetryPolicy(**{**base, **kw})


def run(runner: str, srv: FakeOpenAI, pol: RetryPolicy) -> Any:
    if runner == "sync":
        return extract_result(TEXT, Summit, backend=srv.backend(), policy=pol, passes=ONE)
    return asyncio.run(aextract_result(TEXT, Summit, backend=srv.backend(), policy=pol, passes=ONE))


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_a_body_that_trickles_in_is_cut_at_the_request_timeout(srv: FakeOpenAI, runner: str) -> None:
    srv.default = drip(6.0)
    started = time.monotonic()
    with pytest.raises(TransportError, match="kept failing"):
        run(runner, srv, policy(timeout=1.0))
    assert time.monotonic() - started < 2.5
    assert srv.count == 1


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_a_trickling_body_is_retried_like_any_timeout(srv: FakeOpenAI, runner: str) -> None:
    srv.script(drip(6.0))
    started = time.monotonic()
    result = run(runner, srv, policy(timeout=1.0, max_attempts=2))
    assert time.monotonic() - started < 3.0
    assert srv.count == 2 and result.attempts == 2
    assert result.value.disputes[0].evidence in TEXT


def test_a_quick_drip_within_the_timeout_is_read_whole(srv: FakeOpenAI) -> None:
    srv.default = drip(0.3)
    result = run("sync", srv, policy(timeout=3.0))
    assert srv.count == 1 and result.value.disputes


@pytest.mark.parametrize("runner", ["sync", "async"])
def test_total_timeout_bounds_reasks(srv: FakeOpenAI, runner: str) -> None:
    # Every answer is malformed and takes 0.4 s: ten re-asks would take 4 s, the deadline is 1.2 s.
    srv.default = slow(0.4, malformed())
    started = time.monotonic()
    with pytest.raises(TransportError):
        run(runner, srv, policy(timeout=5.0, max_retries=10, max_attempts=3, total_timeout=1.2))
    assert time.monotonic() - started < 2.2
    assert srv.count <= 4


def test_total_timeout_cuts_a_single_slow_request(srv: FakeOpenAI) -> None:
    srv.default = drip(6.0)
    started = time.monotonic()
    with pytest.raises(TransportError):
        run("sync", srv, policy(timeout=30.0, max_attempts=5, total_timeout=1.0))
    assert time.monotonic() - started < 2.0


def make_call(srv: FakeOpenAI, deadline: Deadline | None, pol: RetryPolicy) -> Call:
    return Call(
        backend=srv.backend(),
        schema=Summit,
        messages=_prompting.messages(TEXT, Summit),
        context=ExtractionContext(TEXT),
        policy=pol,
        max_tokens=512,
        deadline=deadline,
    )


def test_one_deadline_shared_by_several_calls_bounds_them_all(srv: FakeOpenAI) -> None:
    srv.default = slow(0.5, ok_summit())
    deadline = Deadline(1.0)
    pol = policy(timeout=5.0, max_attempts=3, total_timeout=60.0)
    started = time.monotonic()
    done = 0
    with pytest.raises(TransportError):
        for _ in range(6):  # six chunks of one article: 3 s of work for a 1 s budget
            call_sync(make_call(srv, deadline, pol))
            done += 1
    assert time.monotonic() - started < 1.8
    assert 1 <= done <= 2 and srv.count <= done + 1


async def test_an_expired_deadline_sends_no_request(srv: FakeOpenAI) -> None:
    with pytest.raises(TransportError, match="no time was left"):
        await call_async(make_call(srv, Deadline(0.0), policy()))
    assert srv.count == 0


def test_deadline_arithmetic() -> None:
    forever = Deadline(None)
    assert not forever.expired() and forever.remaining() == float("inf") and forever.cap(5.0) == 5.0
    soon = Deadline(0.5)
    assert 0.0 < soon.remaining() <= 0.5 and soon.cap(10.0) <= 0.5 and soon.cap(0.1) == 0.1
    assert Deadline(0.0).expired() and Deadline(-3).remaining() == 0.0
