"""Word tokenization and sentence splitting for Indian-language text, with exact offsets.

Rules, in the spirit of IL-NER's own tokenization:

- whitespace separates tokens; nothing is ever split inside a grapheme cluster (a letter with its
  matras, virama, nukta, ZWJ/ZWNJ; an emoji sequence), which Python's ``\\w`` would do;
- punctuation is split from words (``,`` ``।`` ``॥`` ``،`` ``؛`` ``؟`` ``۔`` quotes, brackets...),
  a run of one repeated punctuation mark (``''``, ``((``, ``...``) staying one token;
- kept whole: numbers in any digit script (``1,25,000``, ``3.5``, ``१२३``, ``۱۲۳``, ``۳٫۵``), dates and
  fractions (``12/03/2024``, ``2/3``), e-mail addresses, URLs, hyphenated and underscore-joined
  words (``ई-कॉमर्स``, Urdu ``سرمایہ_کاروں``), and initials or abbreviations with their full
  stop (``सी.``, ``डॉ.``, ``Dr.``).

Every token is a (start, end) span into the original string: ``text[start:end]`` is the token.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

import regex

# Longest matches first; \d is any Unicode decimal digit (Devanagari, Arabic-Indic, ...). The
# look-behinds let only the first character of a run start an unbounded match: a match found
# from inside the run would also be found from its start, and without them a long run of letters
# or digits costs time quadratic in its length.
_PROTECTED = regex.compile(
    r"""
      (?:https?://|www\.)[^\s<>"'“”‘’]+[^\s<>"'“”‘’.,;:!?।॥،؛؟۔)\]}]   # URL (no trailing punctuation)
    | (?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+                         # e-mail
    | (?<![\w-])[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|in|co|कॉम)\b  # bare domain
    | (?<!\d)\d+(?:[.,:/+\-٫٬]\d+)+[%٪]?                                # 1,25,000  3.5  12/03/2024  5+3  ۳٫۵
    | (?<=^|\n|[।॥۔؟?!]\s+)\d{1,3}[.۔](?=\s)                              # list number "1." "۱۔"
    | (?<!\d)\d+[%٪]                                                    # 100%  ۱۰۰٪
    | [\p{L}\p{M}\u200c\u200d]{1,4}(?:\.[\p{L}\p{M}\u200c\u200d]{1,4})+\.(?=[\s,;:)\]’”'"]|$)  # U.S.A. डी.के.
    | [\p{L}\p{M}\u200c\u200d]{1,2}(?:\.[\p{L}\p{M}\u200c\u200d]{1,2})+(?=[\s,;:)\]’”'"]|$)    # ଟି.ଟି (not आया.फिर)
    """,
    regex.VERBOSE,
)
# Grapheme clusters, except that whitespace is always its own: a stray vowel sign after a space
# (" ्") is one cluster for Unicode, but the mark must start a token, not vanish with the space.
_CLUSTER = regex.compile(r"\s|\X")
# Marks that end a sentence (the full stop only where it is not part of a token like "3.5" or "डॉ.").
SENTENCE_ENDS = frozenset({"।", "॥", "۔", "؟", "?", "!", "."})
# Tokens that may close a sentence after its end mark (quotes, brackets).
_CLOSERS = frozenset({'"', "'", "”", "’", ")", "]", "}", "»"})
_JOINERS = frozenset({"-"})  # "_" is a word character already
# Abbreviations and initials that keep their full stop (compared in lower case). Hindi writes
# Latin initials by their letter names (ए. पी. जे. अब्दुल कलाम); names that are also common
# words (के, जी, आई, ई, ओ: "वह कल आई.") are left out, so such a full stop ends a sentence.
ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof st sr jr vs govt ltd pvt rs "
    "डॉ डा श्री श्रीमती प्रो सु कु मो स्व रु "
    "ए बी सी डी एफ एच जे एल एम एन पी क्यू आर एस टी यू वी डब्ल्यू एक्स वाई जेड "
    "ଡ ଡଃ ଶ୍ରୀ ଡକ୍ଟର డా శ్రీ ڈاکٹر".split()
)


class Token(NamedTuple):
    text: str
    start: int
    end: int


def grapheme_boundaries(text: str) -> set[int]:
    """Offsets where a token may start or end: between grapheme clusters (whitespace apart, as in
    ``tokenize``), and the two ends of the text."""
    return {m.start() for m in _CLUSTER.finditer(text)} | {len(text)}


def _kind(cluster: str) -> str:
    """"space", "punct" or "word", from the cluster's first character."""
    first = cluster[0]
    if first.isspace():
        return "space"
    category = unicodedata.category(first)
    if first == "_" or category[0] in "LMN":
        return "word"
    if category[0] in "PS" and not (category == "So" and len(cluster) > 1):
        return "punct"
    return "word"  # emoji sequences, other symbols with marks: kept as words


def _is_abbreviation(word: str) -> bool:
    """Initials and listed abbreviations keep their full stop: Latin capitals ("A."), listed words
    and Hindi letter names ("डॉ.", "सी."), and single syllables of the other Indic scripts ("జె.").
    A single Devanagari or Arabic-script syllable is not enough: "है." and "ہے." end sentences."""
    if (len(word) == 1 and "A" <= word <= "Z") or word.lower() in ABBREVIATIONS:
        return True
    if len(_CLUSTER.findall(word)) != 1:
        return False
    return "\u0980" <= word[0] <= "\u0d7f"  # Bengali ... Malayalam blocks


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with their character spans (see the module docstring for the rules)."""
    protected = {m.start(): m.end() for m in _PROTECTED.finditer(text)}
    tokens: list[Token] = []
    word_start: int | None = None

    def close_word(end: int) -> None:
        nonlocal word_start
        if word_start is not None:
            tokens.append(Token(text[word_start:end], word_start, end))
            word_start = None

    clusters = [(m.start(), m.group()) for m in _CLUSTER.finditer(text)]
    i = 0
    while i < len(clusters):
        start, cluster = clusters[i]
        if start in protected:
            end = protected[start]
            while i < len(clusters) and clusters[i][0] < end:  # end at a cluster boundary
                i += 1
            end = clusters[i][0] if i < len(clusters) else len(text)
            if word_start is None:
                tokens.append(Token(text[start:end], start, end))
            # else: the span continues a word ("PM2.5", "Rs1,000"); the word goes on after it
            continue
        kind = _kind(cluster)
        if kind == "word":
            if word_start is None:
                word_start = start
        elif kind == "space":
            close_word(start)
        else:
            following = clusters[i + 1][1] if i + 1 < len(clusters) else ""
            if cluster in _JOINERS and word_start is not None and following and _kind(following) == "word":
                i += 1  # a hyphen or underscore inside a word
                continue
            if cluster == "." and word_start is not None and _is_abbreviation(text[word_start:start]):
                close_word(start + 1)
                i += 1
                continue
            close_word(start)
            end = start + len(cluster)
            while i + 1 < len(clusters) and clusters[i + 1][1] == cluster and cluster not in ",،":  # '' ((
                i += 1
                end += len(cluster)
            tokens.append(Token(text[start:end], start, end))
        i += 1
    close_word(len(text))
    return tokens


def split_sentences(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Sentences as (first, end) token index ranges: a sentence ends at an end mark and the
    quotes or brackets written right after it. A full stop inside a token (3.5, डॉ.) ends nothing."""
    spans: list[tuple[int, int]] = []
    begin = 0
    i = 0
    while i < len(tokens):
        if set(tokens[i].text) <= SENTENCE_ENDS:
            end = i + 1
            while end < len(tokens) and set(tokens[end].text) <= SENTENCE_ENDS:  # "?!"
                end += 1
            # Closing quotes and brackets written right after the end mark belong to the sentence.
            while end < len(tokens) and set(tokens[end].text) <= _CLOSERS and tokens[end].start == tokens[end - 1].end:
                end += 1
            spans.append((begin, end))
            begin = i = end
            continue
        i += 1
    if begin < len(tokens):
        spans.append((begin, len(tokens)))
    return spans


_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%।॥،؛؟۔’”»")
_NO_SPACE_AFTER = frozenset("([{‘“«")


def detokenize(tokens: Sequence[str]) -> str:
    """Plain text from tokens, with punctuation attached as it is usually written."""
    out: list[str] = []
    for i, token in enumerate(tokens):
        if i and not (set(token) <= _NO_SPACE_BEFORE) and not (set(tokens[i - 1]) <= _NO_SPACE_AFTER):
            out.append(" ")
        out.append(token)
    return "".join(out)
