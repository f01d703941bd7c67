"""Real answers of the embedded model, read from the recorded cassettes (read only: never written here).

The cassettes under ``cassettes/`` hold what the embedded model really said to the library's requests. The
fakes of the chat endpoint and of the Batch API answer from them, so a batch, a Ray run and ``extract_many``
can be compared on the same real answers. Requests are matched on their messages and sampling settings
(not the model name or the token budget, which differ between the local backend and a fake one), with
pydantic's versioned error URLs masked as the cassette matcher does.

A request the cassettes do not hold verbatim (the prompt changed since they were recorded, the article
type now asks in several passes, or a long article is asked chunk by chunk) gets the model's recorded
answer for the same article (the whole article for a chunk) and turn (first
answer, answer to the first re-ask, ...), cut down to the fields the request's schema asks for: still the
model's own words, though no longer the model's answer to that exact prompt.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from summit_extract.providers._streaming import completion_of_events
from tests.fake_openai import article_of
from tests.paths import CASSETTES

__all__ = ["RecordedAnswers", "answer_key", "recorded"]

_PYDANTIC_URL = re.compile(r"https://errors\.pydantic\.dev/[^/\s\"']+/")
#: Request fields that decide what the model says (the model name and max_tokens do not, here).
_KEYED = (
    "messages",
    "temperature",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "response_format",
    "tools",
)


def answer_key(body: dict[str, Any]) -> str:
    """The lookup key of a chat request body."""
    keyed = {name: body.get(name) for name in _KEYED if name != "response_format" and name != "tools"}
    # The schema name only: JSON modes send the schema itself, which is the same for every Summit request.
    rf = body.get("response_format") or {}
    keyed["schema"] = (rf.get("json_schema") or {}).get("name")
    return _PYDANTIC_URL.sub("https://errors.pydantic.dev/VERSION/", json.dumps(keyed, sort_keys=True))


@dataclass(frozen=True)
class RecordedAnswers:
    """Every recorded exchange: request key -> the chat.completion JSON the model answered."""

    answers: dict[str, dict[str, Any]]
    #: The article of every first request for a Summit, in cassette order, without duplicates.
    articles: list[str]
    #: A Summit article's recorded answers by turn: the first answer, then the answer to each re-ask.
    turns: dict[str, list[dict[str, Any]]]

    def get(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The recorded answer to this request; else the article's answer for this turn, cut to the schema."""
        exact = self.answers.get(answer_key(body))
        if exact is not None:
            return exact
        article = article_of(body)
        turns = self.turns.get(article)
        if turns is None:  # a chunk of a long article: the whole article's answers
            turns = next((t for whole, t in self.turns.items() if article and article in whole), None)
        if not turns:
            return None
        answer = turns[min(_turn(body), len(turns) - 1)]
        fields = _asked_fields(body)
        content = _content(answer)
        if fields is None or content is None:
            return answer
        try:
            value = json.loads(content)
        except ValueError:
            return answer
        if not isinstance(value, dict):
            return answer
        projected = json.dumps({k: v for k, v in value.items() if k in fields}, ensure_ascii=False)
        return _with_content(answer, projected, body)


def _turn(body: dict[str, Any]) -> int:
    """How many answers the conversation already holds after the article (0 for a first request)."""
    messages = body.get("messages", [])
    last_article = max(
        (n for n, m in enumerate(messages) if str(m.get("content") or "").startswith("Article:\n")), default=0
    )
    return sum(1 for m in messages[last_article + 1 :] if m.get("role") == "assistant")


def _asked_fields(body: dict[str, Any]) -> set[str] | None:
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema")
    if schema is None and body.get("tools"):
        schema = body["tools"][0].get("function", {}).get("parameters")
    props = (schema or {}).get("properties")
    return set(props) if isinstance(props, dict) else None


def _content(answer: dict[str, Any]) -> str | None:
    choices = answer.get("choices") or []
    if not choices:
        return None
    message = choices[0].get("message") or {}
    calls = message.get("tool_calls") or []
    if calls:
        return str(calls[0].get("function", {}).get("arguments"))
    content = message.get("content")
    return content if isinstance(content, str) else None


def _with_content(answer: dict[str, Any], content: str, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if body.get("tools"):
        name = body["tools"][0].get("function", {}).get("name", "answer")
        call = {"id": "call_recorded", "type": "function", "function": {"name": name, "arguments": content}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    choice = dict(answer["choices"][0], message=message)
    return dict(answer, choices=[choice])


def _merged(answer: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """``answer`` with ``fields`` as its JSON content: the answers of an article's passes, joined."""
    choice = dict(answer["choices"][0], message={"role": "assistant", "content": json.dumps(fields)})
    return dict(answer, choices=[choice])


@functools.cache
def recorded() -> RecordedAnswers:
    """Load every cassette once."""
    answers: dict[str, dict[str, Any]] = {}
    articles: list[str] = []
    turns: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(CASSETTES.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for exchange in data.get("interactions", []):
            request, response = exchange["request"], exchange["response"]
            if not request.get("body") or response["status"]["code"] != 200:
                continue
            body = json.loads(request["body"])
            raw = response["body"]["string"]
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            # The embedded backend streams its answers: what the library made of the stream is the answer.
            answer = completion_of_events(data) if data.lstrip().startswith(b"data:") else json.loads(data)
            answers.setdefault(answer_key(body), answer)
            name = str(((body.get("response_format") or {}).get("json_schema") or {}).get("name") or "")
            article = article_of(body)
            if not name.startswith("Summit") or "frequency_penalty" in body:
                continue
            # A Summit is asked in passes (SummitFrame, SummitAgreements, ...): an article counts once,
            # by its first frame request; each pass's answers are kept by turn, merged into one answer.
            turn = _turn(body)
            if name in ("SummitFrame", "Summit") and turn == 0 and article not in articles:
                articles.append(article)
            recorded_turns = turns.setdefault(article, [])
            while len(recorded_turns) <= turn:
                recorded_turns.append(_merged(answer, {}))
            content = _content(answer)
            try:
                fields = json.loads(content) if content else {}
            except ValueError:
                fields = {}
            if isinstance(fields, dict):
                merged = {**json.loads(_content(recorded_turns[turn]) or "{}"), **fields}
                recorded_turns[turn] = _merged(answer, merged)
    return RecordedAnswers(answers, articles, turns)
