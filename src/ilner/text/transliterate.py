"""Script transforms for tokens: keep them native, map Brahmic scripts onto Devanagari, or romanize.

A model pretrained mostly on Devanagari (or on Latin) can share more of its vocabulary with Odia
or Telugu when those are shown in the script it knows. Both transforms work on single tokens and
never merge or split them, so tags stay aligned. Urdu (Arabic script) is left native by both:
its letters do not correspond one to one with any Brahmic script.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

from ilner.errors import IlnerError
from ilner.text.scripts import INDIC_BLOCK_START, script_of_char

SCRIPT_TRANSFORMS: tuple[str, ...] = ("native", "devanagari", "roman")

_DEVANAGARI = INDIC_BLOCK_START["Devanagari"]
_BLOCK_SIZE = 128
_ZWNJ, _ZWJ = "\u200c", "\u200d"
_NUKTA_OFFSET = 0x3C


def _same_kind(a: str, b: str) -> bool:
    """Both letters, both marks, both digits...: Unicode's major category (L, M, N, P, S)."""
    return unicodedata.category(a)[0] == unicodedata.category(b)[0]


def _devanagari_table() -> dict[int, int]:
    """Same offset in Devanagari, for every code point whose Devanagari counterpart is assigned and
    of the same kind: a letter or sign must not turn into punctuation (Gurmukhi tippi would become
    the abbreviation sign ॰) nor a symbol into a letter."""
    table: dict[int, int] = {}
    for script, start in INDIC_BLOCK_START.items():
        if script == "Devanagari":
            continue
        for offset in range(_BLOCK_SIZE):
            source, target = chr(start + offset), chr(_DEVANAGARI + offset)
            if unicodedata.name(source, None) and unicodedata.name(target, None) and _same_kind(source, target):
                table[start + offset] = _DEVANAGARI + offset
    return table


# Letters and signs whose counterpart by offset is another kind of character, mapped to the
# Devanagari they are read as: ORIYA LETTER WA (U+0B71, as in ଭୁବନେଶ୍ୱର, 147 times in Odia test
# alone) and Assamese RA and WA (U+09F0, U+09F1) would become signs; Gurmukhi tippi and Telugu's
# combining anusvara are nasal signs like anusvara; the Tamil aytham is read as visarga.
_LETTER_FIXES = {0x0B71: 0x0935, 0x09F0: 0x0930, 0x09F1: 0x0935, 0x0A70: 0x0902, 0x0C04: 0x0902, 0x0B83: 0x0903}
_TO_DEVANAGARI = _devanagari_table() | _LETTER_FIXES


def to_devanagari(text: str) -> str:
    """Map Bengali, Gurmukhi, Gujarati, Odia, Tamil, Telugu, Kannada and Malayalam onto Devanagari.

    Unicode lays these blocks out in parallel, so one code point becomes the code point at the
    same offset in Devanagari and the output has exactly the length of the input (character
    offsets, e.g. of entity spans, stay valid). Code points with no assigned Devanagari
    counterpart of the same kind, and everything outside those blocks (Devanagari, Urdu, Latin,
    digits, punctuation, ZWJ/ZWNJ, emoji), are left as they are (Bengali khanda ta, Gurmukhi
    addak, Malayalam chillus, fraction and currency signs stay native). The mapping is by
    position, except for the letters and signs of ``_LETTER_FIXES``.
    """
    return text.translate(_TO_DEVANAGARI)


# --- Romanization -------------------------------------------------------------------------

# indic_transliteration's names for our scripts. Tamil goes through Devanagari: the library's
# Tamil scheme reads unmarked த, ப, ச as the voiced aspirates "dh", "bh", "jh". Known and kept:
# it gives Bengali ব as "v" (বাংলা "vāṁlā"), where Bengali readers would write "b".
_SANSCRIPT_SOURCE: dict[str, str] = {
    "Devanagari": "devanagari",
    "Bengali": "bengali",
    "Gurmukhi": "gurmukhi",
    "Gujarati": "gujarati",
    "Odia": "oriya",
    "Tamil": "devanagari",
    "Telugu": "telugu",
    "Kannada": "kannada",
    "Malayalam": "malayalam",
}
_ROMAN_SCHEME = "iso"


def _nukta_letters() -> dict[str, dict[str, str]]:
    """Per script with a nukta sign: each consonant + nukta that Unicode encodes as one letter."""
    letters: dict[str, dict[str, str]] = {}
    for script, start in INDIC_BLOCK_START.items():
        nukta = chr(start + _NUKTA_OFFSET)
        if not unicodedata.name(nukta, "").endswith("SIGN NUKTA"):
            continue  # Tamil has none; Malayalam's U+0D3C is a virama
        letters[script] = {}
        for code in range(start, start + _BLOCK_SIZE):
            decomposed = unicodedata.normalize("NFD", chr(code))
            if len(decomposed) == 2 and decomposed[1] == nukta:
                letters[script][decomposed] = chr(code)
    return letters


def _stray_nukta(script: str, letters: dict[str, str]) -> re.Pattern[str]:
    """A nukta that does not follow a consonant it makes an encoded letter with."""
    nukta = chr(INDIC_BLOCK_START[script] + _NUKTA_OFFSET)
    bases = "".join(pair[0] for pair in letters)
    return re.compile(f"(?<![{bases}]){nukta}" if bases else nukta)


