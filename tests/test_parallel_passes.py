"""Passes over one piece of an article sent at once (``Backend.parallel_passes``), after the backend has
been handed the prompt they share (``Backend.share_prefix``); and the embedded server's side of it
(providers/_slots.py): the shared prompt read once in one slot and copied into the others.

The engine runs against the fault server (tests/fake_openai.py), which counts the requests it serves at
once; the slot copy runs against a stand-in for llama.cpp's ``/apply-template``, ``/completion`` and
``/slots`` endpoints. The real server does the same in the live test (test_local_model.py).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from summit_extract import RetryPolicy, aextract_result, extract_result
from summit_extract._planning import plan_article
from summit_extract.providers._slots import PARALLEL_ENV, SlotFork, parallel_passes
from summit_extract.summit import Summit
from tests.fake_openai import FakeOpenAI
from tests.stand_in import StandIn

TEXT = (
    "President Lula of Brazil met President Roh Moo-hyun of South Korea in Brasilia on Monday. "
    "The two leaders signed an agreement on energy cooperation, and disagreed over beef import quotas."
)
FAST = RetryPolicy(max_retries=0, max_attempts=2, timeout=10.0, backoff_initial=0.01, backoff_max=0.02)

Shared = list[list[list[dict[str, str]]]]


def backend_with(srv: FakeOpenAI, width: int, shared: Shared) -> Any:
    def share(requests: Sequence[Sequence[Mapping[str, str]]]) -> None:
        shared.append([[dict(m) for m in messages] for messages in requests])

    return dataclasses.replace(srv.backend(), parallel_passes=width, share_prefix=share)


def test_a_long_article_runs_as_one_run_per_piece_whole_article_pass_first(seed_text: str) -> None:
    with FakeOpenAI() as srv:
        plan = plan_article(seed_text, Summit, backend=srv.backend())
    runs = [[job.key for job in run] for run in plan.runs(3)]
    assert runs == [["frame", "agreements@1", "disputes@1"], ["agreements@2", "disputes@2"]]
    assert [[job.key for job in run] for run in plan.runs(2)] == [
        ["frame", "agreements@1"],
        ["disputes@1"],
        ["agreements@2", "disputes@2"],
    ]
    assert all(len(run) == 1 for run in plan.runs(1))


def test_passes_go_out_at_once_after_the_backend_is_handed_their_shared_prompt() -> None:
    shared: Shared = []
    with FakeOpenAI(latency=0.4) as srv:
        result = extract_result(TEXT, Summit, backend=backend_with(srv, 3, shared), policy=FAST)
        assert srv.peak == 3  # frame, agreements and disputes were in the server at the same time
        assert srv.count == 3
    assert sorted(result.requests) == ["agreements", "disputes", "frame"]
    assert len(shared) == 1 and len(shared[0]) == 3
    for messages in shared[0]:  # each request as sent: the article, then its own pass's task last
        assert any(TEXT in m["content"] for m in messages)
    assert len({json.dumps(messages[-1]) for messages in shared[0]}) == 3


async def test_the_async_twin_sends_a_run_at_once_too() -> None:
    shared: Shared = []
    with FakeOpenAI(latency=0.4) as srv:
        result = await aextract_result(TEXT, Summit, backend=backend_with(srv, 3, shared), policy=FAST)
        assert srv.peak == 3 and srv.count == 3
    assert len(shared) == 1 and result.value.is_summit is not None


def test_one_pass_at_a_time_shares_nothing_and_keeps_the_server_to_one_request() -> None:
    shared: Shared = []
    with FakeOpenAI(latency=0.2) as srv:
        extract_result(TEXT, Summit, backend=backend_with(srv, 1, shared), policy=FAST)
        assert srv.peak == 1 and srv.count == 3
    assert shared == []


def test_a_failed_pass_in_a_run_fails_the_extraction_with_the_whole_articles_usage() -> None:
    from summit_extract import ExtractionError
    from tests.fake_openai import status

    with FakeOpenAI(latency=0.2) as srv:
        srv.default = status(400)
        with pytest.raises(ExtractionError) as caught:
            extract_result(TEXT, Summit, backend=backend_with(srv, 3, []), policy=FAST)
    assert caught.value.attempts == 3  # every pass of the run was charged, not only the one raised


def test_parallel_passes_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARALLEL_ENV, raising=False)
    assert parallel_passes() == 1
    monkeypatch.setenv(PARALLEL_ENV, "3")
    assert parallel_passes() == 3
    for wrong in ("0", "-2", "three"):
        monkeypatch.setenv(PARALLEL_ENV, wrong)
        assert parallel_passes() == 1


# -- the embedded server's slots ------------------------------------------------------------------------


class SlotsServer(StandIn):
    """llama.cpp's template, completion and slot endpoints over a folder, with ``slots`` slots.

    ``/completion`` reads the prompt into the slot it answers from (``primed_into``); ``busy`` names slots
    whose restore fails as a busy slot's does."""

    def __init__(self, save_path: str, slots: int = 3, primed_into: int = 1) -> None:
        self.save_path = save_path
        self.slots: dict[int, str] = dict.fromkeys(range(slots), "")
        self.primed_into = primed_into
        self.busy: set[int] = set()
        self.calls: list[tuple[str, Any]] = []
        super().__init__(self.answer)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = urlparse(path)
        self.calls.append((url.path, body))
        if url.path == "/apply-template":
            rendered = "".join(f"<{m['role']}>{m['content']}</>" for m in body["messages"])
            return 200, {"prompt": rendered + "<assistant>"}
        if url.path == "/completion":
            self.slots[self.primed_into] = body["prompt"]
            return 200, {"id_slot": self.primed_into, "content": ""}
        slot = int(url.path.rsplit("/", 1)[-1])
        file = Path(self.save_path + body["filename"])
        if parse_qs(url.query)["action"][0] == "save":
            file.write_text(self.slots[slot])
            return 200, {"n_saved": len(self.slots[slot])}
        if slot in self.busy:
            return 400, {"error": {"message": "slot is busy"}}
        self.slots[slot] = file.read_text()
        return 200, {"n_restored": len(self.slots[slot])}


