"""Real answers of the embedded model, read from the recorded cassettes (read only: never written here).

The cassettes under ``cassettes/`` hold what the embedded model really said to the library's requests. The
fakes of the chat endpoint and of the Batch API answer from them, so a batch, a Ray run and ``extract_many``
can be compared on the same real answers. Requests are matched on their messages and sampling settings
(not the model name or the token budget, which differ between the local backend and a fake one), with
pydantic's versioned error URLs masked as the cassette matcher does.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

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

    def get(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The recorded answer to this request, if one was recorded."""
        return self.answers.get(answer_key(body))


@functools.cache
def recorded() -> RecordedAnswers:
    """Load every cassette once."""
    answers: dict[str, dict[str, Any]] = {}
    articles: list[str] = []
    for path in sorted(CASSETTES.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for exchange in data.get("interactions", []):
            request, response = exchange["request"], exchange["response"]
            if not request.get("body") or response["status"]["code"] != 200:
                continue
            body = json.loads(request["body"])
            raw = response["body"]["string"]
            answer = json.loads(raw if isinstance(raw, str) else raw.decode("utf-8"))
            answers.setdefault(answer_key(body), answer)
            name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
            article = article_of(body)
            first = len(body.get("messages", [])) == 2 and "frequency_penalty" not in body
            if name == "Summit" and first and article not in articles:
                articles.append(article)
    return RecordedAnswers(answers, articles)
