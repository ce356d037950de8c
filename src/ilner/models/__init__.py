"""Models: loading any Hugging Face encoder for token classification, safely, or building one from scratch."""
