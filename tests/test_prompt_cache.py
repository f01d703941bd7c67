"""The embedded server's prompt cache on disk (providers/_prompt_cache.py): saved once per process after
the library's first request, restored when a new server starts, never read across models or builds, off
with SUMMIT_EXTRACT_PROMPT_CACHE=0.

The server here is a stand-in for llama.cpp's ``/slots/0?action=save|restore`` endpoints, which write and
read a file in the server's ``slot_save_path`` (the folder joined to the file name as a plain string); the
real server does the same in the live test (test_local_model.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from summit_extract.providers._prompt_cache import PROMPT_CACHE_ENV, PromptCache
from tests.stand_in import StandIn


class SlotServer(StandIn):
    """llama.cpp's slot endpoints over a folder; ``busy`` makes saves fail as a busy slot does."""

    def __init__(self, save_path: str) -> None:
        self.save_path = save_path
        self.calls: list[tuple[str, str]] = []
        self.busy = 0
        self.slot = b"tokens and their KV cache"
        super().__init__(self.answer)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        action = parse_qs(urlparse(path).query)["action"][0]
        name = body["filename"]
        self.calls.append((action, name))
        file = Path(self.save_path + name)
        if action == "save" and self.busy:
            self.busy -= 1
            return 400, {"error": {"message": "slot is busy"}}
        if action == "save":
            file.write_bytes(self.slot)
            return 200, {"n_saved": 3}
        if file.read_bytes().startswith(b"tokens"):
            return 200, {"n_restored": 1626}
        return 400, {"error": {"message": "invalid slot file"}}


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PROMPT_CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def cache_for(model: str = "model-sha") -> PromptCache:
    cache = PromptCache.from_env(Path("/unused"), model)
    assert cache is not None
    return cache


@pytest.fixture
def server(folder: Path) -> Iterator[SlotServer]:
    slots = SlotServer(cache_for().prepare())
    yield slots
    slots.close()


def test_the_slot_is_saved_once_after_the_first_request_and_restored_by_the_next_process(
    folder: Path, server: SlotServer
) -> None:
    first = cache_for()
    first.restore(server.root)  # nothing saved yet: nothing asked of the server
    assert server.calls == [] and first.restored_tokens == 0
    for _ in range(4):
        first.before_request(server.root)
    # Saved before the second request (the first one's prompt is in the slot), under a temporary name
    # renamed when whole, and not again.
    (saved,) = server.calls
    assert saved[0] == "save" and saved[1].startswith(first.name) and saved[1].endswith(".partial")
    assert [p.name for p in folder.iterdir()] == [first.name]

    second = cache_for()  # a new process, the same model and build
    second.restore(server.root)
    assert server.calls[-1] == ("restore", first.name) and second.restored_tokens == 1626


def test_a_busy_slot_is_saved_at_a_later_request_and_three_failures_end_trying(
    folder: Path, server: SlotServer
) -> None:
    server.busy = 1
    cache = cache_for()
    for _ in range(3):
        cache.before_request(server.root)
    assert [a for a, _ in server.calls] == ["save", "save"] and (folder / cache.name).is_file()

    server.busy, server.calls = 99, []
    stubborn = cache_for("another-model")
    for _ in range(10):
        stubborn.before_request(server.root)
    assert len(server.calls) == 3 and not (folder / stubborn.name).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_a_file_that_does_not_restore_is_removed(folder: Path, server: SlotServer) -> None:
    cache = cache_for()
    (folder / cache.name).write_bytes(b"half a file")
    cache.restore(server.root)
    assert cache.restored_tokens == 0 and not (folder / cache.name).exists()


def test_another_model_or_build_never_reads_the_file() -> None:
    assert cache_for("model-a").name != cache_for("model-b").name


@pytest.mark.parametrize("setting", ["0", "off"])
def test_it_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    monkeypatch.setenv(PROMPT_CACHE_ENV, setting)
    assert PromptCache.from_env(Path("/unused"), "model-sha") is None


def test_by_default_it_lives_in_the_library_s_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMPT_CACHE_ENV)
    cache = PromptCache.from_env(Path("/home/user/.cache/summit-extract/prompt-cache"), "model-sha")
    assert cache is not None and cache.path.parent == Path("/home/user/.cache/summit-extract/prompt-cache")
