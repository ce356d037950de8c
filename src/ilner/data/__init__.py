"""Corpus layer: reading, repairing, converting and locating NER data.

Data flows one way: files -> ``Corpus`` objects (IOB2 sentences with a repair report).
This package imports without torch.
"""

from ilner.data.corpus import Corpus, Sentence
from ilner.data.io import read_corpus, write_corpus
from ilner.data.sources import Source, load_corpora, resolve
from ilner.data.tagsets import Tagset, TagMapping, load_mapping, load_tagset

__all__ = [
    "Corpus",
    "Sentence",
    "Source",
    "Tagset",
    "TagMapping",
    "load_corpora",
    "load_mapping",
    "load_tagset",
    "read_corpus",
    "resolve",
    "write_corpus",
]