@pytest.fixture
def slots(tmp_path: Path) -> Iterator[SlotsServer]:
    server = SlotsServer(f"{tmp_path}/")
    yield server
    server.close()


ARTICLE = "An article long enough to be worth sharing. " * 8


def passes(*tasks: str) -> list[list[dict[str, str]]]:
    head = [{"role": "system", "content": "Extract."}, {"role": "user", "content": ARTICLE}]
    return [[*head, {"role": "user", "content": task}] for task in tasks]


def test_the_shared_prompt_is_read_once_and_copied_into_every_other_slot(
    slots: SlotsServer, tmp_path: Path
) -> None:
    fork = SlotFork(tmp_path, 3)
    assert fork.share(slots.root, passes("Task: the frame.", "Task: agreements.", "Task: disputes.")) == 2
    read = [body for path, body in slots.calls if path == "/completion"]
    assert len(read) == 1 and read[0]["n_predict"] == 0 and read[0]["cache_prompt"] is True
    shared = read[0]["prompt"]
    assert shared.endswith(ARTICLE + "</><user>Task: ")  # everything the three prompts have in common
    assert set(slots.slots.values()) == {shared}  # slot 1 read it, slots 0 and 2 got a copy
    assert [p for p, _ in slots.calls].count("/slots/1") == 1  # saved from the slot that read it
    assert not any(tmp_path.glob("fork-*"))  # the copy's file is gone


def test_a_busy_slot_keeps_its_own_prompt_and_the_others_get_the_copy(
    slots: SlotsServer, tmp_path: Path
) -> None:
    slots.busy = {2}
    slots.slots[2] = "another caller's article"
    assert SlotFork(tmp_path, 3).share(slots.root, passes("Task: a.", "Task: b.")) == 1
    assert slots.slots[2] == "another caller's article"


def test_nothing_is_copied_for_one_request_one_slot_or_a_short_shared_prompt(
    slots: SlotsServer, tmp_path: Path
) -> None:
    assert SlotFork(tmp_path, 3).share(slots.root, passes("Task: alone.")) == 0
    assert SlotFork(tmp_path, 1).share(slots.root, passes("Task: a.", "Task: b.")) == 0
    short = [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]]
    assert SlotFork(tmp_path, 3).share(slots.root, short) == 0
    assert not any(path == "/completion" for path, _ in slots.calls)


def test_a_server_that_cannot_copy_never_fails_the_extraction(tmp_path: Path) -> None:
    fork = SlotFork(tmp_path, 3)
    assert fork.share("http://127.0.0.1:9", passes("Task: a.", "Task: b.")) == 0  # nothing listens there
