"""The spaCy component: `nlp.add_pipe("ilner", ...)` with no import of ilner, doc.ents equal to
ilner's entities, batching through nlp.pipe, saving and loading, displaCy in Hindi and Urdu."""

import subprocess
import sys
import warnings

import pytest

spacy = pytest.importorskip("spacy", reason="the spacy extra is not installed: pip install 'ilner[spacy]'")

from ilner.inference.tagger import Tagger  # noqa: E402
from tiny_models import SENTENCES, forced_model  # noqa: E402

LANGUAGE_CODES = {"hindi": "hi", "urdu": "ur", "odia": "xx", "telugu": "te"}  # spaCy has no Odia class


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return forced_model(tmp_path_factory.mktemp("spacy") / "m")


@pytest.mark.parametrize("language", SENTENCES)
def test_doc_ents_are_ilners_entities(model, language):
    nlp = spacy.blank(LANGUAGE_CODES[language])
    nlp.add_pipe("ilner", config={"model": model})  # found through the entry point
    text = SENTENCES[language]
    doc = nlp(text)
    [expected] = Tagger.load(model)(text)
    got = [(e.start_char, e.end_char, e.text, e.label_, e._.ilner_score) for e in doc.ents]
    wanted = [(e.start, e.end, e.text, e.label, e.score) for e in expected.entities]
    aligned = [w for w in wanted if doc.char_span(w[0], w[1]) is not None]
    assert got == aligned and len(got) + doc._.ilner_unaligned == len(wanted)


def test_the_factory_is_found_without_importing_ilner(model):
    code = ("import spacy, sys; nlp = spacy.blank('hi'); nlp.add_pipe('ilner', config={'model': sys.argv[1]}); "
            "print('ilner' in sys.modules, [e.text for e in nlp('राम दिल्ली गए').ents])")
    out = subprocess.run([sys.executable, "-c", code, model], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True ['राम', 'दिल्ली', 'गए']"


def test_entities_the_docs_tokens_cut_through_are_counted_and_warned_about(model):
    """ilner finds राम , दिल्ली (every token an entity here); the user's tokenizer kept "राम," whole."""
    def doc_of(nlp):
        return spacy.tokens.Doc(nlp.vocab, words=["राम,", "दिल्ली"], spaces=[True, False])

    strict = spacy.blank("hi")
    strict.add_pipe("ilner", config={"model": model, "alignment_mode": "strict"})
    with pytest.warns(UserWarning, match="2 of 3 entities could not be aligned"):
        doc = strict(doc_of(strict))
    assert [e.text for e in doc.ents] == ["दिल्ली"] and doc._.ilner_unaligned == 2
    expand = spacy.blank("hi")
    expand.add_pipe("ilner", config={"model": model})  # expand: राम and "," both become "राम,", once
    with pytest.warns(UserWarning, match="1 of 3 entities could not be aligned"):
        doc = expand(doc_of(expand))
    assert [e.text for e in doc.ents] == ["राम,", "दिल्ली"] and doc._.ilner_unaligned == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to warn about when the tokens agree
        assert [e.text for e in expand("राम दिल्ली गए").ents] == ["राम", "दिल्ली", "गए"]


def test_pipe_batches_and_keeps_order(model, monkeypatch):
    nlp = spacy.blank("hi")
    component = nlp.add_pipe("ilner", config={"model": model})
    calls = []
    tagger = component.tagger
    original = tagger.__call__
    monkeypatch.setattr(type(tagger), "__call__", lambda self, texts, o_penalty=None: calls.append(len(texts)) or original(texts, o_penalty))
    texts = [f"राम {'दिल्ली ' * i}गए" for i in range(10)]
    docs = list(nlp.pipe(texts, batch_size=4))
    assert calls == [4, 4, 2] and [len(d.ents) for d in docs] == [i + 2 for i in range(10)]


def test_a_saved_pipeline_loads_elsewhere_with_the_same_entities(model, tmp_path):
    import shutil

    moved = tmp_path / "moved-model"
    shutil.copytree(model, moved)
    nlp = spacy.blank("ur")
    nlp.add_pipe("ilner", config={"model": str(moved), "batch_size": 8})
    before = [(e.start_char, e.end_char, e.label_) for e in nlp(SENTENCES["urdu"]).ents]
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(moved)  # the pipeline carries its own copy
    loaded = spacy.load(tmp_path / "pipeline")
    assert [(e.start_char, e.end_char, e.label_) for e in loaded(SENTENCES["urdu"]).ents] == before
    assert loaded.get_pipe("ilner").batch_size == 8


def test_displacy_renders_hindi_and_urdu(model):
    from spacy import displacy

    for code, text in (("hi", SENTENCES["hindi"]), ("ur", SENTENCES["urdu"])):
        nlp = spacy.blank(code)
        nlp.add_pipe("ilner", config={"model": model})
        doc = nlp(text)
        html = displacy.render(doc, style="ent")
        assert html.count("<mark") == len(doc.ents) > 0 and doc.ents[0].text in html
        assert ('direction: rtl' in html or 'dir="rtl"' in html) == (code == "ur")
