"""ilner inside other tools: a spaCy pipeline component (``ilner.integrations.spacy``)."""
