"""Which writing system a character or token belongs to, from Unicode block ranges.

Unicode's Indic blocks are laid out in parallel (the same offset is the same letter in
Devanagari, Bengali, Odia, Telugu, ...), so block ranges are all later stages need: stats,
script detection, and character-by-character script conversion.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable

# (first code point, last code point, script name), sorted by first code point.
_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x0030, 0x0039, "Digits"),
    (0x0041, 0x005A, "Latin"),
    (0x0061, 0x007A, "Latin"),
    (0x00C0, 0x024F, "Latin"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0A00, 0x0A7F, "Gurmukhi"),
    (0x0A80, 0x0AFF, "Gujarati"),
    (0x0B00, 0x0B7F, "Odia"),
    (0x0B80, 0x0BFF, "Tamil"),
    (0x0C00, 0x0C7F, "Telugu"),
    (0x0C80, 0x0CFF, "Kannada"),
    (0x0D00, 0x0D7F, "Malayalam"),
    (0x08A0, 0x08FF, "Arabic"),
    (0x1E00, 0x1EFF, "Latin"),
    (0xA8E0, 0xA8FF, "Devanagari"),
    (0xFB50, 0xFDFF, "Arabic"),
    (0xFE70, 0xFEFF, "Arabic"),
)
_SORTED = sorted(_BLOCKS)
_STARTS = [start for start, _, _ in _SORTED]

# Parallel Indic blocks: same 128-code-point layout, usable for character-by-character conversion.
INDIC_BLOCK_START: dict[str, int] = {
    "Devanagari": 0x0900,
    "Bengali": 0x0980,
    "Gurmukhi": 0x0A00,
    "Gujarati": 0x0A80,
    "Odia": 0x0B00,
    "Tamil": 0x0B80,
    "Telugu": 0x0C00,
    "Kannada": 0x0C80,
    "Malayalam": 0x0D00,
}


# Danda and double danda sit in the Devanagari block but end sentences in most Indic scripts.
_SHARED_PUNCTUATION = frozenset({0x0964, 0x0965})


def script_of_char(char: str) -> str | None:
    """The script of one character, or None for punctuation, symbols and scripts not listed."""
    code = ord(char)
    if code in _SHARED_PUNCTUATION:
        return None
    index = bisect_right(_STARTS, code) - 1
    if index >= 0:
        start, end, name = _SORTED[index]
        if start <= code <= end:
            return name
    return None


def script_of_token(token: str) -> str | None:
    """The script of a token's first letter; "Digits" only when it has no letter at all."""
    digits = False
    for char in token:
        script = script_of_char(char)
        if script == "Digits":
            digits = True
        elif script is not None:
            return script
    return "Digits" if digits else None


def count_scripts(tokens: Iterable[str]) -> Counter[str]:
    """Tokens per script (tokens with no letter or digit are counted as "Other")."""
    per_type = Counter(tokens)
    counts: Counter[str] = Counter()
    for token, n in per_type.items():
        counts[script_of_token(token) or "Other"] += n
    return counts
