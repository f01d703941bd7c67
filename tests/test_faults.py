"""The fault matrix: every failure an LLM API throws, served over real HTTP by the fake server.

Each test scripts what the server answers and asserts what the library does: retries within its
budget and succeeds (attempts and usage counted), or raises the right typed error carrying attempts
and usage. Budgets are tiny so the suite stays fast; assertions are on counts, and the only times
asserted are lower bounds (Retry-After was waited) or generous upper bounds (no endless loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email.utils
import json
import time
from typing import Any

import httpx2
import instructor
import openai
import pytest
from tenacity import RetryCallState, Retrying

from summit_extract import (
    ConfigurationError,
    Extraction,
    OutputValidationError,
    RefusalError,
    RetryPolicy,
    Summit,
    TransportError,
    TruncatedOutputError,
    Usage,
    aextract_result,
    extract_result,
    load_provider,
)
from summit_extract._calling import _Wait
from summit_extract._config import STRATEGIES
from summit_extract._planning import Call
from tests.fake_openai import (
    FakeOpenAI,
    article_of,
    empty_choices,
    malformed,
    ok_summit,
    refusal,
    reset,
    schema_violation,
    slow,
    status,
    truncated,
    ungrounded,
)

FAST = RetryPolicy(
    max_retries=2, max_attempts=6, timeout=2.0, total_timeout=60.0, backoff_initial=0.01, backoff_max=0.05
)
#: One request for every Summit field, so that request counts are those of one call (a Summit is
#: otherwise asked in three passes: frame, agreements, disputes).
ONE = ["main"]
#: Re-asks evidence that is not in the article (off by default: such items are dropped at once).
REASK = dataclasses.replace(FAST, reask_ungrounded=True)
JSON_SCHEMA = instructor.Mode.JSON_SCHEMA
TOOLS = instructor.Mode.TOOLS


@pytest.fixture
def srv() -> Any:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture(params=["sync", "async"])
def runner(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(
    srv: FakeOpenAI,
    text: str,
    *,
    runner: str = "sync",
    mode: instructor.Mode = JSON_SCHEMA,
    policy: RetryPolicy = FAST,
    **options: Any,
) -> Extraction[Summit]:
    backend = srv.backend(mode=mode)
    options.setdefault("passes", ONE)
    if runner == "async":
        return asyncio.run(aextract_result(text, Summit, backend=backend, policy=policy, **options))
    return extract_result(text, Summit, backend=backend, policy=policy, **options)


def assert_grounded(result: Extraction[Summit], text: str) -> None:
    """The fake's valid answer: one dispute whose evidence is found verbatim where its span says."""
    (dispute,) = result.value.disputes
    assert dispute.span is not None and dispute.span.alignment == "exact"
    assert text[dispute.span.start : dispute.span.end] == dispute.evidence


# --- rate limits and server errors: retried, Retry-After honoured ------------------------------------


def test_429_with_retry_after_waits_as_told_then_succeeds(
    srv: FakeOpenAI, seed_text: str, runner: str
) -> None:
    srv.script(status(429, headers={"Retry-After": "0.4"}), ok_summit(usage=(120, 30)))
    result = run(srv, seed_text, runner=runner)
    assert (result.attempts, srv.count) == (2, 2)
    assert result.usage == Usage(120, 30)  # the 429 cost nothing
    assert srv.times[1] - srv.times[0] >= 0.4
    assert_grounded(result, seed_text)


def test_429_without_retry_after_backs_off_and_succeeds(srv: FakeOpenAI, seed_text: str) -> None:
    srv.script(status(429), status(429), ok_summit())
    result = run(srv, seed_text)
    assert (result.attempts, srv.count) == (3, 3)
    assert result.usage == Usage(100, 50)


def test_retry_after_ms_is_honoured(srv: FakeOpenAI, seed_text: str) -> None:
    srv.script(status(503, headers={"retry-after-ms": "300"}), ok_summit())
    result = run(srv, seed_text)
    assert result.attempts == 2
    assert srv.times[1] - srv.times[0] >= 0.3


@pytest.mark.parametrize("code", [500, 502, 503, 504, 408, 409])
def test_transient_status_is_retried_then_succeeds(srv: FakeOpenAI, seed_text: str, code: int) -> None:
    srv.script(status(code), status(code), ok_summit())
    result = run(srv, seed_text)
    assert (result.attempts, srv.count) == (3, 3)
    assert result.usage == Usage(100, 50)


