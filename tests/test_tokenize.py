"""Tokenization and sentence splitting: exact offsets, grapheme clusters intact, per script."""

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from ilner.text.normalize import normalize_word
from ilner.text.tokenize import detokenize, split_sentences, tokenize, _PROTECTED


def words(text):
    return [t.text for t in tokenize(text)]


def test_hindi():
    assert words("प्रधानमंत्री नरेंद्र मोदी ने 15 अगस्त 2024 को दिल्ली में भाषण दिया।") == [
        "प्रधानमंत्री", "नरेंद्र", "मोदी", "ने", "15", "अगस्त", "2024", "को", "दिल्ली", "में", "भाषण", "दिया", "।"]


def test_urdu_right_to_left_punctuation_and_digits():
    assert words("وزیراعظم نے کراچی، لاہور میں ۱۲۳ لوگوں سے خطاب کیا۔ کیا؟") == [
        "وزیراعظم", "نے", "کراچی", "،", "لاہور", "میں", "۱۲۳", "لوگوں", "سے", "خطاب", "کیا", "۔", "کیا", "؟"]
    assert words("سرمایہ_کاروں کا") == ["سرمایہ_کاروں", "کا"]
    # Arabic decimal and thousands separators and percent sign stay inside the number.
    assert words("قیمت ۳٫۵ لاکھ، ۱٬۲۵٬۰۰۰ اور ۱۰۰٪ ہے۔") == [
        "قیمت", "۳٫۵", "لاکھ", "،", "۱٬۲۵٬۰۰۰", "اور", "۱۰۰٪", "ہے", "۔"]


def test_odia_and_telugu():
    assert words("ଓଡ଼ିଶାର ମୁଖ୍ୟମନ୍ତ୍ରୀ ଭୁବନେଶ୍ୱରରେ କହିଲେ।") == ["ଓଡ଼ିଶାର", "ମୁଖ୍ୟମନ୍ତ୍ରୀ", "ଭୁବନେଶ୍ୱରରେ", "କହିଲେ", "।"]
    assert words("హైదరాబాద్, తెలంగాణ రాజధాని. జె. పటేల్") == ["హైదరాబాద్", ",", "తెలంగాణ", "రాజధాని", ".", "జె.", "పటేల్"]


def test_numbers_dates_mail_urls_kept_whole():
    text = "रु 1,25,000 और 3.5% यानी १२३ रु, 12/03/2024 को yojanahindi@gmail.com या https://pib.gov.in/x?id=1, ई-कॉमर्स"
    assert words(text) == ["रु", "1,25,000", "और", "3.5%", "यानी", "१२३", "रु", ",", "12/03/2024", "को",
                           "yojanahindi@gmail.com", "या", "https://pib.gov.in/x?id=1", ",", "ई-कॉमर्स"]


def test_abbreviations_and_repeated_punctuation():
    assert words("डॉ. ए. पी. जे. अब्दुल कलाम ने कहा, ''नमस्ते''।") == [
        "डॉ.", "ए.", "पी.", "जे.", "अब्दुल", "कलाम", "ने", "कहा", ",", "''", "नमस्ते", "''", "।"]
    assert words("वह घर गया है.") == ["वह", "घर", "गया", "है", "."]  # one syllable, yet no abbreviation
    assert words("वह कल आई. फिर") == ["वह", "कल", "आई", ".", "फिर"]  # a letter name that is also a word
    assert words("PM2.5 और Rs1,000") == ["PM2.5", "और", "Rs1,000"]
    assert words("वह आया.फिर गया") == ["वह", "आया", ".", "फिर", "गया"]


def test_zero_width_joiners_stay_inside_words():
    text = "पै\u200cसा क्\u200dष"
    assert words(text) == ["पै\u200cसा", "क्\u200dष"]


