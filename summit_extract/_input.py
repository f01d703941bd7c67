"""Checking the article before any tokens are spent on it: the first stage of every extraction."""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata

from ._aligning import FoldedText
from ._exceptions import InputError

__all__ = ["MAX_CHARS", "check_text", "injected_spans", "not_utf8"]

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
        raise InputError(not_utf8(data, exc.start)) from None


def not_utf8(data: bytes, at: int) -> str:
    """What to say of bytes that are not UTF-8, the same from Python, a file or stdin."""
    return (
        f"The article is not UTF-8 text (byte {at} is {data[at]:#04x}): binary data, or text in another "
        "encoding such as cp1252. Convert it to UTF-8 (iconv -f cp1252 -t utf-8 < in.txt > out.txt), or "
        "decode it yourself with its encoding (data.decode('cp1252')) and pass the str."
    )


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
#: Matched on the folded text (case-folded, composed, one space between words), in English, French,
#: Spanish, German, Portuguese and Italian.
_INJECTION = re.compile(
    "|".join(
        [
            # English
            r"\b(?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your)\s+)*"
            r"(?:previous|prior|above|earlier|preceding|system|original)\s+"
            r"(?:instructions?|prompts?|directions|rules)",
            r"\b(?:new|updated)\s+instructions?\s*:",
            r"\byou\s+are\s+now\s+(?:an?\s+)?(?:ai|assistant|language\s+model|chatbot|dan)\b",
            r"\b(?:system|developer)\s+prompt\b",
            # French
            r"\b(?:ignore[zs]?|oublie[zs]?|ne\s+tenez\s+pas\s+compte\s+des?)\s+(?:(?:toutes|tous|les|des|vos|tes)\s+)*"
            r"(?:instructions?|consignes?|directives?|règles)\s+"
            r"(?:précédentes?|antérieures?|ci-dessus|du\s+système|initiales?)",
            r"\bnouvelles?\s+(?:instructions?|consignes?)\s*:",
            r"\b(?:tu\s+es|vous\s+êtes)\s+(?:maintenant|désormais)\s+(?:une?\s+)?"
            r"(?:ia|assistant|modèle\s+de\s+langage|chatbot)\b",
            r"\bprompt\s+(?:du\s+)?système\b",
            # Spanish
            r"\b(?:ignora|ignore|ignoren|olvida|olvide|olviden|omite)\s+(?:(?:todas|todos|las|los|tus|sus)\s+)*"
            r"(?:instrucciones|indicaciones|órdenes|reglas)\s+(?:anteriores|previas|del\s+sistema|originales)",
            r"\bnuevas\s+instrucciones\s*:",
            r"\bahora\s+eres\s+(?:una?\s+)?(?:ia|asistente|modelo\s+de\s+lenguaje|chatbot)\b",
            r"\bprompt\s+del\s+sistema\b",
            # German (case-folded: ß is ss)
            r"\b(?:ignoriere|ignorier|ignorieren\s+sie|vergiss|vergessen\s+sie|missachte)\s+"
            r"(?:(?:alle|die|deine|ihre|sämtliche)\s+)*(?:vorherigen|bisherigen|obigen|früheren|vorigen|"
            r"ursprünglichen)\s+(?:anweisungen|instruktionen|befehle|regeln|anordnungen)",
            r"\bneue\s+anweisungen\s*:",
            r"\b(?:du\s+bist|sie\s+sind)\s+(?:jetzt|nun|ab\s+sofort)\s+(?:eine?n?\s+)?"
            r"(?:ki|assistent|sprachmodell|chatbot)\b",
            r"\bsystem-?prompt\b",
            # Portuguese
            r"\b(?:ignore|ignora|ignorem|esqueça|esqueca|esqueçam|desconsidere)\s+"
            r"(?:(?:todas|todos|as|os|suas|tuas)\s+)*(?:instruções|instrucoes|orientações|regras)\s+"
            r"(?:anteriores|prévias|previas|do\s+sistema|originais)",
            r"\bnovas\s+instruções\s*:",
            r"\bagora\s+(?:você|voce|tu)\s+(?:é|e|és)\s+(?:uma?\s+)?"
            r"(?:ia|assistente|modelo\s+de\s+linguagem|chatbot)\b",
            r"\bprompt\s+do\s+sistema\b",
            # Italian
            r"\b(?:ignora|ignorate|ignori|dimentica|dimenticate|trascura)\s+"
            r"(?:(?:tutte|tutti|le|gli|i|tue|sue)\s+)*(?:istruzioni|indicazioni|regole|direttive)\s+"
            r"(?:precedenti|anteriori|del\s+sistema|originali)",
            r"\bnuove\s+istruzioni\s*:",
            r"\b(?:ora|adesso)\s+sei\s+(?:una?n?\s+)?(?:ia|assistente|modello\s+linguistico|chatbot)\b",
            r"\bprompt\s+di\s+sistema\b",
        ]
    )
)
#: The end of a sentence: terminal punctuation, closing quotes, then space.
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’»)\]]*\s+")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
#: A blank line between paragraphs, whatever the line endings.
_BLANK_LINE = re.compile(r"(?>\r\n|\n|\r)[^\S\r\n]*(?>\r\n|\n|\r)")  # atomic: CRLF is one break


def injected_spans(text: str) -> list[tuple[int, int]]:
    """Where the article carries instructions addressed to the model (see :func:`_injected_spans`).

    Cached by text: grounding asks once per item of an answer, the quarantine once per answer.
    """
    return list(_injected_spans(text))


@functools.lru_cache(maxsize=16)
def _injected_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where the article carries instructions addressed to the model: from such a phrase's sentence to its
    paragraph's end. Evidence found only there is not something the article reports.

    Paragraphs end at a blank line; in a text that has no blank line at all (one paragraph per line), at
    the end of the line. Any line endings (LF, CRLF, CR) and Unicode forms (composed or not) work.
    """
    folded = FoldedText(text)
    blank_lines = _BLANK_LINE.search(text) is not None
    spans: list[tuple[int, int]] = []
    for match in _INJECTION.finditer(folded.text):
        begin, finish = folded.span(match.start(), match.end())
        if spans and begin < spans[-1][1]:
            continue
        start = 0
        for end_of_sentence in _SENTENCE_END.finditer(text, 0, begin):
            start = end_of_sentence.end()
        for line_break in _LINE_BREAK.finditer(text, start, begin):
            start = line_break.end()
        ender = (_BLANK_LINE if blank_lines else _LINE_BREAK).search(text, finish)
        spans.append((start, len(text) if ender is None else ender.start()))
    return tuple(spans)
