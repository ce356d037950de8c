"""Text processing for Indian scripts."""
