"""The suite cannot go live by accident: remote connections fail, and a missing cassette is an error.

pytest runs with ``--block-network --allowed-hosts=127.0.0.1,localhost --record-mode=none`` (pyproject's
addopts): only loopback (the fake server, vcrpy's dead local port) is reachable, and vcrpy answers from
cassettes or fails. Tests that run the embedded model for real are marked ``local_model`` and deselected.
These tests check that configuration and that the guard really stops a connection and a library call.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import instructor
import openai
import pytest
from pytest_recording.network import is_host_in_allowed_hosts

from summit_extract import Backend, RetryPolicy, Summit, TransportError, extract_result

#: Addresses reserved for documentation (RFC 5737): never anyone's server, so nothing is contacted even
#: if the guard were off; the connect would merely time out.
PUBLIC = ("192.0.2.1", "198.51.100.7", "203.0.113.9")
FAST = RetryPolicy(max_attempts=2, timeout=3.0, backoff_initial=0.01, backoff_max=0.02)


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it was raised from."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # chains can loop back on themselves
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


@pytest.fixture
def replaying(request: pytest.FixtureRequest) -> None:
    if str(request.config.getoption("--record-mode")) not in ("none", "None"):
        pytest.skip("recording cassettes opens the network on purpose; the guard is checked when replaying")


def test_suite_blocks_the_network_and_replays_only(request: pytest.FixtureRequest, replaying: None) -> None:
    config = request.config
    assert config.getoption("--block-network") is True
    assert str(config.getoption("--record-mode")) == "none"
    hosts = str(config.getoption("--allowed-hosts")).split(",")
    # Anchored patterns: pytest-recording matches by regex, so a bare "localhost" would admit
    # "localhost.example.com".
    assert set(hosts) <= {r"^127\.0\.0\.1$", "^localhost$", r"^::1$"}, hosts
    assert "not local_model" in config.option.markexpr


@pytest.mark.parametrize("host", PUBLIC)
def test_allowed_hosts_admit_loopback_only(request: pytest.FixtureRequest, host: str) -> None:
    hosts = str(request.config.getoption("--allowed-hosts")).split(",")
    assert is_host_in_allowed_hosts("127.0.0.1", hosts)
    assert not is_host_in_allowed_hosts(host, hosts)
    assert not is_host_in_allowed_hosts("localhost.example.com", hosts)


@pytest.mark.parametrize("host", PUBLIC)
def test_a_connection_to_a_remote_address_is_refused(replaying: None, host: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        with pytest.raises(RuntimeError, match="Network is disabled"):
            sock.connect((host, 443))
        with pytest.raises(RuntimeError, match="Network is disabled"):
            sock.connect_ex((host, 80))


def test_loopback_stays_reachable_for_the_fake_server(replaying: None) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_an_extraction_against_a_remote_endpoint_fails_without_leaving(
    replaying: None, seed_text: str
) -> None:
    remote = f"http://{PUBLIC[0]}/v1"
    backend = Backend(
        name="remote",
        model="gpt-4o-mini",
        mode=instructor.Mode.TOOLS,
        make_client=lambda: openai.OpenAI(base_url=remote, api_key="unused", max_retries=0),
        make_async_client=lambda: openai.AsyncOpenAI(base_url=remote, api_key="unused", max_retries=0),
    )
    with pytest.raises(TransportError) as info:
        extract_result(seed_text, Summit, backend=backend, policy=FAST)
    assert info.value.attempts == FAST.max_attempts
    assert any("Network is disabled" in str(e) for e in chain(info.value)), list(chain(info.value))


@pytest.mark.vcr("this_cassette_was_never_recorded.yaml")
def test_a_missing_cassette_is_an_error_not_a_live_call(
    replaying: None, local_backend: Backend, seed_text: str
) -> None:
    with pytest.raises(TransportError) as info:
        extract_result(seed_text, Summit, backend=local_backend, policy=FAST)
    names = [type(e).__name__ for e in chain(info.value)]
    assert "CannotOverwriteExistingCassetteException" in names, names
