"""ilner: named-entity recognition for Indian languages."""

__version__ = "0.1.0"
