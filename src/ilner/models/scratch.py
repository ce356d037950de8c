"""Build an XLM-R-architecture model from scratch: a tokenizer trained on corpus text and a
randomly initialised encoder, saved as a normal Hugging Face directory.

This is how ilner runs where no pretrained weights can be downloaded (air-gapped machines, CI),
and how tests get real models: everything goes through the same ``from_pretrained`` path as
``xlm-roberta-base`` does.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ilner.errors import IlnerError

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # XLM-R's ids 0..4


ARCHITECTURES = ("transformer", "bilstm-crf")
# Smallest vocab_size: the special tokens and a piece (training text needs more: see train_tokenizer).
MIN_VOCAB_SIZE = 6


@dataclass(frozen=True)
class ScratchSpec:
    """A model built from scratch (defaults: small enough to train on 2 CPU cores in minutes).

    ``transformer``: an XLM-R-architecture encoder over a ``vocab_size``-piece tokenizer.
    ``bilstm-crf`` (ilner.models.bilstm_crf): words seen ``word_min_count`` times are whole
    pieces, ``vocab_size`` sub-word pieces cover the rest; ``hidden_size`` is per direction.
    """

    architecture: str = "transformer"
    vocab_size: int = 8000
    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4  # transformer
    intermediate_size: int = 1024  # transformer
    dropout: float = 0.1
    max_positions: int = 512  # longest window in sub-words, special tokens included
    # bilstm-crf
    word_min_count: int = 2
    embedding_size: int = 100
    char_embedding_size: int = 30
    char_filters: int = 50
    max_piece_chars: int = 24
    feature_buckets: int = 1 << 16
    feature_size: int = 32
    word_dropout: float = 0.05
    ensemble_size: int = 1  # independent taggers trained side by side, scores averaged
    word_level: bool = False  # the LSTM reads whole words assembled from their pieces
    max_word_chars: int = 32  # characters of a word the character CNN reads (first and last halves)
    linear_member: bool = False  # word_level: a feature CRF (words within +-2, affixes) joins the ensemble
    wide_buckets: int = 1 << 18  # its hashed feature weights
    gazetteers: list[str] = field(default_factory=list)  # word_level: name lists read as a feature (ilner.data.gazetteers)

    def validate(self) -> None:
        """Refuse, as the config's ``scratch`` section, sizes and combinations the builders would
        reject with a library traceback (or silently ignore)."""
        if self.vocab_size < MIN_VOCAB_SIZE:
            raise IlnerError(f"config key 'scratch.vocab_size' must be at least {MIN_VOCAB_SIZE}, got {self.vocab_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise IlnerError(f"config key 'scratch.dropout' must be at least 0 and below 1, got {self.dropout}")
        for key in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_positions"):
            if getattr(self, key) <= 0:
                raise IlnerError(f"config key 'scratch.{key}' must be positive")
        if self.architecture == "transformer" and self.hidden_size % self.num_heads:
            raise IlnerError(f"config key 'scratch.num_heads' ({self.num_heads}) must divide scratch.hidden_size "
                             f"({self.hidden_size})")
        if self.architecture not in ARCHITECTURES:
            raise IlnerError(f"config key 'scratch.architecture' must be one of {', '.join(ARCHITECTURES)}, "
                             f"got {self.architecture!r}")
        word_level_bilstm = self.architecture == "bilstm-crf" and self.word_level
        if self.linear_member and not word_level_bilstm:
            raise IlnerError("config key 'scratch.linear_member' needs scratch.architecture bilstm-crf with scratch.word_level: true")
        if self.gazetteers and not word_level_bilstm:
            raise IlnerError("config key 'scratch.gazetteers' needs scratch.architecture bilstm-crf with scratch.word_level: true")
        for source in self.gazetteers:
            if source != "cldr" and not Path(source).is_file():
                raise IlnerError(f"config key 'scratch.gazetteers': {source!r} is neither 'cldr' nor a file")
        if self.ensemble_size < (0 if self.linear_member else 1):
            raise IlnerError("config key 'scratch.ensemble_size' must be at least 1 (0 only with scratch.linear_member: "
                             "the feature CRF alone)")
        if self.wide_buckets < 2:
            raise IlnerError(f"config key 'scratch.wide_buckets' must be at least 2, got {self.wide_buckets}")


def train_tokenizer(texts: Iterable[str], vocab_size: int):
    """A Unigram tokenizer with XLM-R's pre-tokenization (whitespace, "▁" prefix) and special tokens.

    No normalizer is set on purpose: transformers' XLM-R tokenizer drops any but SentencePiece's
    on reload, so the input is NFC-normalised by ilner before tokenization instead.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import XLMRobertaTokenizer

    backend = Tokenizer(models.Unigram())
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, unk_token="<unk>", max_piece_length=12,
        show_progress=False,
    )
    try:
        backend.train_from_iterator((unicodedata.normalize("NFC", t) for t in texts), trainer)
    except Exception as error:  # the tokenizers library raises a bare Exception
        if "not large enough" not in str(error):
            raise
        raise IlnerError(f"scratch.vocab_size {vocab_size} cannot hold every character of the training text; "
                         "raise scratch.vocab_size (a few thousand is usual)") from None
    backend.model = _canonical_unigram(backend)
    return XLMRobertaTokenizer(tokenizer_object=backend, model_max_length=512)


