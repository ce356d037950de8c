"""Script transforms: Brahmic scripts onto Devanagari (by Unicode offset), romanization, lookup."""

import os
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilner.data import read_corpus
from ilner.errors import IlnerError
from ilner.text import transliterate
from ilner.text.scripts import INDIC_BLOCK_START, script_of_char
from ilner.text.transliterate import SCRIPT_TRANSFORMS, get_transform, to_devanagari, to_roman

OTHER_BLOCKS = {name: start for name, start in INDIC_BLOCK_START.items() if name != "Devanagari"}
ODIA = INDIC_BLOCK_START["Odia"]


def in_other_indic_block(char: str) -> bool:
    return any(start <= ord(char) < start + 128 for start in OTHER_BLOCKS.values())


def is_latin_text(text: str) -> bool:
    """ASCII, Latin letters with diacritics (ā, ṛ, ô) or combining marks (the ͟ of k͟h)."""
    return all(
        ord(char) < 128
        or unicodedata.name(char, "").startswith("LATIN")
        or unicodedata.category(char) == "Mn" and 0x0300 <= ord(char) <= 0x036F
        for char in text
    )


@pytest.fixture(scope="module")
def roman_library():
    """The optional romanization library: skipped without it, except in CI (make installs it)."""
    try:
        from indic_transliteration import sanscript
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI needs the roman extra: pip install 'ilner[roman]'")
        pytest.skip("indic-transliteration not installed (pip install 'ilner[roman]')")
    return sanscript


# --- to_devanagari ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Odia ଓ ଡ ଼ ି ଶ ା: the nukta stays a separate code point, as in the input.
        ("\u0b13\u0b21\u0b3c\u0b3f\u0b36\u0b3e", "\u0913\u0921\u093c\u093f\u0936\u093e"),
        ("ଓଡ଼ିଶା", "ओड़िशा"),
        # Precomposed Odia RRA (U+0B5C) -> Devanagari U+095C (ड़), still one code point.
        ("\u0b13\u0b5c\u0b3f\u0b36\u0b3e", "\u0913\u095c\u093f\u0936\u093e"),
        # Telugu తెలంగాణ: short vowel sign ె (U+0C46) becomes Devanagari short ॆ (U+0946), not े.
        ("తెలంగాణ", "\u0924\u0946\u0932\u0902\u0917\u093e\u0923"),
        ("హైదరాబాద్", "हैदराबाद्"),
        ("বাংলা", "बांला"),
        ("কলকাতা", "कलकाता"),
        ("ગુજરાત", "गुजरात"),
        # Gurmukhi tippi is read as anusvara (by offset it would be the abbreviation sign ॰).
        ("ਪੰਜਾਬ", "पंजाब"),
        ("ಕನ್ನಡ", "कन्नड"),
        ("കേരളം", "केरळं"),
        ("சென்னை", "\u091a\u0946\u0929\u094d\u0929\u0948"),
        # Indic digits and the danda family.
        ("୨୦୨୪", "२०२४"),
        ("౧౨", "१२"),
    ],
)
def test_to_devanagari_maps_by_offset(text, expected):
    assert to_devanagari(text) == expected
    assert len(to_devanagari(text)) == len(text)


def test_odia_wa_becomes_devanagari_va():
    # By position ORIYA LETTER WA (U+0B71) would land on U+0971, a high dot sign; it is written व.
    assert to_devanagari("ଭୁବନେଶ୍ୱର") == "भुबनेश्वर"


@pytest.mark.parametrize(
    "text",
    [
        "नरेंद्र मोदी ने दिल्ली में भाषण दिया।",
        "ऑफ़िस क़िला ज़िला",
        "جہیزی اموات اور جنسی بنیاد پر",
        "Sachin Tendulkar, Mumbai (2024) - ok?",
        "पै\u200cसा\u200d",
        "\u200c\u200d",
        "😀👍🏽 ✓ € ½",
        "",
    ],
)
def test_to_devanagari_leaves_devanagari_urdu_latin_joiners_emoji(text):
    assert to_devanagari(text) == text


