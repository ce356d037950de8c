"""Unicode normalisation of words for the model's input only; offsets always refer to raw text.

NFC composes vowel signs typed in two parts (Telugu ై as ె + ౖ) and decomposes nukta letters
uniformly (क़ becomes क + ़ whichever way it was typed). Arabic letter forms typed on Arabic
keyboards are mapped to the Urdu letters they stand for (ك->ک, ي/ى->ی, ه->ہ), as IL-NER's own
Urdu overwhelmingly writes them. Invisible characters that change neither letters nor meaning
(zero-width space, left-to-right and right-to-left marks, word joiner, BOM) are dropped; ZWJ and
ZWNJ, which change how Indic letters join, are kept.
"""

from __future__ import annotations

import unicodedata

_ONE_SPELLING = str.maketrans(
    {"\u0643": "\u06a9", "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0647": "\u06c1"}
    | dict.fromkeys("\u200b\u200e\u200f\u2060\ufeff")
)


def normalize_word(word: str) -> str:
    """The form of a word the model sees (same word, same meaning, one spelling). NFC again after
    the letter mapping: ه + hamza becomes ہ + hamza, which composes to ۂ. A word made only of
    invisible characters stays as it is: a word must never vanish, or its tag would go with it."""
    normalized = unicodedata.normalize("NFC", unicodedata.normalize("NFC", word).translate(_ONE_SPELLING))
    return normalized or word
