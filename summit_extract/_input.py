"""Checking the article before any tokens are spent on it: the first stage of every extraction."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ._exceptions import InputError

#: Longest article accepted, in characters. Longer texts are chunked up to this size, never beyond.
MAX_CHARS = 400_000

_HTML = re.compile(r"<(html|body|div|p|span|head|script|table|br)\b[^>]*>", re.I)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Byte order marks that say for certain how bytes are encoded.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decode(data: bytes) -> str:
    """Bytes as text: as their byte order mark says, else UTF-8; anything else is the caller's to decode."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"The article is bytes that are not UTF-8 (byte {exc.start} is {data[exc.start]:#04x}): either "
            "binary data or text in another encoding. Decode it yourself with the right encoding "
            "(e.g. data.decode('cp1252')) and pass a str."
        ) from None


def check_text(text: object, *, max_chars: int = MAX_CHARS) -> str:
    """Return the article as a str, or raise InputError saying what is wrong and what to do."""
    if isinstance(text, (bytes, bytearray)):
        text = _decode(bytes(text))
    if not isinstance(text, str):
        raise InputError(f"The article must be a str, not {type(text).__name__}.")
    if not text.strip():
        raise InputError("The article is empty or only whitespace; pass the article's text.")
    if len(text) > max_chars:
        raise InputError(
            f"The article is {len(text):,} characters; the limit is {max_chars:,}. Split it into "
            "articles, or raise max_chars if it really is one article."
        )
    if bad := _SURROGATE.search(text):
        # Not encodable as UTF-8, so no request could carry it; it comes from errors="surrogateescape".
        raise InputError(
            f"The article has an unpaired surrogate (U+{ord(bad.group()):04X} at character {bad.start()}), "
            "which is not text: it was decoded from bytes with the wrong encoding. Decode the bytes with "
            "their real encoding and pass that str."
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


#: Phrases that address a language model rather than report news: the start of an injected instruction.
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*"
    r"(?:previous|prior|above|earlier|preceding|system|original)\s+(?:instructions?|prompts?|directions|rules)"
    r"|\b(?:new|updated)\s+instructions?\s*:"
    r"|\byou\s+are\s+now\s+(?:an?\s+)?(?:AI|assistant|language\s+model|chatbot|DAN)\b"
    r"|\b(?:system|developer)\s+prompt\b",
    re.IGNORECASE,
)


def injected_spans(text: str) -> list[tuple[int, int]]:
    """Where the article carries instructions addressed to the model: from such a phrase's sentence to its
    paragraph's end. Evidence found only there is not something the article reports."""
    spans: list[tuple[int, int]] = []
    for match in _INJECTION.finditer(text):
        if spans and match.start() < spans[-1][1]:
            continue
        start = max(text.rfind(". ", 0, match.start()) + 2, text.rfind("\n", 0, match.start()) + 1, 0)
        end = text.find("\n\n", match.end())
        spans.append((start, len(text) if end < 0 else end))
    return spans