_NUKTA_LETTERS = _nukta_letters()
# A nukta that makes no encoded letter (typos such as ଚ଼, a doubled ଼଼, rare loan letters) is
# dropped: the library keeps it as a stray Indic mark and breaks the vowel sign after it.
_STRAY_NUKTA = {script: _stray_nukta(script, letters) for script, letters in _NUKTA_LETTERS.items()}
# Letters rewritten into a spelling the library reads, each found missing on IL-NER or samples.
_RESPELL: dict[str, dict[int, str]] = {
    # No Odia WA (ୱ, as in ଭୁବନେଶ୍ୱର): written as VA, which ISO 15919 gives as "v".
    "Odia": {0x0B71: "\u0b35"},
    # No chillu letters: a chillu is the consonant with a virama, not followed by a vowel.
    "Malayalam": {
        0x0D54: "\u0d2e\u0d4d",  # chillu m
        0x0D55: "\u0d2f\u0d4d",  # chillu y
        0x0D56: "\u0d34\u0d4d",  # chillu lll
        0x0D7A: "\u0d23\u0d4d",  # chillu nn
        0x0D7B: "\u0d28\u0d4d",  # chillu n
        0x0D7C: "\u0d30\u0d4d",  # chillu rr
        0x0D7D: "\u0d32\u0d4d",  # chillu l
        0x0D7E: "\u0d33\u0d4d",  # chillu ll
        0x0D7F: "\u0d15\u0d4d",  # chillu k
    },
    # Tamil letters through Devanagari (see _SANSCRIPT_SOURCE); the AU length mark (composed
    # into ௌ by NFC), numbers and signs have no Devanagari letter at their offset and stay.
    "Tamil": {
        code: chr(target)
        for code, target in _TO_DEVANAGARI.items()
        if 0x0B80 <= code < 0x0BF0 and code != 0x0BD7
    },
}


def _respell(script: str, run: str) -> str:
    """A run in the spelling indic_transliteration reads.

    NFC first: the library reads precomposed vowel signs only (Telugu ై typed as ె + ౖ gives
    "heౖ"), and Devanagari nukta letters only decomposed (precomposed ढ़ U+095D comes out
    untouched), which NFC also does. The other scripts' nukta letters it reads only precomposed
    (Odia ଡ + ଼ gives "ḍa଼"), so they are composed again. ZWJ, which it writes as "{}", and
    ZWNJ only shape glyphs and are dropped.
    """
    run = unicodedata.normalize("NFC", run).replace(_ZWNJ, "").replace(_ZWJ, "")
    if script in _STRAY_NUKTA:
        run = _STRAY_NUKTA[script].sub("", run)
        if script != "Devanagari":
            for pair, letter in _NUKTA_LETTERS[script].items():
                run = run.replace(pair, letter)
    return run.translate(_RESPELL.get(script, {}))


@lru_cache(maxsize=1)
def _transliterator() -> Callable[[str, str], str]:
    """``(source scheme, run) -> ISO 15919``; imports indic_transliteration on first use."""
    try:
        from indic_transliteration import sanscript
    except ImportError as missing:
        raise IlnerError(
            "the 'roman' script transform needs the indic-transliteration package: "
            "pip install 'ilner[roman]'"
        ) from missing
    target = sanscript.SCHEMES[_ROMAN_SCHEME]
    maps = {
        source: sanscript.SchemeMap(sanscript.SCHEMES[source], target)
        for source in set(_SANSCRIPT_SOURCE.values())
    }

    def transliterate(source: str, run: str) -> str:
        return sanscript.transliterate(run, scheme_map=maps[source])

    return transliterate


@lru_cache(maxsize=1 << 16)
def _romanize_run(script: str, run: str) -> str:
    """One run of a single Brahmic script, joiners included, in ISO 15919."""
    return _transliterator()(_SANSCRIPT_SOURCE[script], _respell(script, run))


def to_roman(text: str) -> str:
    """Romanize the Brahmic-script runs of ``text`` in ISO 15919; leave everything else as it is.

    ISO 15919 rather than ITRANS or IAST: it is the one scheme designed for all these scripts
    and the closest to lossless here. It keeps Dravidian short and long e/o apart (కొండ "koṁḍa",
    కోట "kōṭa"), writes the Hindi candra o of English loans (ऑफ़िस "ôfisa", which IAST and ITRANS
    leave in Devanagari) and nukta letters (ज़ "z", ड़ "ṛ"). The price is diacritics: the output
    is Latin, not ASCII. Indic digits become ASCII digits.

    Each run of one Brahmic script (ZWJ/ZWNJ inside it are dropped: they only shape glyphs) is
    transliterated on its own; Urdu, Latin, digits, punctuation (danda included) and anything
    else stay unchanged. A non-empty input never gives an empty output.
    """
    _transliterator()  # fail early, with the install hint, even for text with nothing to romanize
    roman = "".join(_romanize_run(script, run) if script else run for script, run in _runs(text))
    return roman or text


def _runs(text: str) -> Iterator[tuple[str | None, str]]:
    """Maximal runs of one Brahmic script (None: anything else); ZWJ/ZWNJ stay in their run."""
    start = 0
    current: str | None = None
    for index, char in enumerate(text):
        if current is not None and char in (_ZWNJ, _ZWJ):
            continue
        script = script_of_char(char)
        if script not in _SANSCRIPT_SOURCE:
            script = None
        if script != current:
            if index > start:
                yield current, text[start:index]
            start, current = index, script
    if text:
        yield current, text[start:]


def _native(text: str) -> str:
    """The text as it is."""
    return text


_TRANSFORMS: dict[str, Callable[[str], str]] = {
    "native": _native,
    "devanagari": to_devanagari,
    "roman": to_roman,
}


def get_transform(name: str) -> Callable[[str], str]:
    """The token transform called ``name``; an IlnerError naming the valid ones otherwise."""
    try:
        return _TRANSFORMS[name]
    except (KeyError, TypeError):
        raise IlnerError(
            f"unknown script transform {name!r}; use one of {', '.join(SCRIPT_TRANSFORMS)}"
        ) from None