def _canonical_unigram(backend):
    """The trained Unigram model made independent of the trainer's run-to-run noise.

    Two things vary between runs on the same text: scores in their last bits (parallel sums),
    and which of the characters added at the end (each single character the pieces do not
    cover, given the lowest scores in steps of 1e-4) gets which of those scores (hash order).
    Scores are rounded, those characters get the scores in character order, and pieces are put
    in a fixed order, so that runs with the same seed build the same tokenizer.
    """
    from tokenizers import models

    vocab = json.loads(backend.to_str())["model"]["vocab"]
    specials = [(piece, score) for piece, score in vocab[: len(SPECIAL_TOKENS)]]
    pieces = vocab[len(SPECIAL_TOKENS):]
    assert [piece for piece, _ in specials] == SPECIAL_TOKENS
    pieces = sorted(((piece, round(score, 8)) for piece, score in pieces), key=lambda item: item[1])
    # The added characters: the run at the bottom whose scores are 1e-4 apart.
    end = 1
    while end < len(pieces) and pieces[end][1] - pieces[end - 1][1] <= 1.5e-4:
        end += 1
    added = [(piece, score) for piece, score in pieces[:end] if len(piece) == 1]
    rescored = dict(zip(sorted(p for p, _ in added), sorted((s for _, s in added), reverse=True)))
    pieces = sorted(((p, rescored.get(p, s)) for p, s in pieces), key=lambda item: (-item[1], item[0]))
    return models.Unigram(specials + pieces, unk_id=SPECIAL_TOKENS.index("<unk>"), byte_fallback=False)


def build_scratch_model(
    output_dir: str | Path, texts: Iterable[str], labels: Sequence[str] | None = None,
    spec: ScratchSpec = ScratchSpec(), seed: int = 0, masked_lm: bool = False,
) -> Path:
    """Train a tokenizer on ``texts``, create a random-init encoder, save both; returns the dir.

    With ``labels`` the model is a token classifier; with ``masked_lm`` an MLM (for pretraining);
    otherwise a bare encoder that ``ilner train`` gives a fresh classification head.
    """
    import torch
    from transformers import AutoModel, AutoModelForMaskedLM, AutoModelForTokenClassification, XLMRobertaConfig

    tokenizer = train_tokenizer(texts, spec.vocab_size)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=spec.hidden_size, num_hidden_layers=spec.num_layers,
        num_attention_heads=spec.num_heads, intermediate_size=spec.intermediate_size,
        max_position_embeddings=spec.max_positions + 2, type_vocab_size=1,
        hidden_dropout_prob=spec.dropout, attention_probs_dropout_prob=spec.dropout,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    config.ilner_scratch = asdict(spec)
    torch.manual_seed(seed)
    if labels is not None:
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
        model = AutoModelForTokenClassification.from_config(config)
    elif masked_lm:
        model = AutoModelForMaskedLM.from_config(config)
    else:
        model = AutoModel.from_config(config)
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    return output_dir
