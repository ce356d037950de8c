"""Gazetteers: name lists from CLDR or a file, and the model feature that marks their names."""

import pytest
import torch

from ilner.data.gazetteers import cldr_names, load_gazetteers, read_gazetteer
from ilner.errors import DataError, IlnerError
from ilner.models.bilstm_crf import BiLstmCrfForTokenClassification, build_bilstm_crf_model
from ilner.models.scratch import ScratchSpec
from ilner.text.transliterate import get_transform

NAMES = [(("नई", "दिल्ली"), "NEL"), (("दिल्ली",), "NEL"), (("मुंबई",), "NEL"), (("अहमदाबाद",), "NEL"),
         (("जनवरी",), "NETI"), (("Delhi",), "NEL")]  # Latin letters: never in the training text
TEXTS = ["नई दिल्ली में बारिश", "दिल्ली में धूप", "मुंबई में बारिश जनवरी में"] * 3 + ["अहमदाबाद"]


@pytest.fixture(scope="module")
def model_and_tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    spec = ScratchSpec(architecture="bilstm-crf", vocab_size=60, hidden_size=4, embedding_size=4, char_filters=4,
                       feature_size=4, feature_buckets=512, word_level=True, linear_member=True, wide_buckets=512)
    path = build_bilstm_crf_model(tmp_path_factory.mktemp("gaz"), TEXTS, ["O", "B-NEL", "I-NEL"], spec=spec,
                                  gazetteer=NAMES)
    return BiLstmCrfForTokenClassification.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def _marks(model, tokenizer, sentences):
    """Per sentence, the gazetteer feature ids of its words (without <s> and </s>)."""
    batch = tokenizer([s.split() for s in sentences], is_split_into_words=True, padding=True, return_tensors="pt")
    _, pieces = next(iter(model.member_inputs(batch.input_ids, batch.attention_mask)))
    words = pieces.words
    return [words.gazetteer[row, 1:int(words.lengths[row]) - 1].tolist() for row in range(len(sentences))]


def test_names_are_marked_where_their_words_are(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    assert model.config.gazetteer_types == ["NEL", "NETI"]
    assert model.config.gazetteer_size == 5  # "Delhi" left out: it would read as <unk> and match any unknown word
    first, part, last, split, unknown = _marks(model, tokenizer, ["नई दिल्ली में मुंबई", "दिल्ली में नई",
                                                                  "बारिश जनवरी", "अहमदाबाद में", "Delhi में"])
    new, delhi, in_, mumbai = first
    none = in_
    assert new != none and delhi != none and new != delhi  # B and I: inside the longer name, दिल्ली is I
    assert mumbai == new  # B-NEL, the NETI slot unmarked
    assert part == [new, none, none]  # दिल्ली alone is a name; नई alone, at the row's end, is none
    assert last[1][0] == none[0] and last[1][1] != none[1]  # जनवरी: NETI only
    assert len(tokenizer.tokenize("अहमदाबाद")) > 1 and split[0] == new  # matched over its pieces too
    assert unknown == [none, none]


def test_feature_ids_keep_clear_of_the_affix_kinds():
    """Before hashing, every gazetteer id is 9 mod 16, which no affix or length id is: however
    many types, the features never share a row with an affix by construction."""
    from types import SimpleNamespace

    from ilner.models.bilstm_crf import gazetteer_features

    words = SimpleNamespace(identity=torch.tensor([[0, 5, 6, 0]]), lengths=torch.tensor([4]))
    names, sizes, types = torch.tensor([5, 6]), torch.tensor([1, 1]), torch.tensor([7, 9])
    ids = gazetteer_features(words, names, sizes, types, 10, 1 << 16)
    assert ((ids - 1) % 16 == 9).all()
    assert len(set(ids[0, 0].tolist())) == 10  # one id per type
    assert ids[0, 1, 7] != ids[0, 0, 7] and ids[0, 2, 9] != ids[0, 0, 9] and ids[0, 1, 9] == ids[0, 0, 9]


def test_marks_do_not_depend_on_padding_or_other_rows(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    short = _marks(model, tokenizer, ["मुंबई में नई"])
    batched = _marks(model, tokenizer, ["धूप बारिश धूप बारिश धूप बारिश धूप नई दिल्ली", "मुंबई में नई"])
    assert batched[1] == short[0]  # padded after "नई": no name runs on into the padding
    assert batched[0][-2] != batched[0][0] and batched[0][-1] != batched[0][0]


def test_gazetteer_names_go_through_the_script_transform(tmp_path):
    """Odia shown as Devanagari: an Odia name is stored as the model will read it."""
    spec = ScratchSpec(architecture="bilstm-crf", vocab_size=60, hidden_size=4, embedding_size=4, char_filters=4,
                       feature_size=4, feature_buckets=512, word_level=True)
    transform = get_transform("devanagari")
    texts = [" ".join(transform(w) for w in "ଭାରତ ରେ ବର୍ଷା".split())] * 4
    path = build_bilstm_crf_model(tmp_path, texts, ["O", "B-NEL", "I-NEL"], spec=spec,
                                  gazetteer=[(("ଭାରତ",), "NEL")], transform=transform)
    from transformers import AutoTokenizer

    model, tokenizer = BiLstmCrfForTokenClassification.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)
    [marks] = _marks(model, tokenizer, [" ".join(transform(w) for w in ["ଭାରତ", "ରେ"])])
    assert marks[0] != marks[1]


def test_gazetteer_file_is_read_and_a_bad_line_is_named(tmp_path):
    path = tmp_path / "places.tsv"
    path.write_text("# district names\nनई दिल्ली\tNEL\n\nअहमदाबाद\tNEL\n", encoding="utf-8")
    assert read_gazetteer(path) == [(("नई", "दिल्ली"), "NEL"), (("अहमदाबाद",), "NEL")]
    path.write_bytes("\ufeff# district names\nनई दिल्ली\tNEL\n".encode("utf-8"))  # a BOM, as Notepad writes
    assert read_gazetteer(path) == [(("नई", "दिल्ली"), "NEL")]
    path.write_text("नई दिल्ली\tNEL\nमुंबई NEL\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"places.tsv:2: expected 'name<TAB>TYPE'"):
        read_gazetteer(path)
    with pytest.raises(IlnerError, match="neither 'cldr' nor a file"):
        load_gazetteers([str(tmp_path / "missing.tsv")], [])


def test_cldr_gives_places_and_times_in_each_language_script():
    pytest.importorskip("babel")
    urdu = set(cldr_names(["urdu", "klingon"]))
    assert (("ترکمانستان",), "NEL") in urdu and (("جنوری",), "NETI") in urdu
    assert (("دنیا",), "NEL") not in urdu  # "World": a region, no place
    assert not any("اقوام" in words for words, _ in urdu)  # the United Nations: no place
    assert {(("میانمار",), "NEL"), (("برما",), "NEL")} <= urdu  # "Myanmar (Burma)": two names
    hindi = set(cldr_names(["hindi"]))
    assert (("संयुक्त", "राज्य"), "NEL") in hindi and (("भारत",), "NEL") in hindi
    assert not hindi & urdu