def test_zwj_and_zwnj_inside_odia_and_telugu_tokens_are_kept_in_place():
    assert to_devanagari("పైప్\u200c\u200cల") == "पैप्\u200c\u200cल"
    assert to_devanagari("କ୍\u200dଷ") == "क्\u200dष"


def test_unassigned_code_points_are_left_unchanged():
    unassigned = [
        chr(code)
        for start in OTHER_BLOCKS.values()
        for code in range(start, start + 128)
        if unicodedata.name(chr(code), None) is None
    ]
    assert unassigned  # e.g. U+0B00; every block has gaps
    assert to_devanagari("".join(unassigned)) == "".join(unassigned)


def test_every_assigned_character_of_the_other_blocks_moves_to_devanagari_of_its_kind():
    fixes = {"\u0b71": "व", "\u09f0": "र", "\u09f1": "व", "\u0a70": "ं", "\u0c04": "ं", "\u0b83": "ः"}
    for script, start in OTHER_BLOCKS.items():
        for code in range(start, start + 128):
            char, counterpart = chr(code), chr(0x0900 + code - start)
            if unicodedata.name(char, None) is None:
                continue
            if char in fixes:
                assert to_devanagari(char) == fixes[char]
            elif unicodedata.category(char)[0] == unicodedata.category(counterpart)[0]:
                assert to_devanagari(char) == counterpart, (script, hex(code))
            else:  # a letter would become punctuation, a fraction a letter...: left native
                assert to_devanagari(char) == char, (script, hex(code))


def test_gurmukhi_and_assamese_letters_stay_letters():
    assert to_devanagari("ਪੰਜਾਬ") == "पंजाब"  # tippi is a nasal sign, not the abbreviation sign ॰
    assert to_devanagari("অসমৰ") == "असमर"  # Assamese RA
    assert to_devanagari("উৎসৱ") == "उৎसव"  # khanda ta has no one-letter counterpart: kept


MIXED = st.one_of(
    st.characters(min_codepoint=0x0900, max_codepoint=0x0D7F),  # all nine Indic blocks
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic (Urdu)
    st.sampled_from(["\u200c", "\u200d", "😀", "👍", "\U0001f3fd", " ", "-", "।", "a", "Z", "7"]),
    st.characters(),
)


@given(st.text(alphabet=MIXED, max_size=40))
def test_to_devanagari_preserves_length_and_only_touches_the_other_indic_blocks(text):
    converted = to_devanagari(text)
    assert len(converted) == len(text)
    for before, after in zip(text, converted):
        if not in_other_indic_block(before):
            assert after == before
        elif after != before:
            offset = (ord(before) - 0x0900) % 128
            assert after == chr(0x0900 + offset)
            assert unicodedata.name(after, None) is not None


# --- to_roman ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("हिन्दी", "hindī"),
        ("दिल्ली में", "dillī mēṁ"),
        ("ऑफ़िस", "ôfisa"),
        ("\u095dाका", "ṛhākā"),  # precomposed ढ़, which the library alone leaves in Devanagari
        ("తెలంగాణ", "telaṁgāṇa"),
        ("కొండ", "koṁḍa"),  # short o
        ("కోట", "kōṭa"),  # long o
        ("హ\u0c46\u0c56దరాబాద్", "haidarābād"),  # ై typed as ె + ౖ
        ("పైప్\u200c\u200cల", "paipla"),  # joiners dropped, not "{}"
        ("क्\u200dष", "kṣa"),
        # Odia ଡ + ଼, which the library alone reads as "ḍa଼".
        ("\u0b13\u0b21\u0b3c\u0b3f\u0b36\u0b3e", "ōṛiśā"),
        ("ଭୁବନେଶ୍ୱର", "bhubanēśvara"),  # Odia WA, unknown to the library
        ("ଅକ଼଼ୋବର", "akōbara"),  # nuktas that make no Odia letter dropped, vowel sign kept
        ("தமிழ்", "tamiḻ"),  # not the library's "dhamiḻ"
        ("അവൻ", "avan"),  # chillu n
        ("२०२४", "2024"),
    ],
)
def test_to_roman_known_words(roman_library, text, expected):
    assert to_roman(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "नरेंद्र मोदी ने दिल्ली में भाषण दिया",
        "క్రికెట్ ఆటగాడు సచిన్ టెండూల్కర్",
        "ଓଡ଼ିଶା ଭୁବନେଶ୍ୱର",
        "বাংলা ਪੰਜਾਬ ગુજરાત ಕನ್ನಡ",
    ],
)
def test_to_roman_gives_latin_letters(roman_library, text):
    roman = to_roman(text)
    assert roman and is_latin_text(roman)
    assert roman.count(" ") == text.count(" ")


