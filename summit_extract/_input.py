"""Checking the article before any tokens are spent on it: the first stage of every extraction."""

from __future__ import annotations

import re
import unicodedata

from ._exceptions import InputError

#: Longest article accepted, in characters. Longer texts are chunked up to this size, never beyond.
MAX_CHARS = 400_000

_HTML = re.compile(r"<(html|body|div|p|span|head|script|table|br)\b[^>]*>", re.I)


def check_text(text: object, *, max_chars: int = MAX_CHARS) -> str:
    """Return the article as a str, or raise InputError saying what is wrong and what to do."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(
                "The article is bytes that are not UTF-8. Decode it yourself with the right encoding "
                "(e.g. data.decode('latin-1')) and pass a str."
            ) from None
    if not isinstance(text, str):
        raise InputError(f"The article must be a str, not {type(text).__name__}.")
    if not text.strip():
        raise InputError("The article is empty or only whitespace; pass the article's text.")
    if len(text) > max_chars:
        raise InputError(
            f"The article is {len(text):,} characters; the limit is {max_chars:,}. Split it into "
            "articles, or raise max_chars if it really is one article."
        )
    controls = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t")
    if "\x00" in text or controls > max(8, len(text) // 100):
        raise InputError(
            "The article looks like binary data, not text (it has control characters). "
            "Pass the article's text."
        )
    if len(_HTML.findall(text)) >= 3:
        raise InputError(
            "The article looks like HTML. Pass its visible text instead (for example "
            "BeautifulSoup(html, 'html.parser').get_text('\\n')), so evidence offsets point into the text."
        )
    return text