def test_html_error_page_on_502_is_retried(srv: FakeOpenAI, seed_text: str) -> None:
    srv.script(status(502, body=b"<html><body>502 Bad Gateway</body></html>"), ok_summit())
    assert run(srv, seed_text).attempts == 2


def test_persistent_5xx_gives_up_after_max_attempts(srv: FakeOpenAI, seed_text: str, runner: str) -> None:
    srv.default = status(500)
    with pytest.raises(TransportError) as info:
        run(srv, seed_text, runner=runner)
    assert info.value.attempts == FAST.max_attempts == srv.count
    assert info.value.usage == Usage(0, 0)
    assert "HTTP 500" in str(info.value) and f"{FAST.max_attempts} request(s)" in str(info.value)


def test_retry_after_longer_than_the_time_left_fails_at_once(srv: FakeOpenAI, seed_text: str) -> None:
    srv.script(status(429, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        run(srv, seed_text)
    assert time.monotonic() - started < 30  # did not sleep for the hour it was asked to
    assert (info.value.attempts, srv.count) == (1, 1)
    assert "Retry-After" in str(info.value)


def test_total_timeout_bounds_an_endless_stream_of_errors(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = status(503)
    policy = RetryPolicy(max_attempts=10_000, total_timeout=1.0, backoff_initial=0.01, backoff_max=0.05)
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        run(srv, seed_text, policy=policy)
    assert time.monotonic() - started < 30
    assert 1 < info.value.attempts < 10_000
    assert info.value.attempts == srv.count


@pytest.mark.parametrize("code", [400, 422])
def test_client_errors_are_not_retried(srv: FakeOpenAI, seed_text: str, code: int) -> None:
    srv.default = status(code)
    with pytest.raises(TransportError) as info:
        run(srv, seed_text)
    assert (info.value.attempts, srv.count) == (1, 1)
    assert f"HTTP {code}" in str(info.value)


def test_401_is_a_configuration_error_not_retried(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = status(401)
    with pytest.raises(ConfigurationError, match="API key") as info:
        run(srv, seed_text)
    assert (info.value.attempts, srv.count) == (1, 1)


def test_404_is_a_configuration_error_naming_the_model(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = status(404)
    with pytest.raises(ConfigurationError, match="fake-model") as info:
        run(srv, seed_text)
    assert (info.value.attempts, srv.count) == (1, 1)


# --- timeouts and lost connections ------------------------------------------------------------------


def test_slow_response_times_out_and_is_retried(srv: FakeOpenAI, seed_text: str, runner: str) -> None:
    srv.script(slow(5.0), ok_summit())
    policy = RetryPolicy(timeout=0.5, backoff_initial=0.01, backoff_max=0.05)
    result = run(srv, seed_text, runner=runner, policy=policy)
    assert (result.attempts, srv.count) == (2, 2)
    assert result.usage == Usage(100, 50)  # the abandoned answer is not counted


def test_always_slow_gives_up_within_its_budget(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = slow(10.0)
    policy = RetryPolicy(max_attempts=3, timeout=0.3, backoff_initial=0.01, backoff_max=0.05)
    started = time.monotonic()
    with pytest.raises(TransportError, match="APITimeoutError") as info:
        run(srv, seed_text, policy=policy)
    assert time.monotonic() - started < 20  # 3 x 0.3 s plus backoff, far from 3 x 10 s
    assert (info.value.attempts, srv.count) == (3, 3)


def test_timeout_is_per_request_not_a_cap_on_reasks(srv: FakeOpenAI, seed_text: str) -> None:
    # Each answer takes 0.4 s of a 0.6 s timeout: three answers (two re-asks) exceed 0.6 s in all,
    # and the re-asks must still happen (instructor alone would stop re-asking after `timeout`).
    srv.script(slow(0.4, ungrounded()), slow(0.4, ungrounded()), slow(0.4, ok_summit()))
    policy = RetryPolicy(
        max_retries=2, timeout=0.6, backoff_initial=0.01, backoff_max=0.05, reask_ungrounded=True
    )
    result = run(srv, seed_text, policy=policy)
    assert result.attempts == 3 and result.dropped == []
    assert_grounded(result, seed_text)


def test_connection_reset_is_retried(srv: FakeOpenAI, seed_text: str, runner: str) -> None:
    srv.script(reset(), reset(), ok_summit())
    result = run(srv, seed_text, runner=runner)
    assert (result.attempts, srv.count) == (3, 3)
    assert_grounded(result, seed_text)


def test_connection_reset_every_time_is_a_transport_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = reset()
    with pytest.raises(TransportError, match="APIConnectionError") as info:
        run(srv, seed_text)
    assert info.value.attempts == FAST.max_attempts == srv.count


def test_unreachable_endpoint_is_a_transport_error(seed_text: str) -> None:
    with FakeOpenAI() as gone:
        backend = gone.backend()
    # the server is shut down: nothing listens on its port any more
    with pytest.raises(TransportError) as info:
        extract_result(seed_text, Summit, backend=backend, passes=ONE, policy=RetryPolicy(
            max_attempts=2, backoff_initial=0.01, backoff_max=0.05))
    assert info.value.attempts == 2


def test_http_200_that_is_not_json_is_retried_as_a_transport_fault(srv: FakeOpenAI, seed_text: str) -> None:
    cut_short = b'{"id": "x", "cho'
    srv.script(status(200, body=b"<html>proxy error</html>"), status(200, body=cut_short), ok_summit())
    result = run(srv, seed_text)
    assert (result.attempts, srv.count) == (3, 3)
    first = srv.requests[0]["messages"]
    assert all(body["messages"] == first for body in srv.requests)  # resent as is, not re-asked


def test_http_200_that_is_never_json_is_a_transport_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = status(200, body=b"<html>proxy error</html>")
    with pytest.raises(TransportError, match="not a chat completion") as info:
        run(srv, seed_text)
    assert info.value.attempts == FAST.max_attempts == srv.count


# --- output that does not validate: re-asked within max_retries -------------------------------------


@pytest.mark.parametrize("mode", [JSON_SCHEMA, TOOLS])
def test_malformed_json_is_reasked_then_succeeds(
    srv: FakeOpenAI, seed_text: str, mode: instructor.Mode
) -> None:
    srv.script(malformed(), ok_summit())
    result = run(srv, seed_text, mode=mode)
    assert (result.attempts, srv.count) == (2, 2)
    assert result.usage == Usage(200, 100)  # both answers are paid for
    assert len(srv.requests[1]["messages"]) > len(srv.requests[0]["messages"])  # the error was fed back
    assert_grounded(result, seed_text)


def test_malformed_json_every_time_is_an_output_validation_error(
    srv: FakeOpenAI, seed_text: str, runner: str
) -> None:
    srv.default = malformed()
    with pytest.raises(OutputValidationError) as info:
        run(srv, seed_text, runner=runner)
    assert not isinstance(info.value, TruncatedOutputError)
    assert info.value.attempts == FAST.max_retries + 1 == srv.count
    assert info.value.usage == Usage(300, 150)
    assert "Summit" in str(info.value) and "<failed_attempts>" not in str(info.value)


def test_schema_violation_is_reasked_with_the_validation_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.script(schema_violation(), ok_summit())
    result = run(srv, seed_text)
    assert result.attempts == 2
    feedback = json.dumps(srv.requests[1]["messages"][len(srv.requests[0]["messages"]) :])
    assert "participants" in feedback  # the invalid field is named to the model


def test_schema_violation_every_time_is_an_output_validation_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = schema_violation()
    with pytest.raises(OutputValidationError, match="participants") as info:
        run(srv, seed_text)
    assert info.value.attempts == 3 and info.value.usage == Usage(300, 150)


# --- truncation: retried with stronger anti-repetition strategies -----------------------------------


def test_truncated_output_is_retried_with_the_next_strategy(
    srv: FakeOpenAI, seed_text: str, runner: str
) -> None:
    srv.script(truncated(), ok_summit())
    result = run(srv, seed_text, runner=runner)
    assert (result.attempts, srv.count) == (2, 2)
    assert result.usage == Usage(200, 2048 + 50)
    first, second = srv.requests
    assert "frequency_penalty" not in first and second["frequency_penalty"] > 0


def test_truncated_every_time_is_a_truncated_output_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = truncated()
    with pytest.raises(TruncatedOutputError) as info:
        run(srv, seed_text)
    assert info.value.attempts == len(STRATEGIES) == srv.count
    assert info.value.usage == Usage(100 * len(STRATEGIES), 2048 * len(STRATEGIES))
    budgets = [body["max_tokens"] for body in srv.requests]
    assert budgets[-1] > budgets[0]  # the last strategy gives more room


# --- refusals and empty answers: typed errors, not re-asked ----------------------------------------


@pytest.mark.parametrize("mode", [JSON_SCHEMA, TOOLS])
def test_refusal_is_a_refusal_error_without_reasks(
    srv: FakeOpenAI, seed_text: str, mode: instructor.Mode, runner: str
) -> None:
    srv.default = refusal()
    with pytest.raises(RefusalError, match="can't help") as info:
        run(srv, seed_text, mode=mode, runner=runner)
    assert (info.value.attempts, srv.count) == (1, 1)
    assert info.value.usage == Usage(100, 12)


def test_empty_choices_is_a_refusal_error(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = empty_choices()
    with pytest.raises(RefusalError, match="no choices") as info:
        run(srv, seed_text)
    assert (info.value.attempts, srv.count) == (1, 1)
    assert info.value.usage == Usage(100, 0)


def test_a_refusal_then_a_valid_answer_after_a_transient_error(srv: FakeOpenAI, seed_text: str) -> None:
    # Declining is remembered per answer: a later valid answer is not mistaken for a refusal.
    srv.script(malformed(), ok_summit())
    assert run(srv, seed_text).attempts == 2


# --- evidence that is not in the article -------------------------------------------------------------


def test_ungrounded_evidence_is_reasked_and_the_answer_is_grounded(
    srv: FakeOpenAI, seed_text: str, runner: str
) -> None:
    srv.script(ungrounded(), ok_summit())
    result = run(srv, seed_text, runner=runner, policy=REASK)
    assert (result.attempts, srv.count) == (2, 2)
    assert "is not in the article" in json.dumps(srv.requests[1]["messages"][2:])
    assert result.value.location is None and result.dropped == []
    assert_grounded(result, seed_text)


def test_ungrounded_evidence_every_time_is_dropped(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = ungrounded()
    result = run(srv, seed_text, policy=REASK)
    assert result.attempts == REASK.max_retries + 1
    assert result.value.location is None and result.value.participants == []
    dropped = sorted(type(item).__name__ for item in result.dropped)
    assert dropped == ["Agreement", "Dispute", "Location", "Participant", "Participant"]
    assert all(item.span is not None and item.span.alignment == "unaligned" for item in result.dropped)


def test_ungrounded_evidence_is_dropped_without_a_reask_by_default(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = ungrounded()
    result = run(srv, seed_text)
    assert (result.attempts, srv.count) == (1, 1)  # a small model mostly repeats itself: not worth it
    assert result.value.location is None and result.value.participants == []
    dropped = sorted(type(item).__name__ for item in result.dropped)
    assert dropped == ["Agreement", "Dispute", "Location", "Participant", "Participant"]
    assert result.value.name is None  # "Paris Peace Summit" is not written in the article either


def test_ungrounded_evidence_every_time_can_be_kept_flagged(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = ungrounded()
    result = run(srv, seed_text, ungrounded="flag")
    assert result.value.location is not None and result.value.location.city == "Paris"
    flagged = {type(item).__name__ for item in result.flagged}
    assert flagged == {"Agreement", "Dispute", "Location", "Participant"}


# --- several passes: what one failing pass costs is reported whole ------------------------------------

#: An article short enough to be asked each pass once, whatever piece size the Summit type reads in.
SHORT = (
    "PARIS - French President Emmanuel Macron hosted German Chancellor Olaf Scholz on Monday. The two "
    "leaders disagreed over farm subsidies but agreed to fund a joint fighter jet."
)


def test_a_failing_pass_reports_every_request_and_token_of_the_article(srv: FakeOpenAI) -> None:
    srv.script(ok_summit(), ok_summit())  # frame and agreements answered (sync: in this order)
    srv.default = status(500)  # disputes never is
    with pytest.raises(TransportError) as info:
        run(srv, SHORT, passes=None)
    assert srv.count == 2 + FAST.max_attempts
    assert info.value.attempts == srv.count
    assert info.value.usage == Usage(200, 100)  # the two answers were paid for


def test_three_passes_are_three_requests_summed_in_the_result(srv: FakeOpenAI) -> None:
    srv.script(ok_summit(usage=(300, 40)), ok_summit(usage=(310, 20)), ok_summit(usage=(320, 30)))
    result = run(srv, SHORT, passes=None)
    assert result.requests == {"frame": 1, "agreements": 1, "disputes": 1}
    assert (result.attempts, result.usage) == (3, Usage(930, 90))
    assert_grounded(result, SHORT)


# --- the SDK's own retries are off, whatever the caller's client says --------------------------------


def test_callers_client_with_sdk_retries_makes_one_request_per_attempt(
    srv: FakeOpenAI, seed_text: str
) -> None:
    client = openai.OpenAI(base_url=srv.base_url, api_key="sk-test")  # SDK default: max_retries=2
    assert client.max_retries == 2
    srv.default = status(503)
    with pytest.raises(TransportError) as info:
        extract_result(
            seed_text, Summit, client=client, model="fake-model", mode=JSON_SCHEMA, policy=FAST, passes=ONE
        )
    assert info.value.attempts == FAST.max_attempts == srv.count


def test_env_configured_backend_makes_one_request_per_attempt(
    srv: FakeOpenAI, seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("SUMMIT_EXTRACT_MODE", "json_schema_mode")
    # The seed and the worked examples fill more than a compatible server's assumed 4,096 tokens: say
    # the window is larger, so the article is one request and every attempt is counted on it.
    monkeypatch.setenv("SUMMIT_EXTRACT_CONTEXT_TOKENS", "8192")
    srv.script(status(500), status(429), reset(), ok_summit())
    result = extract_result(seed_text, Summit, backend=load_provider("openai"), policy=FAST, passes=ONE)
    assert (result.attempts, srv.count) == (4, 4)


async def test_async_callers_client_makes_one_request_per_attempt(srv: FakeOpenAI, seed_text: str) -> None:
    client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="sk-test")
    srv.default = status(500)
    with pytest.raises(TransportError) as info:
        await aextract_result(
            seed_text, Summit, client=client, model="fake-model", mode=JSON_SCHEMA, policy=FAST, passes=ONE
        )
    assert info.value.attempts == FAST.max_attempts == srv.count


# --- the wait between retries is what the documentation says ----------------------------------------


def _state_after(exc: BaseException, attempt: int, policy: RetryPolicy) -> RetryCallState:
    state = RetryCallState(Retrying(), None, (), {})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def _rate_limit(headers: dict[str, str]) -> openai.RateLimitError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return openai.RateLimitError("slow down", response=httpx2.Response(429, headers=headers, request=request),
                                 body=None)


def _wait_for(policy: RetryPolicy) -> _Wait:
    call = Call(backend=load_provider("local"), schema=Summit, messages=[], context=None, policy=policy,
                max_tokens=100)
    return _Wait(call)


def test_backoff_grows_but_never_exceeds_backoff_max() -> None:
    policy = RetryPolicy(backoff_initial=0.5, backoff_max=4.0)
    wait = _wait_for(policy)
    waits = [wait(_state_after(_rate_limit({}), n, policy)) for n in range(1, 40) for _ in range(5)]
    assert all(0 <= w <= policy.backoff_max for w in waits)
    assert max(waits) > policy.backoff_initial  # it does grow (full jitter: some waits are small)


def test_retry_after_forms_are_read() -> None:
    policy = RetryPolicy(total_timeout=900)
    wait = _wait_for(policy)
    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120), usegmt=True)
    assert wait(_state_after(_rate_limit({"Retry-After": "7"}), 1, policy)) == 7.0
    assert wait(_state_after(_rate_limit({"retry-after-ms": "1500"}), 1, policy)) == 1.5
    assert 100 < wait(_state_after(_rate_limit({"Retry-After": later}), 1, policy)) <= 120
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert wait(_state_after(_rate_limit({"Retry-After": past}), 1, policy)) == 0.0
    # Nonsense falls back to backoff rather than failing.
    assert 0 <= wait(_state_after(_rate_limit({"Retry-After": "soon"}), 1, policy)) <= policy.backoff_max


# --- the fake server itself ------------------------------------------------------------------------


def test_fake_server_serves_concurrent_requests_and_counts_them() -> None:
    with FakeOpenAI(latency=0.3) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        from concurrent.futures import ThreadPoolExecutor

        def ask(i: int) -> str:
            reply = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"Article:\nStory number {i} today."}]
            )
            return str(reply.choices[0].message.content)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(8)))
        assert server.count == 8 and server.peak > 1
        assert sorted(article_of(body) for body in server.requests) == sorted(
            f"Story number {i} today." for i in range(8)
        )
        assert all(json.loads(a)["disputes"][0]["evidence"].startswith("Story number") for a in answers)


def test_the_error_keeps_its_root_cause_in_a_finite_chain(srv: FakeOpenAI, seed_text: str) -> None:
    srv.default = reset()
    with pytest.raises(TransportError) as info:
        run(srv, seed_text)
    chain: list[BaseException] = []
    current: BaseException | None = info.value
    while current is not None and len(chain) < 20:
        chain.append(current)
        current = current.__cause__
    assert current is None, [type(e).__name__ for e in chain]  # no loop
    assert isinstance(chain[1], openai.APIConnectionError)
    assert type(chain[-1]).__module__.startswith(("httpx2", "httpcore2")), [type(e) for e in chain]
