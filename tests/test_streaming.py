"""Ending an answer at its first repeated list item (summit_extract/providers/_streaming.py).

The scanner is checked on answers fed a character at a time; the transport against a stand-in server
that streams server-sent events as llama.cpp does, and counts how much of its stream was read, since a
real server only loops on its own schedule. The recorded seed replays the same path end to end
(tests/test_extract_recorded.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
from hypothesis import given
from hypothesis import strategies as st

from summit_extract.providers._streaming import AsyncStopRepeats, RepeatWatch, StopRepeats

ITEM_A = {"evidence": "agreed to cooperate on chips", "subject": "chips", "parties": ["Japan", "Japan"]}
ITEM_B = {"evidence": "a row over \"quotas\" {and} [more]", "subject": "quotas"}


def fed(text: str) -> RepeatWatch:
    watch = RepeatWatch()
    for ch in text:
        if watch.feed(ch):
            break
    return watch


def test_the_first_repeated_item_ends_the_answer_before_it() -> None:
    answer = json.dumps({"disputes": [ITEM_A, ITEM_B, ITEM_A, ITEM_A, ITEM_A]})
    watch = fed(answer)
    assert watch.repeat_at is not None
    # Stopped as soon as the repeat closed, not at the end of the loop.
    assert len(watch.text) < len(answer) - 2 * len(json.dumps(ITEM_A))
    assert json.loads(watch.answer()) == {"disputes": [ITEM_A, ITEM_B]}


def test_distinct_items_and_repeats_inside_an_item_are_no_loop() -> None:
    # ITEM_A names a party twice, and the two lists share an item: neither is a repeat of the same list.
    answer = json.dumps({"agreements": [ITEM_A, ITEM_B], "disputes": [ITEM_A]})
    watch = fed(answer)
    assert watch.repeat_at is None
    assert json.loads(watch.answer()) == json.loads(answer)


def test_the_same_item_written_with_other_spacing_is_a_repeat() -> None:
    answer = '{"x": [{"a": 1, "b": [2]}, {"a":1,"b":[ 2 ]}, {"a": 3}]}'
    assert json.loads(fed(answer).answer()) == {"x": [{"a": 1, "b": [2]}]}


@given(st.lists(st.text(max_size=12), min_size=1, max_size=6, unique=True), st.data())
def test_any_list_of_distinct_items_then_a_repeat_keeps_the_distinct_items(
    subjects: list[str], data: st.DataObject
) -> None:
    items = [{"subject": s, "n": i} for i, s in enumerate(subjects)]
    again = data.draw(st.sampled_from(items))
    answer = json.dumps({"items": [*items, again, *items]}, ensure_ascii=data.draw(st.booleans()))
    assert json.loads(fed(answer).answer()) == {"items": items}


# A stand-in for llama.cpp's streamed chat completion: one event per token, prompt progress first.
def events(tokens: list[str], *, prompt: int = 120, cached: int = 100) -> list[bytes]:
    head = {"id": "chatcmpl-1", "created": 1, "model": "m", "object": "chat.completion.chunk"}
    out = [{**head, "choices": [], "prompt_progress": {"total": prompt, "cache": cached, "processed": 20}}]
    for token in tokens:
        out.append({**head, "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}]})
    out.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": prompt, "completion_tokens": len(tokens), "total_tokens": prompt + len(tokens)}
    details = {"prompt_tokens_details": {"cached_tokens": cached}}
    out.append({**head, "choices": [], "usage": {**usage, **details}})
    return [f"data: {json.dumps(e)}\n\n".encode() for e in out] + [b"data: [DONE]\n\n"]


class Server:
    """Streams ``tokens`` as events and counts the events read, and the requests it was sent."""

    def __init__(self, tokens: list[str], *, whole: bool = False) -> None:
        self.tokens = tokens
        self.whole = whole
        self.read = 0
        self.requests: list[dict[str, Any]] = []

    def respond(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content) if request.content else {}
        self.requests.append(body)
        if self.whole or not body.get("stream"):
            answer = {"id": "1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "".join(self.tokens)},
                 "finish_reason": "stop"}]}
            return httpx2.Response(200, json=answer)
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=self.stream())

    def chunks(self) -> Iterator[bytes]:
        for event in events(self.tokens):
            self.read += 1
            yield event

    def stream(self) -> Any:
        server = self

        class Body(httpx2.SyncByteStream, httpx2.AsyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                yield from server.chunks()

            async def __aiter__(self) -> AsyncIterator[bytes]:
                for chunk in server.chunks():
                    yield chunk

        return Body()


def tokens_of(answer: dict[str, Any]) -> list[str]:
    text = json.dumps(answer)
    return [text[i : i + 4] for i in range(0, len(text), 4)]


LOOP = {"disputes": [ITEM_B, ITEM_A, *[ITEM_A] * 6]}
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "List the disputes."}], "max_tokens": 500}


def post(
    transport: httpx2.BaseTransport, body: dict[str, Any] = REQUEST, path: str = "/v1/chat/completions"
) -> Any:
    with httpx2.Client(transport=transport, base_url="http://model") as client:
        return client.post(path, json=body)


def test_a_looping_answer_reaches_the_sdk_as_one_completion_ended_at_the_repeat() -> None:
    server = Server(tokens_of(LOOP))
    response = post(StopRepeats(httpx2.MockTransport(server.respond)))
    completion = response.json()
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["finish_reason"] == "stop"
    assert json.loads(completion["choices"][0]["message"]["content"]) == {"disputes": [ITEM_B, ITEM_A]}
    # It asked for a stream with the prompt's progress, and stopped reading it at the repeat.
    assert server.requests[0]["stream"] is True and server.requests[0]["return_progress"] is True
    assert server.requests[0]["max_tokens"] == 500
    assert server.read < len(events(server.tokens)) / 2
    # Usage as the server reported the prompt, and the tokens it had written when the answer ended.
    usage = completion["usage"]
    assert (usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"]) == (120, 100)
    assert 0 < usage["completion_tokens"] == server.read - 1 < len(server.tokens)


def test_an_answer_without_repeats_is_read_to_its_end_with_the_servers_usage() -> None:
    answer = {"disputes": [ITEM_B, ITEM_A]}
    server = Server(tokens_of(answer))
    completion = post(StopRepeats(httpx2.MockTransport(server.respond))).json()
    assert json.loads(completion["choices"][0]["message"]["content"]) == answer
    assert completion["usage"]["completion_tokens"] == len(server.tokens)
    assert server.read == len(events(server.tokens))


def test_a_server_that_answers_whole_and_other_requests_pass_through() -> None:
    server = Server(tokens_of(LOOP), whole=True)
    completion = post(StopRepeats(httpx2.MockTransport(server.respond))).json()
    assert json.loads(completion["choices"][0]["message"]["content"]) == LOOP  # nothing to cut: as sent
    plain = Server(tokens_of(LOOP))
    post(StopRepeats(httpx2.MockTransport(plain.respond)), {"input": "x"}, "/v1/embeddings")
    assert "stream" not in plain.requests[0]


def test_the_async_transport_ends_the_loop_the_same_way() -> None:
    server = Server(tokens_of(LOOP))

    async def run() -> Any:
        transport = AsyncStopRepeats(httpx2.MockTransport(server.respond))
        async with httpx2.AsyncClient(transport=transport, base_url="http://model") as client:
            return (await client.post("/v1/chat/completions", json=REQUEST)).json()

    completion = asyncio.run(run())
    assert json.loads(completion["choices"][0]["message"]["content"]) == {"disputes": [ITEM_B, ITEM_A]}
    assert server.read < len(events(server.tokens)) / 2
