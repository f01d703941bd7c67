"""The HTML report in a real headless Chromium: highlights render in their colours, and hover links them.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ending
in NUL on file descriptors 3 and 4), so no driver or extra package is needed, only the browser
(Debian: ``apt-get install -y chromium chromium-driver``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summit_extract import Summit
from summit_extract._interfaces.report import colours, render_html
from tests.test_report import SEED_SUMMIT, grounded

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium is not installed (Debian: apt-get install -y chromium chromium-driver)",
)


class Browser:
    """A headless Chromium spoken to over the DevTools protocol on a pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def wire() -> None:  # in the child: the protocol's fixed descriptors 3 (in) and 4 (out)
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.process = subprocess.Popen(
            [
                binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-extensions", "--mute-audio",
                f"--user-data-dir={profile}", "--remote-debugging-pipe", "--window-size=1400,1000",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False,
        )  # fmt: skip
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command (to the attached page, once there is one) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
        raise TimeoutError(f"no answer to {method}")

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.navigate", url=url)
        # The blank page is "complete" too: wait for the report itself to have loaded.
        loaded = f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        for _ in range(200):
            if self.evaluate(loaded) is True:
                return
            time.sleep(0.05)
        raise TimeoutError(f"{url} did not load")

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    assert CHROMIUM is not None
    chromium = Browser(CHROMIUM, tmp_path / "profile")  # a fresh profile each time
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def seed_report(tmp_path: Path, seed_text: str) -> tuple[Path, Summit]:
    summit = grounded(seed_text, SEED_SUMMIT)
    page = tmp_path / "report.html"
    page.write_text(render_html(seed_text, summit, title="Japan and South Korea in Seoul"), encoding="utf-8")
    return page, summit


def rgb(hex_colour: str) -> str:
    """A CSS hex colour as getComputedStyle reports it."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


MARKS_JS = """
Array.from(document.querySelectorAll("#article mark")).map(m => ({
  kinds: m.dataset.kinds, items: m.dataset.items, text: m.textContent,
  background: getComputedStyle(m).backgroundColor,
  visible: m.getBoundingClientRect().width > 0 && m.getBoundingClientRect().height > 0,
}))
"""


def test_highlights_render_with_the_colour_of_their_kind(
    browser: Browser, seed_report: tuple[Path, Summit], seed_text: str, tmp_path: Path
) -> None:
    page, summit = seed_report
    browser.open(page.as_uri())
    assert browser.evaluate("document.title") == "Japan and South Korea in Seoul"
    assert browser.evaluate("document.getElementById('article').textContent") == seed_text

    marks = browser.evaluate(MARKS_JS)
    assert len(marks) >= 10
    palette = colours(summit)  # one colour per item class
    for mark in marks:
        primary = mark["kinds"].split()[0]
        assert mark["background"] == rgb(palette[primary]), mark
        assert mark["visible"], mark
    rendered = {kind for mark in marks for kind in mark["kinds"].split()}
    classes = {"participant", "location", "summit-date", "agreement", "dispute", "statement"}
    assert rendered == set(palette) == classes
    # Each participant's name is highlighted where the article names them.
    highlighted = " ".join(m["text"] for m in marks if "participant" in m["kinds"])
    for person in summit.participants:
        assert person.name is not None and person.name in highlighted

    shot = browser.send("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    (tmp_path / "report.png").write_bytes(png)


def test_hovering_a_highlight_lights_up_its_item_and_the_reverse(
    browser: Browser, seed_report: tuple[Path, Summit]
) -> None:
    page, _ = seed_report
    browser.open(page.as_uri())
    hover = """
    (() => {
      const over = el => el.dispatchEvent(new MouseEvent("mouseenter"));
      const out = el => el.dispatchEvent(new MouseEvent("mouseleave"));
      const mark = Array.from(document.querySelectorAll("mark")).find(m => m.dataset.items === "dispute-0");
      const item = document.getElementById("item-dispute-0");
      const before = item.classList.contains("active");
      over(mark);
      const lit = item.classList.contains("active");
      const outline = getComputedStyle(item).outlineStyle;
      out(mark);
      const after = item.classList.contains("active");
      const row = document.getElementById("item-participant-1");
      over(row);
      const marks = Array.from(document.querySelectorAll("mark.active")).map(m => m.textContent);
      out(row);
      return {before, lit, outline, after, marks, left: document.querySelectorAll(".active").length};
    })()
    """
    state = browser.evaluate(hover)
    assert state["before"] is False and state["lit"] is True and state["after"] is False
    assert state["outline"] == "solid"
    assert state["marks"] == ["Fumio Kishida"]
    assert state["left"] == 0


def test_legend_toggle_hides_a_kind(browser: Browser, seed_report: tuple[Path, Summit]) -> None:
    page, summit = seed_report
    browser.open(page.as_uri())
    toggle = """
    (() => {
      const box = document.querySelector('input[data-toggle="statement"]');
      box.click();
      const mark = document.querySelector("mark.k-statement");
      const hidden = getComputedStyle(mark).backgroundColor;
      box.click();
      return {hidden, shown: getComputedStyle(mark).backgroundColor};
    })()
    """
    state = browser.evaluate(toggle)
    assert state["hidden"] == "rgba(0, 0, 0, 0)"
    assert state["shown"] == rgb(colours(summit)["statement"])


def test_a_trade_deal_renders_in_the_colours_of_its_own_classes(browser: Browser, tmp_path: Path) -> None:
    from tests.test_tradedeal_rules import ANSWER, TEXT, finished

    deal = finished(ANSWER)
    page = tmp_path / "deal.html"
    page.write_text(render_html(TEXT, deal, title="Chile and Canada"), encoding="utf-8")
    browser.open(page.as_uri())
    assert browser.evaluate("document.getElementById('article').textContent") == TEXT
    palette = colours(deal)
    assert set(palette) == {"party", "deal-date", "commitment", "concern"}
    marks = browser.evaluate(MARKS_JS)
    assert {kind for mark in marks for kind in mark["kinds"].split()} == set(palette)
    for mark in marks:
        assert mark["background"] == rgb(palette[mark["kinds"].split()[0]]), mark
    hover = """
    (() => {
      const marks = Array.from(document.querySelectorAll("mark"));
      const mark = marks.find(m => m.dataset.items === "commitment-1");
      mark.dispatchEvent(new MouseEvent("mouseenter"));
      const lit = document.getElementById("item-commitment-1").classList.contains("active");
      mark.dispatchEvent(new MouseEvent("mouseleave"));
      return {lit, text: mark.textContent, legend: document.querySelectorAll("input[data-toggle]").length};
    })()
    """
    state = browser.evaluate(hover)
    assert state == {
        "lit": True,
        "text": "Chile will cut its duty on Canadian pork from 12% to 4%",
        "legend": 4,
    }