def test_sentences():
    tokens = tokenize("डॉ. शर्मा 3.5 घंटे रुके। फिर गए! क्या? ''हाँ।'' ठीक")
    spans = split_sentences(tokens)
    assert [" ".join(t.text for t in tokens[a:b]) for a, b in spans] == [
        "डॉ. शर्मा 3.5 घंटे रुके ।", "फिर गए !", "क्या ?", "'' हाँ । ''", "ठीक"]
    urdu = tokenize("یہ کتاب ہے۔ وہ کہاں ہے؟")
    assert len(split_sentences(urdu)) == 2
    assert len(split_sentences(tokenize("क्या?! हाँ"))) == 2


def test_detokenize_attaches_punctuation():
    assert detokenize(["दिल्ली", ",", "भारत", "(", "देश", ")", "।"]) == "दिल्ली, भारत (देश)।"


def test_normalisation_for_the_model():
    assert normalize_word("\u0915\u093c") == normalize_word("\u0958")  # क़ typed two ways
    assert normalize_word("كيا") == "کیا"  # Arabic kaf and yeh to Urdu letters
    assert normalize_word("\u0647\u0654") == "\u06c2" == normalize_word(normalize_word("\u0647\u0654"))  # ۂ
    assert normalize_word("\u064a\u0654") == "\u0626"  # ئ stays ئ
    assert normalize_word("\u200b\u0b06\u0b1c\u0b3f") == "\u0b06\u0b1c\u0b3f"  # zero-width space
    assert normalize_word("\u200f2020\u200f") == "2020"  # right-to-left marks
    assert normalize_word("\u200b") == "\u200b"  # a word of invisible characters only stays a word
    assert normalize_word("\u0915\u094d\u200d") == "\u0915\u094d\u200d"  # ZWJ kept: it shapes the letter


CHARS = st.sampled_from(
    list("अआकखगक्षत्रज्ञािीुूेैोौंःँ़्") + list("ଓଡ଼ିଶାୱ୍") + list("తెలంగాణై్ౖ") + list("اردوکیہےۓ،؛؟۔")
    + list("0123456789०१२३۱۲۳") + list(".,;:!?()[]\"'‘’“”-_/@%|।॥٫٬٪") + ["\u200c", "\u200d", "😀", "👍🏽", "🇮🇳"]
    + list("abcXYZ") + [" ", "  ", "\t", "\n", "\u00a0"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARS, max_size=40).map("".join))
def test_tokens_cover_the_text_in_order_without_splitting_graphemes(text):
    tokens = tokenize(text)
    # Grapheme-cluster boundaries (whitespace apart: a mark after a space must start a token).
    boundaries = {m.start() for m in regex.finditer(r"\s|\X", text)} | {len(text)}
    position = 0
    for token in tokens:
        assert token.text == text[token.start:token.end] and token.text
        assert token.start >= position  # in order, no overlap
        assert text[position:token.start].strip() == ""  # only whitespace between tokens
        assert token.start in boundaries and token.end in boundaries  # grapheme clusters intact
        position = token.end
    assert text[position:].strip() == ""
    spans = split_sentences(tokens)
    assert [i for a, b in spans for i in range(a, b)] == list(range(len(tokens)))


_UNGUARDED = regex.compile(
    _PROTECTED.pattern.replace(r"(?<![\w.+-])", "").replace(r"(?<![\w-])", "").replace(r"(?<!\d)", ""), regex.VERBOSE
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARS, max_size=40).map("".join))
def test_run_start_guards_change_no_protected_span(text):
    spans = [m.span() for m in _PROTECTED.finditer(text)]
    assert _UNGUARDED.pattern != _PROTECTED.pattern
    assert spans == [m.span() for m in _UNGUARDED.finditer(text)]


def test_a_long_run_without_spaces_is_one_token():
    # Without the guards this took minutes (each start position rescanned the run).
    for run in ("क" * 100_000, "7" * 100_000, "ab" * 50_000):
        assert [t.text for t in tokenize(f"({run})")] == ["(", run, ")"]
