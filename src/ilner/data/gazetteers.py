"""Gazetteers: lists of names with their entity types, read by models as a feature.

A name the training data never shows (a country, a city) is found by the model only from its
letters and its context; a gazetteer says "this is a known place" in every language at once. Two
kinds of source:

- ``cldr``: country and territory names, cities (time-zone exemplar cities) as NEL, and month and
  weekday names as NETI, in each training language's own script, from the Unicode CLDR through
  Babel (``pip install 'ilner[gazetteer]'``). Offline: the data ships inside Babel.
- a file path: one name per line, ``name<TAB>TYPE`` (``#`` starts a comment line).

Names are split into words by ilner's tokenizer, as text is: "हांगकांग, चीन" is three words,
"पोर्ट-ऑफ़-स्पेन" one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ilner.data.files import read_text
from ilner.errors import DataError, IlnerError
from ilner.text.languages import LANGUAGE_CODES
from ilner.text.tokenize import tokenize

CLDR_LOCALES = LANGUAGE_CODES  # CLDR's locales are the ISO 639-1 codes

Name = tuple[tuple[str, ...], str]  # (words, entity type)
# CLDR territory codes that name no place: unknown region, organisations, pseudo-locales, and
# Hong Kong and Macao, whose names carry a "SAR China" qualifier (their time-zone cities name them).
_NOT_PLACES = {"ZZ", "UN", "EU", "EZ", "QO", "XA", "XB", "HK", "MO"}


def _words(name: str) -> tuple[str, ...]:
    return tuple(token.text for token in tokenize(name))


def _variants(name: str) -> list[tuple[str, ...]]:
    """"म्यांमार (बर्मा)" is two names, म्यांमार and बर्मा; text names a place one way at a time."""
    outside, _, inside = name.partition("(")
    inside, _, rest = inside.partition(")")
    return [words for words in (_words(outside + " " + rest), _words(inside)) if words]


def cldr_names(languages: Iterable[str]) -> list[Name]:
    """CLDR's territory and city names (NEL) and month and weekday names (NETI) for ``languages``
    (those CLDR has a locale for; others are skipped). Regions such as "World" or "Asia" (numeric
    CLDR codes), organisations and "unknown region" are left out: they are no one place."""
    try:
        from babel import Locale
    except ImportError:
        raise IlnerError("the 'cldr' gazetteer reads Babel's CLDR data: pip install 'ilner[gazetteer]'") from None
    names: set[Name] = set()
    for language in sorted(set(languages)):
        if language not in CLDR_LOCALES:
            continue
        locale = Locale.parse(CLDR_LOCALES[language])
        places = [name for code, name in locale.territories.items() if code not in _NOT_PLACES and not code.isdigit()]
        places += [zone["city"] for tz, zone in locale.time_zones.items() if "city" in zone and tz != "Etc/Unknown"]
        # Only the "format" forms: Babel 2.18 resolves a "stand-alone" alias through the locale
        # loaded before, which gave Hindi Urdu's weekdays.
        times = [*locale.months["format"]["wide"].values(), *locale.days["format"]["wide"].values()]
        names.update((words, "NEL") for name in places for words in _variants(name))
        names.update((_words(name), "NETI") for name in times)
    return sorted(name for name in names if name[0])


def read_gazetteer(path: str | Path) -> list[Name]:
    """Names from a ``name<TAB>TYPE`` file; a malformed line is an error naming file and line."""
    names = []
    text, _ = read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].split() or not fields[1].strip():
            raise DataError(str(path), f"expected 'name<TAB>TYPE', got {line!r}", number)
        names.append((_words(fields[0]), fields[1].strip()))
    return names


def load_gazetteers(sources: Sequence[str], languages: Iterable[str]) -> list[Name]:
    """All names of ``sources`` (``cldr`` or file paths), without duplicates, sorted."""
    names: set[Name] = set()
    for source in sources:
        if source == "cldr":
            names.update(cldr_names(languages))
        elif Path(source).is_file():
            names.update(read_gazetteer(source))
        else:
            raise IlnerError(f"gazetteer {source!r} is neither 'cldr' nor a file")
    return sorted(names)
