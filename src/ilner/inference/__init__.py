"""Inference: model scores for words, decoding to tags, and (later) the Tagger over raw text."""