@pytest.mark.parametrize(
    "text",
    ["جہیزی اموات اور جنسی بنیاد پر", "پاکستان\u200c",
     "Sachin Tendulkar, 2024.", "😀", "\u200c", "।", "-"],
)
def test_to_roman_leaves_urdu_latin_digits_punctuation(roman_library, text):
    assert to_roman(text) == text


def test_to_roman_only_touches_the_brahmic_runs(roman_library):
    text = "दिल्ली-Delhi (2024) پاکستان 😀। తెలుగు"
    assert to_roman(text) == "dillī-Delhi (2024) پاکستان 😀। telugu"


@pytest.mark.parametrize("text", ["\u094d", "\u0b3c", "\u0c4d\u200c", "\u093c\u093c"])
def test_to_roman_falls_back_to_the_input_rather_than_return_nothing(roman_library, text):
    # A lone virama romanizes to nothing and a nukta that makes no letter is dropped.
    assert to_roman(text) == text


@settings(deadline=None, max_examples=200)
@given(st.text(alphabet=MIXED, min_size=1, max_size=20))
def test_to_roman_never_empty_and_never_touches_non_brahmic(roman_library, text):
    roman = to_roman(text)
    assert roman
    if not any(script_of_char(char) in INDIC_BLOCK_START for char in text):
        assert roman == text


def test_to_roman_without_the_library_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "indic_transliteration", None)
    transliterate._transliterator.cache_clear()
    try:
        with pytest.raises(IlnerError, match=r"pip install 'ilner\[roman\]'"):
            to_roman("हिन्दी")
    finally:
        transliterate._transliterator.cache_clear()


# --- get_transform -----------------------------------------------------------------------------


def test_get_transform_names():
    assert SCRIPT_TRANSFORMS == ("native", "devanagari", "roman")
    assert get_transform("devanagari") is to_devanagari
    assert get_transform("roman") is to_roman
    native = get_transform("native")
    for text in ("ଓଡ଼ିଶା", "हिन्दी", "پاکستان", ""):
        assert native(text) == text


@pytest.mark.parametrize("name", ["latin", "Devanagari", "", "iso"])
def test_get_transform_unknown_name_lists_the_valid_ones(name):
    with pytest.raises(IlnerError) as error:
        get_transform(name)
    assert repr(name) in str(error.value)
    assert all(valid in str(error.value) for valid in SCRIPT_TRANSFORMS)


# --- real corpus ---------------------------------------------------------------------------------


def test_odia_corpus_tokens(mirror):
    corpus = read_corpus(mirror / "il-ner/Odia/Odia-test.txt")
    tokens = [token for sentence in corpus for token in sentence.tokens]
    assert len(tokens) > 10_000
    odia_letters = moved = 0
    for token in tokens:
        converted = to_devanagari(token)
        assert len(converted) == len(token), token
        for before, after in zip(token, converted):
            if ODIA <= ord(before) < ODIA + 128:
                odia_letters += 1
                moved += 0x0900 <= ord(after) <= 0x097F
    assert odia_letters > 50_000
    assert moved / odia_letters > 0.99


def test_odia_corpus_romanizes_without_odia_left(mirror, roman_library):
    corpus = read_corpus(mirror / "il-ner/Odia/Odia-test.txt")
    for token in {token for sentence in corpus for token in sentence.tokens}:
        roman = to_roman(token)
        assert roman, token
        assert not any(ODIA <= ord(char) < ODIA + 128 for char in roman), (token, roman)
