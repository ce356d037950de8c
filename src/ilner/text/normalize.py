"""Unicode normalisation of words for the model's input only; offsets always refer to raw text.

NFC composes vowel signs typed in two parts (Telugu ై as ె + ౖ) and decomposes nukta letters
uniformly (क़ becomes क + ़ whichever way it was typed). Arabic letter forms typed on Arabic
keyboards are mapped to the Urdu letters they stand for (ك->ک, ي/ى->ی, ه->ہ), as IL-NER's own
Urdu overwhelmingly writes them.
"""

from __future__ import annotations

import unicodedata

_URDU_LETTERS = str.maketrans({"\u0643": "\u06a9", "\u064a": "\u06cc", "\u0649": "\u06cc", "\u0647": "\u06c1"})


def normalize_word(word: str) -> str:
    """The form of a word the model sees (same word, same meaning, one spelling)."""
    return unicodedata.normalize("NFC", word).translate(_URDU_LETTERS)
