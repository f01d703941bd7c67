"""The embedded provider without the model: its file check and its server's restart, on fakes.

The model file is a tiny fake GGUF (MODEL_SIZE, MODEL_SHA256 and the part paths patched); the server is
a fake ``xllamacpp`` module whose Server is the fault server. Nothing here loads or joins the real model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import types
from pathlib import Path
from typing import Any

import pytest

from summit_extract import ConfigurationError, RetryPolicy, Summit, TransportError, extract_result
from summit_extract._runners.batch import extract_many
from summit_extract.providers import local
from tests.fake_openai import FakeOpenAI, drip

CONTENT = b"GGUF" + bytes(range(256)) * 4


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    parts = []
    for n, start in enumerate(range(0, len(CONTENT), 300)):
        part = tmp_path / "parts" / f"part{n}.bin"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(CONTENT[start : start + 300])
        parts.append(part)
    monkeypatch.setenv("SUMMIT_EXTRACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(local.GGUF_ENV, raising=False)
    monkeypatch.setattr(local, "MODEL_SIZE", len(CONTENT))
    monkeypatch.setattr(local, "MODEL_SHA256", hashlib.sha256(CONTENT).hexdigest())
    monkeypatch.setattr(local, "_part_paths", lambda: list(parts))
    hashed: list[Path] = []
    real = local._sha256

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(local, "_sha256", counting)
    target = tmp_path / "cache" / local.MODEL_FILE
    return {"parts": parts, "target": target, "marker": target.with_suffix(".verified"), "hashed": hashed}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part-" in p.name or p.name.endswith(".tmp"))


def test_the_file_is_joined_verified_and_its_marker_names_hash_size_and_mtime(
    fake_model: dict[str, Any],
) -> None:
    path = local.ensure_model_file()
    assert path.read_bytes() == CONTENT
    marker = json.loads(fake_model["marker"].read_text())
    st = path.stat()
    assert marker == {"sha256": local.MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
                      "inode": st.st_ino}
    hashed = len(fake_model["hashed"])
    assert local.ensure_model_file() == path and len(fake_model["hashed"]) == hashed  # trusted: no re-hash


def test_a_size_equal_corrupt_file_is_caught_and_joined_again(fake_model: dict[str, Any]) -> None:
    path = local.ensure_model_file()
    corrupt = bytearray(CONTENT)
    corrupt[100] ^= 0xFF
    time.sleep(0.01)
    path.write_bytes(bytes(corrupt))  # same size, new mtime: the old marker no longer vouches for it
    assert local.ensure_model_file().read_bytes() == CONTENT
    assert json.loads(fake_model["marker"].read_text())["mtime_ns"] == path.stat().st_mtime_ns


def test_a_replaced_file_with_the_old_mtime_is_caught_by_its_inode(fake_model: dict[str, Any]) -> None:
    path = local.ensure_model_file()
    st = path.stat()
    corrupt = bytearray(CONTENT)
    corrupt[7] ^= 0x01
    replacement = path.with_name("other.gguf")
    replacement.write_bytes(bytes(corrupt))
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    replacement.replace(path)
    assert local.ensure_model_file().read_bytes() == CONTENT


@pytest.mark.parametrize(
    "marker_text",
    ["", "not json", json.dumps({"sha256": "0" * 64}), hashlib.sha256(CONTENT).hexdigest() + "\n"],
    ids=["empty", "garbage", "another-hash", "old-format"],
)
def test_a_marker_that_does_not_vouch_for_the_file_means_hashing_it_again(
    fake_model: dict[str, Any], marker_text: str
) -> None:
    path = local.ensure_model_file()
    fake_model["marker"].write_text(marker_text)
    fake_model["hashed"].clear()
    assert local.ensure_model_file() == path and path.read_bytes() == CONTENT
    assert fake_model["hashed"] == [path]  # the file in place was hashed, not joined again
    assert json.loads(fake_model["marker"].read_text())["sha256"] == local.MODEL_SHA256


def test_a_file_for_another_hash_is_replaced_by_the_parts(
    fake_model: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = local.ensure_model_file()
    new = CONTENT[::-1]
    for part, start in zip(fake_model["parts"], range(0, len(new), 300), strict=True):
        part.write_bytes(new[start : start + 300])
    monkeypatch.setattr(local, "MODEL_SHA256", hashlib.sha256(new).hexdigest())  # a new model version
    assert local.ensure_model_file().read_bytes() == new == path.read_bytes()


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError, ConfigurationError])
def test_no_partial_file_is_left_whatever_interrupts_the_join(
    fake_model: dict[str, Any], monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    def broken(path: Path) -> None:
        raise interruption("interrupted")

    monkeypatch.setattr(local, "_verify", broken)
    with pytest.raises(interruption):
        local.ensure_model_file()
    folder = fake_model["target"].parent
    assert leftovers(folder) == [] and not fake_model["target"].exists()


def test_a_missing_part_mid_join_leaves_nothing_behind(fake_model: dict[str, Any]) -> None:
    fake_model["parts"][2].unlink()
    with pytest.raises(FileNotFoundError):
        local.ensure_model_file()
    assert leftovers(fake_model["target"].parent) == []


def test_a_corrupt_join_is_refused_and_removed(fake_model: dict[str, Any]) -> None:
    fake_model["parts"][0].write_bytes(b"XXXX" + CONTENT[4:300])  # same size, wrong bytes
    with pytest.raises(ConfigurationError, match="sha256"):
        local.ensure_model_file()
    assert leftovers(fake_model["target"].parent) == [] and not fake_model["target"].exists()


# -- the server: restarted once if it dies, never hammered when it stays dead -------------------------------


@pytest.fixture
def fake_xllamacpp(monkeypatch: pytest.MonkeyPatch) -> list[FakeOpenAI]:
    started: list[FakeOpenAI] = []

    class Server:
        def __init__(self, params: Any) -> None:
            self.srv = FakeOpenAI().__enter__()
            self.srv.params = params  # type: ignore[attr-defined]  # what the server was started with
            started.append(self.srv)
            self.listening_address = f"http://127.0.0.1:{self.srv.port}"

    def params() -> Any:
        ns = types.SimpleNamespace
        return ns(model=ns(path=None), cpuparams=ns(), cpuparams_batch=ns())

    module = types.SimpleNamespace(Server=Server, CommonParams=params)
    monkeypatch.setitem(__import__("sys").modules, "xllamacpp", module)
    monkeypatch.setattr(local, "ensure_model_file", lambda: Path("/nonexistent/fake.gguf"))
    monkeypatch.setattr(local, "_server", None)
    monkeypatch.setattr(local, "_restarts", 0)
    yield started
    for srv in started:
        srv.__exit__(None, None, None)


#: One request per extraction (a Summit is otherwise asked in several passes).
ONE = ["main"]

TEXT = "Officials of Chile and Peru disagreed on Tuesday over fishing quotas in shared waters."
FAST = RetryPolicy(max_retries=0, max_attempts=4, timeout=5.0, backoff_initial=0.01, backoff_max=0.02)


def kill(srv: FakeOpenAI) -> None:
    srv.__exit__(None, None, None)


def test_a_dead_server_is_started_again_once_and_the_request_goes_to_it(
    fake_xllamacpp: list[FakeOpenAI],
) -> None:
    backend = local.backend()
    first = extract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)
    assert first.attempts == 1 and len(fake_xllamacpp) == 1
    kill(fake_xllamacpp[0])
    second = extract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)
    assert second.attempts == 1  # not one attempt burned on the dead server
    assert len(fake_xllamacpp) == 2 and fake_xllamacpp[1].count == 1


async def test_the_async_client_follows_a_restart_too(fake_xllamacpp: list[FakeOpenAI]) -> None:
    from summit_extract import aextract_result

    backend = local.backend()
    await aextract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)
    kill(fake_xllamacpp[0])
    result = await aextract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)
    assert result.attempts == 1 and fake_xllamacpp[1].count == 1


def test_a_server_that_dies_again_stops_the_batch_with_a_record_for_every_item(
    fake_xllamacpp: list[FakeOpenAI], tmp_path: Path
) -> None:
    backend = local.backend()
    out = tmp_path / "out.jsonl"
    extract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)
    kill(fake_xllamacpp[0])
    extract_result(TEXT, Summit, backend=backend, policy=FAST, passes=ONE)  # restarted
    kill(fake_xllamacpp[1])
    items = [f"{TEXT} Item {n}." for n in range(4)]
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match="stopped again after a restart"):
        extract_many(items, backend=backend, out=out, policy=FAST, cache=False, concurrency=1, passes=ONE)
    assert time.monotonic() - started < 5  # no backoff, no attempts burned per item
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4 and all(r["error"]["type"] == "ConfigurationError" for r in rows)
    assert sum(r["attempts"] for r in rows) <= 1
    assert len(fake_xllamacpp) == 2  # restarted once, not again


def test_one_slot_by_default_and_three_on_request_each_with_a_whole_context(
    fake_xllamacpp: list[FakeOpenAI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUMMIT_EXTRACT_PROMPT_CACHE", "0")
    monkeypatch.delenv(local.PARALLEL_ENV, raising=False)
    one = local._running()
    params: Any = fake_xllamacpp[0].params  # type: ignore[attr-defined]
    assert (params.n_parallel, params.n_ctx) == (1, local.CONTEXT_TOKENS)
    assert one.fork is None and one.scratch is None and not hasattr(params, "slot_save_path")
    assert local.backend().parallel_passes == 1
    local._shutdown()

    monkeypatch.setenv(local.PARALLEL_ENV, "3")
    three = local._running()
    params = fake_xllamacpp[1].params  # type: ignore[attr-defined]
    assert (params.n_parallel, params.n_ctx, params.kv_unified) == (3, 3 * local.CONTEXT_TOKENS, False)
    assert params.cache_ram_mib == 0  # the host-memory cache would move the copied prompts away
    # With no prompt-cache folder, the copies between slots go through a folder of the server's own,
    # removed when it stops.
    assert three.fork is not None and three.scratch is not None and three.scratch.is_dir()
    assert params.slot_save_path == f"{three.scratch}/"
    assert local.backend().parallel_passes == 3 and local.backend().share_prefix is not None
    local._shutdown()
    assert not three.scratch.exists()


def test_a_stuck_generation_on_the_embedded_backend_is_tried_twice_not_max_attempts_times() -> None:
    assert local.backend().timeout_attempts == 2
    with FakeOpenAI() as srv:
        srv.default = drip(10.0)
        backend = dataclasses.replace(srv.backend(), timeout_attempts=local.backend().timeout_attempts)
        policy = RetryPolicy(
            max_retries=0, max_attempts=6, timeout=0.5, backoff_initial=0.01, backoff_max=0.02
        )
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"ran past the [01] s timeout"):
            extract_result(TEXT, Summit, backend=backend, policy=policy, passes=ONE)
        assert srv.count == 2
        assert time.monotonic() - started < 2.5  # 6 attempts would take 3 s or more
