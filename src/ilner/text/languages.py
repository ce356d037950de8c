"""Languages ilner knows by name: their ISO 639-1 codes and the script each is written in.

Corpora and model directories name languages in full (``hindi``); model cards, CLDR and the
service's model names use the two-letter codes; the service picks a model by the script of a text.
"""

from __future__ import annotations

LANGUAGE_CODES = {"hindi": "hi", "urdu": "ur", "odia": "or", "telugu": "te", "bengali": "bn", "marathi": "mr",
                  "tamil": "ta", "gujarati": "gu", "kannada": "kn", "malayalam": "ml", "punjabi": "pa",
                  "assamese": "as", "nepali": "ne"}

# The script of each language's usual writing (names as ilner.text.scripts gives them).
NATIVE_SCRIPTS = {"hindi": "Devanagari", "marathi": "Devanagari", "nepali": "Devanagari", "urdu": "Arabic",
                  "odia": "Odia", "telugu": "Telugu", "bengali": "Bengali", "assamese": "Bengali",
                  "tamil": "Tamil", "gujarati": "Gujarati", "kannada": "Kannada", "malayalam": "Malayalam",
                  "punjabi": "Gurmukhi"}


def language_code(language: str) -> str:
    """``hindi`` -> ``hi``; a language without a code keeps its name."""
    return LANGUAGE_CODES.get(language, language)
