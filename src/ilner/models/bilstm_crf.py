"""A BiLSTM-CRF tagger that learns from the corpus alone on a CPU, as a Hugging Face model.

Each input piece is seen three ways: its embedding, a character CNN over its characters, and
hashed features of its form (prefixes and suffixes 1-4, digits, script, length) — the classic
CRF features, since Indic morphology lives in suffixes. A bidirectional LSTM reads the pieces,
a linear layer scores the labels, and a linear-chain CRF ties the labels of consecutive words:
trained with the forward algorithm, decoded by Viterbi under IOB2 constraints
(ilner.inference.decoding).

The tokenizer keeps every training word seen ``word_min_count`` times as one piece and splits
other words into sub-word pieces, so the model is word-level where the corpus is dense and
falls back to pieces (and characters) elsewhere. With ``word_level`` the model puts each word
back together from its pieces (``assemble_words``) and the LSTM and CRF read whole words, so a
rare word split into pieces still shows its whole spelling and its real suffix. With
``linear_member`` (word level) a classic feature CRF — weights on the hashed identities of the
word and its neighbours within +-2, its affixes and form — is trained alongside the BiLSTMs and
averaged in with them (``LinearCrf``). With a gazetteer (word level) every word also has a feature
per name type: begins a listed name, inside one, or neither (``gazetteer_features``), matched on
hashes of the words' spellings, the names held in buffers so that the model directory carries them.

Characters and features of every piece are fixed tables (buffers) indexed by piece id: the
model takes ``input_ids`` and ``attention_mask`` like any token classifier, so training,
windows, the tagger and ONNX export work unchanged. Loading it through ``transformers.Auto*``
needs ``register()`` first: ilner's own loaders call it, plain transformers code calls it once
(``from ilner.models.bilstm_crf import register; register()``, as the README and the model card
show). transformers learns of the architecture from this module only, never from code in a
model directory (no ``trust_remote_code``).
"""

from __future__ import annotations

import json
import math
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import MaskedLMOutput, TokenClassifierOutput

from ilner.models.scratch import SPECIAL_TOKENS, ScratchSpec, train_tokenizer
from ilner.text.scripts import script_of_token

MODEL_TYPE = "ilner-bilstm-crf"
WORD_MARK = "▁"
NUM_FEATURES = 12
_CHAR_BASE = 1 << 12  # character ids as digits of the affix hash
_ROW_HASH = 0x9E3779B97F4A7C15 - (1 << 64)  # an odd 64-bit multiplier (as a signed int64)
_HASH_BASE, _HASH_MODULUS = 4099, (1 << 31) - 1  # the word-identity hash
MAX_GAZETTEER_WORDS = 4  # longer names are left out (and counted) when a model is built
_GAZETTEER_KIND = 9  # feature kinds 0-8 (mod 16) are the affixes and length


class BiLstmCrfConfig(PretrainedConfig):
    model_type = MODEL_TYPE

    def __init__(
        self, vocab_size: int = 8000, embedding_size: int = 100, char_vocab_size: int = 256,
        char_embedding_size: int = 30, char_filters: int = 50, max_piece_chars: int = 24,
        feature_buckets: int = 1 << 17, feature_size: int = 50, hidden_size: int = 200, num_layers: int = 1,
        dropout: float = 0.5, word_dropout: float = 0.05, ensemble_size: int = 1, max_position_embeddings: int = 514,
        word_level: bool = False, max_word_chars: int = 32, linear_member: bool = False, wide_buckets: int = 1 << 18,
        gazetteer_types: Sequence[str] = (), gazetteer_size: int = 0, **kwargs,
    ):
        if linear_member and not word_level:
            raise ValueError("linear_member reads whole words: it needs word_level=True")
        if gazetteer_types and not word_level:
            raise ValueError("a gazetteer matches whole words: it needs word_level=True")
        self.gazetteer_types = list(gazetteer_types)  # entity types of the gazetteer's names
        self.gazetteer_size = gazetteer_size  # how many names (rows of the gazetteer tables)
        self.ensemble_size = ensemble_size
        self.linear_member = linear_member
        self.wide_buckets = wide_buckets
        self.word_level = word_level
        self.max_word_chars = max_word_chars
        self.vocab_size = vocab_size
        self.embedding_size = embedding_size
        self.char_vocab_size = char_vocab_size
        self.char_embedding_size = char_embedding_size
        self.char_filters = char_filters
        self.max_piece_chars = max_piece_chars
        self.feature_buckets = feature_buckets
        self.feature_size = feature_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.word_dropout = word_dropout
        self.max_position_embeddings = max_position_embeddings  # windows only; the LSTM has no limit
        super().__init__(**kwargs)


def _traced() -> bool:
    """Whether the model is being traced (ONNX export, torch.compile): shapes must not depend on
    the values of the input then, so the eager short cuts (trimmed axes, distinct spellings) are off."""
    return torch.compiler.is_compiling() or torch.onnx.is_in_onnx_export()


NOT_ALLOWED = -1e4  # the emission score of a label a word may not have: exp() of it is 0 in float32


class LinearChainCrf(nn.Module):
    """Transition scores between labels, with the CRF's negative log-likelihood."""

    def __init__(self, num_labels: int):
        super().__init__()
        self.start = nn.Parameter(torch.zeros(num_labels))
        self.transitions = nn.Parameter(torch.zeros(num_labels, num_labels))  # [previous, next]
        self.end = nn.Parameter(torch.zeros(num_labels))

    def neg_log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per sequence -log p(tags | emissions); ``mask`` [batch, words] marks real words (left-aligned)."""
        batch = torch.arange(emissions.shape[0], device=emissions.device)
        real = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)
        moved = self.transitions[tags[:, :-1], tags[:, 1:]]
        last = tags[batch, real.sum(dim=1).long() - 1]
        gold = self.start[tags[:, 0]] + (emitted * real).sum(dim=1) + (moved * real[:, 1:]).sum(dim=1) + self.end[last]
        return self.log_partition(emissions, mask) - gold

    def partial_neg_log_likelihood(self, emissions: torch.Tensor, allowed: torch.Tensor,
                                   mask: torch.Tensor) -> torch.Tensor:
        """Per sequence -log of the probability of every label sequence that ``allowed`` [batch,
        words, labels] permits: the loss of partial annotation, where a word of a corpus that does
        not annotate a type may be that type or O, and a word of a lumped type (MISC: numbers or
        dates) may be either. With one label allowed a word it is ``neg_log_likelihood``. Every
        real word must allow at least one label."""
        constrained = emissions.masked_fill(~allowed, NOT_ALLOWED)
        both = self.log_partition(torch.cat([emissions, constrained]), torch.cat([mask, mask]))
        rows = emissions.shape[0]
        return both[:rows] - both[rows:]

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per sequence the log of the sum over all label sequences of exp(score): the forward algorithm."""
        keep = mask.bool().unsqueeze(2)
        alpha = self.start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            forward = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(keep[:, t], forward, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)


@dataclass
class Words:
    """The words of a batch of pieces, assembled inside the model (``word_level``).

    ``index`` [batch, pieces]: each piece's word (padding points past the last word);
    ``membership`` [batch, words, pieces]: 1.0 where a piece belongs to a word; ``first``
    [batch, words]: each word's first piece; ``chars`` [batch, words, max_word_chars]: the word's
    characters (its first and last halves when longer); ``affixes`` [batch, words, 9]: hashed
    prefixes and suffixes 1-4 and length of the whole word; ``identity`` [batch, words]: a hash
    of the word's spelling; ``lengths`` [batch]: words per row.
    """

    index: torch.Tensor
    membership: torch.Tensor
    first: torch.Tensor
    chars: torch.Tensor
    affixes: torch.Tensor
    identity: torch.Tensor
    lengths: torch.Tensor
    gazetteer: torch.Tensor | None = None  # [batch, words, gazetteer types]: ``gazetteer_features``

    def to_pieces(self, values: torch.Tensor) -> torch.Tensor:
        """[batch, words, n] -> [batch, pieces, n]: every piece gets its word's values."""
        return values.gather(1, self.index.unsqueeze(2).expand(-1, -1, values.shape[2]))


@dataclass
class Pieces:
    """What every member reads of a batch: piece characters and features, and the words."""

    chars: torch.Tensor
    features: torch.Tensor
    lengths: torch.Tensor
    words: Words | None

    def first_features(self) -> torch.Tensor:
        """[batch, words, NUM_FEATURES]: the features of each word's first piece."""
        first = self.words.first.unsqueeze(2).expand(-1, -1, self.features.shape[2])
        return self.features.gather(1, first)


def assemble_words(input_ids: torch.Tensor, attention_mask: torch.Tensor, piece_chars: torch.Tensor,
                   starts_word: torch.Tensor, max_chars: int, buckets: int, trim: bool) -> Words:
    """Group pieces into words (a word starts at a piece marked "▁", or at a window's first piece)
    and spell each word out from its pieces' characters, with tensor operations only (ONNX-safe).

    The word axis has as many slots as there are pieces, or with ``trim`` (eager runs) as many as
    the longest row has words."""
    batch, length = input_ids.shape
    real = attention_mask.bool()
    positions = torch.arange(length, device=input_ids.device)
    starts = (starts_word[input_ids].bool() | (positions == 0)) & real
    index = torch.where(real, torch.cumsum(starts.long(), dim=1) - 1, torch.full_like(input_ids, length))
    words = int(starts.sum(dim=1).max()) if trim else length
    membership = index.unsqueeze(1) == positions[:words].view(1, -1, 1)  # [batch, words, pieces]
    first = membership.long().argmax(dim=2)
    # All characters of a row in one stream, in order; a word is a contiguous run of it.
    chars = piece_chars[input_ids]
    per_piece = (chars > 0).sum(dim=2) * real
    slots = torch.arange(chars.shape[2], device=input_ids.device)
    dump = length * chars.shape[2]
    kept = slots < per_piece.unsqueeze(2)
    target = torch.where(kept, (torch.cumsum(per_piece, 1) - per_piece).unsqueeze(2) + slots, dump)
    stream = torch.zeros(batch, dump + 1, dtype=chars.dtype, device=chars.device)  # the last slot stays 0
    stream = stream.scatter(1, target.view(batch, -1), torch.where(kept, chars, 0).view(batch, -1))
    word_length = (membership * per_piece.unsqueeze(1)).sum(dim=2)
    word_start = (torch.cumsum(word_length, dim=1) - word_length).unsqueeze(2)
    word_length = word_length.unsqueeze(2)

    def spell(offsets: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        where = torch.where(valid, word_start + offsets, dump).view(batch, -1)
        return stream.gather(1, where).view(batch, words, -1)

    k = torch.arange(max_chars, device=input_ids.device)
    from_end = (word_length > max_chars) & (k >= max_chars // 2)
    word_chars = spell(torch.where(from_end, word_length - max_chars + k, k), k < word_length)
    last = torch.arange(4, device=input_ids.device) + word_length - 4
    suffix = spell(last, last >= 0)  # the last four characters, 0 before the word's start
    affixes = []
    for kind, span in enumerate([word_chars[:, :, :1], word_chars[:, :, :2], word_chars[:, :, :3], word_chars[:, :, :4],
                                 suffix[:, :, 3:], suffix[:, :, 2:], suffix[:, :, 1:], suffix]):
        weights = _CHAR_BASE ** torch.arange(span.shape[2], device=input_ids.device)
        affixes.append((span * weights).sum(dim=2) * 16 + kind)
    affixes.append(word_length.squeeze(2).clamp(max=10) * 16 + 8)
    affixes = torch.stack(affixes, dim=2) % (buckets - 1) + 1
    identity = word_length.squeeze(2)
    for position in range(max_chars):  # a polynomial hash of the spelling, kept below 2**31 at each step
        identity = (identity * _HASH_BASE + word_chars[:, :, position]) % _HASH_MODULUS
    return Words(index.clamp(max=words - 1), membership.to(torch.float32), first, word_chars, affixes, identity,
                 starts.sum(dim=1))


def name_hashes(identity: torch.Tensor, lengths: torch.Tensor, words: int) -> torch.Tensor:
    """[batch, positions] hashes of the ``words``-word sequence starting at each position (-1
    where it would run past the row's end), from the words' identity hashes."""
    length = identity.shape[1]
    positions = torch.arange(length, device=identity.device)
    hashed = identity
    for offset in range(1, words):
        at = (positions + offset).clamp(max=length - 1)
        hashed = (hashed * _HASH_BASE + identity[:, at] + offset) % _HASH_MODULUS
    return torch.where(positions + words <= lengths.unsqueeze(1), hashed, -1)


def gazetteer_features(words: Words, names: torch.Tensor, name_words: torch.Tensor, name_types: torch.Tensor,
                       num_types: int, buckets: int) -> torch.Tensor:
    """[batch, words, num_types] hashed features: for each gazetteer type, whether a word is inside
    a name of that type (I), begins one (B), or neither (each type has its own three values).

    ``names`` [G] are name hashes (``name_hashes`` of the name's own words), ``name_words`` [G]
    their lengths in words, ``name_types`` [G] their type ids."""
    batch, length = words.identity.shape
    begins = torch.zeros(batch, length, num_types, dtype=torch.bool, device=names.device)
    inside = torch.zeros_like(begins)
    types = torch.nn.functional.one_hot(name_types, num_types)  # [G, types]
    for n in range(1, MAX_GAZETTEER_WORDS + 1):
        found = name_hashes(words.identity, words.lengths, n).unsqueeze(2) == torch.where(name_words == n, names, -2)
        starts = (found.float() @ types.float()) > 0  # [batch, words, types]
        begins = begins | starts
        for offset in range(1, n):
            inside[:, offset:] = inside[:, offset:] | starts[:, :-offset]
    value = torch.where(inside, 2, torch.where(begins, 1, 0))  # the longer name wins: गिनी inside इक्वेटोरियल गिनी
    types = torch.arange(num_types, device=names.device)
    return ((types * 3 + value) * 16 + _GAZETTEER_KIND) % (buckets - 1) + 1


class WideFeatures(nn.Module):
    """Label scores read straight off sparse features, as a feature CRF does: the identity of the
    word and of its neighbours within +-2, its affixes, its first piece's features and a bias,
    each hashed to one of ``buckets`` rows of per-label weights (starting at zero)."""

    WINDOW = (-2, -1, 0, 1, 2)

    def __init__(self, buckets: int, num_labels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(buckets, num_labels))

    def forward(self, words: Words, first_features: torch.Tensor) -> torch.Tensor:
        """Scores [batch, words, labels]."""
        batch, length = words.identity.shape
        positions = torch.arange(length, device=words.identity.device).expand(batch, -1)
        neighbours = []
        for offset in self.WINDOW:  # the edge of the row is a value of its own, padding never leaks in
            at = positions + offset
            inside = (at >= 0) & (at < words.lengths.unsqueeze(1))
            neighbours.append(torch.where(inside, words.identity.gather(1, at.clamp(0, length - 1)), -1))
        always = torch.zeros_like(words.identity).unsqueeze(2)  # a feature every word has: the label bias
        extra = [] if words.gazetteer is None else [words.gazetteer]
        raw = torch.cat([torch.stack(neighbours, dim=2), words.affixes, first_features, always, *extra], dim=2)
        slots = torch.arange(raw.shape[2], device=raw.device)
        ids = ((raw + 1) * 32 + slots) % (self.weight.shape[0] - 1) + 1
        # An embedding lookup, not self.weight[ids]: indexing's backward adds the gradients of a
        # repeated row in a varying order on several threads, so the same seed gave other weights.
        return nn.functional.embedding(ids, self.weight).sum(dim=2)


class LinearCrf(nn.Module):
    """The classic feature CRF as one more member of the ensemble (``linear_member``): label
    scores are a sum of sparse feature weights (``WideFeatures``), no hidden layer.

    It errs differently from the BiLSTMs — it memorises words and their neighbours exactly and
    does not generalise from characters — so averaging it in helps where the two disagree."""

    def __init__(self, config: BiLstmCrfConfig):
        super().__init__()
        self.wide = WideFeatures(config.wide_buckets, config.num_labels)
        self.crf = LinearChainCrf(config.num_labels)

    def forward(self, word_ids: torch.Tensor, pieces: Pieces) -> torch.Tensor:
        """Emission scores [batch, pieces, labels]."""
        return pieces.words.to_pieces(self.wide(pieces.words, pieces.first_features()))


class UniformDropout(nn.Module):
    """``nn.Dropout`` with its mask drawn by ``torch.rand``: the same function, but on the CPU
    ``bernoulli_`` took 12% of a training step and uniform draws are about 2.5x faster."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not self.p:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1 / (1 - self.p))


class BiLstmCrf(nn.Module):
    """One tagger: piece vectors (embedding, character CNN, hashed features), BiLSTM, emissions, CRF."""

    def __init__(self, config: BiLstmCrfConfig):
        super().__init__()
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_size)
        self.char_embeddings = nn.Embedding(config.char_vocab_size, config.char_embedding_size, padding_idx=0)
        self.char_cnn = nn.Conv1d(config.char_embedding_size, config.char_filters, kernel_size=3, padding=1)
        self.feature_embeddings = nn.Embedding(config.feature_buckets, config.feature_size, padding_idx=0)
        width = config.embedding_size + config.char_filters + config.feature_size
        self.forward_layers = nn.ModuleList()
        self.backward_layers = nn.ModuleList()
        for layer in range(config.num_layers):
            size = width if layer == 0 else 2 * config.hidden_size
            self.forward_layers.append(nn.LSTM(size, config.hidden_size, batch_first=True))
            self.backward_layers.append(nn.LSTM(size, config.hidden_size, batch_first=True))
        self.dropout = UniformDropout(config.dropout)
        self.classifier = nn.Linear(2 * config.hidden_size, config.num_labels)
        self.crf = LinearChainCrf(config.num_labels)

    def forward(self, word_ids: torch.Tensor, pieces: Pieces) -> torch.Tensor:
        """Emission scores [batch, pieces, labels]."""
        return self.classifier(self.dropout(self.encode(word_ids, pieces)))

    def encode(self, word_ids: torch.Tensor, pieces: Pieces) -> torch.Tensor:
        """Contextual piece vectors [batch, pieces, 2 * hidden]; with ``pieces.words`` the LSTM
        reads whole words and every piece gets its word's vector."""
        embeddings = self.embeddings(word_ids)
        words = pieces.words
        if words is None:
            hidden = torch.cat([embeddings, self._spell(pieces.chars), self.feature_embeddings(pieces.features).sum(2)], -1)
            return self._bidirectional(self.dropout(hidden), pieces.lengths)
        embeddings = words.membership @ embeddings / words.membership.sum(dim=2, keepdim=True).clamp(min=1)
        extra = [] if words.gazetteer is None else [words.gazetteer]
        features = self.feature_embeddings(torch.cat([pieces.first_features(), words.affixes, *extra], dim=2)).sum(dim=2)
        hidden = self._bidirectional(self.dropout(torch.cat([embeddings, self._spell(words.chars), features], -1)),
                                     words.lengths)
        return words.to_pieces(hidden)

    def _spell(self, chars: torch.Tensor) -> torch.Tensor:
        """Character CNN, max-pooled: [batch, n, chars] -> [batch, n, char_filters]."""
        batch, length, width = chars.shape
        rows = chars.view(batch * length, width)
        if _traced():
            return self._convolve(rows).view(batch, length, -1)
        # Eagerly (training, scoring), the CNN sees each distinct spelling once, over as many slots as the
        # longest one needs plus two all-padding slots (so every row still has a window of padding
        # alone, as at full width): the same values, at a fraction of the cost.
        longest = int((rows > 0).sum(dim=1).max())
        rows = rows[:, : min(width, longest + 2)]
        return self._convolve_distinct(rows).view(batch, length, -1)

    def _convolve_distinct(self, rows: torch.Tensor) -> torch.Tensor:
        """The CNN over each distinct row once. Rows are told apart by a 64-bit hash of their
        characters (sorting one number is ~10x cheaper than sorting rows); a collision, checked
        for, falls back to comparing whole rows."""
        powers = torch.full((rows.shape[1],), _ROW_HASH, dtype=torch.long, device=rows.device).cumprod(0)
        keys, inverse = torch.unique((rows * powers).sum(dim=1), return_inverse=True)  # wraps mod 2**64
        first = torch.empty(len(keys), dtype=torch.long, device=rows.device)
        first.scatter_(0, inverse, torch.arange(len(rows), device=rows.device))
        distinct = rows[first]
        if not torch.equal(distinct[inverse], rows):
            distinct, inverse = torch.unique(rows, dim=0, return_inverse=True)
        return self._convolve(distinct)[inverse]

    def _convolve(self, rows: torch.Tensor) -> torch.Tensor:
        vectors = self.char_embeddings(rows).transpose(1, 2)
        return torch.relu(self.char_cnn(vectors)).amax(dim=2)

    def _bidirectional(self, hidden: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Stacked BiLSTM over right-padded rows; the backward pass reads each row's own end first."""
        positions = torch.arange(hidden.shape[1], device=hidden.device).unsqueeze(0)
        flipped = lengths.unsqueeze(1) - 1 - positions
        reverse = torch.where(flipped >= 0, flipped, positions).unsqueeze(2)  # padding stays in place
        for layer, (forward_lstm, backward_lstm) in enumerate(zip(self.forward_layers, self.backward_layers)):
            if layer:
                hidden = self.dropout(hidden)
            ahead, _ = forward_lstm(hidden)
            behind, _ = backward_lstm(hidden.gather(1, reverse.expand(-1, -1, hidden.shape[2])))
            behind = behind.gather(1, reverse.expand(-1, -1, behind.shape[2]))
            hidden = torch.cat([ahead, behind], dim=-1)
        return hidden


class BiLstmCrfPreTrainedModel(PreTrainedModel):
    """The piece tables, ``ensemble_size`` members and their initialisation; heads in subclasses."""

    config_class = BiLstmCrfConfig
    base_model_prefix = "bilstm"
    main_input_name = "input_ids"

    def __init__(self, config: BiLstmCrfConfig):
        super().__init__(config)
        self.register_buffer("piece_chars", torch.zeros(config.vocab_size, config.max_piece_chars, dtype=torch.long))
        self.register_buffer("piece_features", torch.zeros(config.vocab_size, NUM_FEATURES, dtype=torch.long))
        if config.word_level:
            self.register_buffer("piece_starts_word", torch.zeros(config.vocab_size, dtype=torch.long))
        if config.gazetteer_types:
            for name in ("gazetteer_names", "gazetteer_words", "gazetteer_types"):
                self.register_buffer(name, torch.zeros(config.gazetteer_size, dtype=torch.long))
        members = [BiLstmCrf(config) for _ in range(config.ensemble_size)]
        self.members = nn.ModuleList(members + ([LinearCrf(config)] if config.linear_member else []))

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        """PyTorch's default initialisation (what these layers are tuned for), CRF at zero."""
        if isinstance(module, nn.Embedding):
            init.normal_(module.weight, std=1.0)
            if module.padding_idx is not None and not getattr(module.weight, "_is_hf_initialized", False):
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, (nn.Linear, nn.Conv1d)):
            init.kaiming_uniform_(module.weight, a=math.sqrt(5))
            fan_in = module.weight[0].numel()
            init.uniform_(module.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))
        elif isinstance(module, nn.LSTM):
            bound = 1 / math.sqrt(module.hidden_size)
            for parameter in module.parameters():
                init.uniform_(parameter, -bound, bound)
        elif isinstance(module, (LinearChainCrf, WideFeatures)):
            for parameter in module.parameters():
                init.zeros_(parameter)

    def member_inputs(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None):
        """Per member: (piece ids after word dropout, the pieces and words of the batch)."""
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        words = None
        if self.config.word_level:
            # Eagerly the word axis is trimmed to the longest row; traced for export it stays static.
            words = assemble_words(input_ids, attention_mask, self.piece_chars, self.piece_starts_word,
                                   self.config.max_word_chars, self.config.feature_buckets, trim=not _traced())
            if self.config.gazetteer_types:
                words.gazetteer = gazetteer_features(words, self.gazetteer_names, self.gazetteer_words,
                                                     self.gazetteer_types, len(self.config.gazetteer_types),
                                                     self.config.feature_buckets)
        pieces = Pieces(self.piece_chars[input_ids], self.piece_features[input_ids], attention_mask.sum(dim=1), words)
        for _ in self.members:
            word_ids = input_ids
            if self.training and self.config.word_dropout:
                # Word dropout: some pieces lose their embedding (not their characters or features),
                # so that the model learns to read words it has not seen.
                dropped = torch.rand(input_ids.shape, device=input_ids.device) < self.config.word_dropout
                word_ids = torch.where(dropped, torch.full_like(input_ids, self.config.unk_token_id), input_ids)
            yield word_ids, pieces


class BiLstmCrfForTokenClassification(BiLstmCrfPreTrainedModel):
    """``ensemble_size`` independent BiLSTM-CRFs trained side by side (each on its own loss, with
    its own initialisation and dropout) whose emission and transition scores are averaged."""

    def __init__(self, config: BiLstmCrfConfig):
        super().__init__(config)
        self.num_labels = config.num_labels
        self.post_init()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, allowed_labels: torch.Tensor | None = None,
                **kwargs) -> TokenClassifierOutput:
        """``labels`` [batch, pieces]: a word's label at its first piece, -100 elsewhere. With
        ``allowed_labels`` [batch, pieces, labels] (bool), a labelled piece may have any label it
        allows, and the loss counts every sequence so allowed (partial annotation)."""
        emissions = [member(*inputs) for member, inputs in zip(self.members, self.member_inputs(input_ids, attention_mask))]
        loss = None
        if labels is not None:
            loss = sum(self._loss(member.crf, e, labels, allowed_labels) for member, e in zip(self.members, emissions))
        return TokenClassifierOutput(loss=loss, logits=torch.stack(emissions).mean(dim=0))

    @staticmethod
    def _loss(crf: LinearChainCrf, logits: torch.Tensor, labels: torch.Tensor,
              allowed: torch.Tensor | None = None) -> torch.Tensor:
        """Mean CRF loss over the labelled positions (first pieces of words) of each row."""
        labelled = labels != -100
        counts = labelled.sum(dim=1)
        rows = counts > 0
        logits, labels, labelled, counts = logits[rows], labels[rows], labelled[rows], counts[rows]
        words = int(counts.max())
        # Positions of the labelled pieces, in order, first in each row.
        order = torch.sort((~labelled).to(torch.int8), dim=1, stable=True).indices[:, :words]
        emissions = logits.gather(1, order.unsqueeze(2).expand(-1, -1, logits.shape[2])).float()
        mask = (torch.arange(words, device=logits.device).unsqueeze(0) < counts.unsqueeze(1)).to(logits.dtype)
        if allowed is not None:
            allowed = allowed[rows].gather(1, order.unsqueeze(2).expand(-1, -1, allowed.shape[2]))
            return crf.partial_neg_log_likelihood(emissions, allowed, mask).mean()
        tags = labels.gather(1, order).clamp(min=0)
        return crf.neg_log_likelihood(emissions, tags, mask).mean()

    def transition_scores(self) -> tuple:
        """(start, transitions[previous, next], end) averaged over members, as numpy arrays."""
        return tuple(
            torch.stack([getattr(m.crf, name) for m in self.members]).mean(dim=0).detach().float().cpu().numpy()
            for name in ("start", "transitions", "end")
        )


class BiLstmCrfForMaskedLM(BiLstmCrfPreTrainedModel):
    """The members' encoders with a masked-piece prediction head each: pre-training on raw text
    (``ilner pretrain``); ``ilner train --model DIR`` then adds the classifiers and CRFs."""

    def __init__(self, config: BiLstmCrfConfig):
        super().__init__(config)
        self.lm_heads = nn.ModuleList(nn.Linear(2 * config.hidden_size, config.vocab_size)
                                      for _ in range(config.ensemble_size))  # the BiLSTMs (a linear member has no encoder)
        self.post_init()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **kwargs) -> MaskedLMOutput:
        logits = []
        loss = None
        for member, head, inputs in zip(self.members, self.lm_heads, self.member_inputs(input_ids, attention_mask)):
            hidden = member.encode(*inputs)
            if labels is not None:  # score only the masked positions (a vocabulary-wide softmax is costly)
                masked = labels != -100
                member_loss = nn.functional.cross_entropy(head(member.dropout(hidden[masked])), labels[masked])
                loss = member_loss if loss is None else loss + member_loss
            else:
                logits.append(head(hidden))
        return MaskedLMOutput(loss=loss, logits=torch.stack(logits).mean(dim=0) if logits else None)


def register() -> None:
    """Make transformers' ``Auto*`` classes know this architecture (model type ``ilner-bilstm-crf``);
    idempotent. Needed once before ``AutoModelForTokenClassification.from_pretrained`` on such a model."""
    from transformers import AutoConfig, AutoModelForMaskedLM, AutoModelForTokenClassification

    try:
        AutoConfig.register(MODEL_TYPE, BiLstmCrfConfig)
        AutoModelForTokenClassification.register(BiLstmCrfConfig, BiLstmCrfForTokenClassification)
        AutoModelForMaskedLM.register(BiLstmCrfConfig, BiLstmCrfForMaskedLM)
    except ValueError:  # already registered
        pass


# ---------------------------------------------------------------------------------------------
# Tokenizer and piece tables


def word_tokenizer(texts: Iterable[str], min_count: int, subword_size: int):
    """A Unigram tokenizer whose vocabulary holds every word seen ``min_count`` times, whole,
    plus ``subword_size`` sub-word pieces (trained on the text) for all other words."""
    from tokenizers import models
    from transformers import XLMRobertaTokenizer

    texts = [unicodedata.normalize("NFC", t) for t in texts]
    counts = Counter(word for text in texts for word in text.split())
    base = train_tokenizer(texts, subword_size)
    backend = base.backend_tokenizer
    pieces = json.loads(backend.to_str())["model"]["vocab"]
    known = {piece for piece, _ in pieces}
    # Whole words score above any sub-word piece, so a known word is always one piece.
    words = [(WORD_MARK + w, 0.0) for w, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
             if n >= min_count and WORD_MARK + w not in known]
    pieces = [(piece, score) for piece, score in pieces]
    specials, rest = pieces[: len(SPECIAL_TOKENS)], pieces[len(SPECIAL_TOKENS):]
    backend.model = models.Unigram(specials + words + rest, unk_id=SPECIAL_TOKENS.index("<unk>"), byte_fallback=False)
    return XLMRobertaTokenizer(tokenizer_object=backend, model_max_length=512)


def piece_features(piece: str) -> list[str]:
    """The hashed features of one piece: what a feature CRF knows about a word's form."""
    starts_word = piece.startswith(WORD_MARK)
    form = piece[1:] if starts_word else piece
    if piece in SPECIAL_TOKENS:
        return [f"special={piece}"]
    digits = "all" if form.isdigit() else "some" if any(c.isdigit() for c in form) else "none"
    return ([f"pre{k}={form[:k]}" for k in (1, 2, 3, 4)] + [f"suf{k}={form[-k:]}" for k in (1, 2, 3, 4)]
            + [f"digits={digits}", f"script={script_of_token(form)}", f"length={min(len(form), 10)}",
               f"starts_word={starts_word}"])


def piece_tables(vocabulary: Sequence[str], max_chars: int, buckets: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(chars[piece, max_chars], features[piece, NUM_FEATURES], char vocabulary size) for a vocabulary.

    Characters get ids by first appearance (0 is padding); features are hashed (crc32) into
    ``buckets`` - 1 buckets (0 is padding)."""
    char_ids: dict[str, int] = {}
    chars = torch.zeros(len(vocabulary), max_chars, dtype=torch.long)
    features = torch.zeros(len(vocabulary), NUM_FEATURES, dtype=torch.long)
    for index, piece in enumerate(vocabulary):
        form = piece if piece in SPECIAL_TOKENS else piece.removeprefix(WORD_MARK)
        if piece not in SPECIAL_TOKENS:
            ids = [char_ids.setdefault(c, len(char_ids) + 1) for c in form[:max_chars]]
            chars[index, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        hashed = [zlib.crc32(f.encode("utf-8")) % (buckets - 1) + 1 for f in piece_features(piece)]
        features[index, : len(hashed)] = torch.tensor(hashed, dtype=torch.long)
    return chars, features, len(char_ids) + 1


def starts_word_table(vocabulary: Sequence[str]) -> torch.Tensor:
    """1 for each piece that starts a word (marked "▁"); <s> and </s> are words of their own,
    while <unk> and <mask> stand for pieces of a word."""
    starts = [piece in ("<s>", "</s>", "<pad>") or piece.startswith(WORD_MARK) for piece in vocabulary]
    return torch.tensor(starts, dtype=torch.long)


@torch.no_grad()
def fill_gazetteer(model: BiLstmCrfPreTrainedModel, tokenizer, names: Sequence[tuple[Sequence[str], str]],
                   transform=None) -> None:
    """Write (words, type) names into the model's gazetteer tables, hashed as the model reads
    them: through its own tokenizer and ``transform``, so a name matches exactly where its words do."""
    from ilner.models.encoding import WordEncoder

    types = model.config.gazetteer_types
    if len(names) != model.config.gazetteer_size:
        raise ValueError(f"the model has room for {model.config.gazetteer_size} names, not {len(names)}")
    if any(not 0 < len(words) <= MAX_GAZETTEER_WORDS for words, _ in names):
        raise ValueError(f"gazetteer names must have 1 to {MAX_GAZETTEER_WORDS} words")
    if not names:
        return
    windows = WordEncoder(tokenizer, transform=transform).windows([words for words, _ in names])
    input_ids = torch.full((len(windows), max(map(len, windows))), tokenizer.pad_token_id)
    for row, window in enumerate(windows):
        input_ids[row, :len(window)] = torch.tensor(window.input_ids)
    words = assemble_words(input_ids, (input_ids != tokenizer.pad_token_id).long(), model.piece_chars,
                           model.piece_starts_word, model.config.max_word_chars, model.config.feature_buckets,
                           trim=False)
    sizes = torch.tensor([len(w) for w, _ in names])
    # Each name's hash is that of its own words from position 1 (after <s>), over as many words as it has.
    hashes = torch.stack([name_hashes(words.identity, words.lengths, n)[:, 1] for n in range(1, MAX_GAZETTEER_WORDS + 1)])
    model.gazetteer_names.copy_(hashes.gather(0, (sizes - 1).unsqueeze(0))[0])
    model.gazetteer_words.copy_(sizes)
    model.gazetteer_types.copy_(torch.tensor([types.index(t) for _, t in names]))


def spelled_names(tokenizer, names: Sequence[tuple[Sequence[str], str]], transform=None) -> list:
    """The names whose every character the tokenizer knows: a word with characters it has never
    seen reads as <unk>, spelled without them, so such a name would match other words."""
    from ilner.models.encoding import WordEncoder

    pieces = WordEncoder(tokenizer, transform=transform).pieces([words for words, _ in names])
    return [name for name, words in zip(names, pieces)
            if all(tokenizer.unk_token_id not in word for word in words)]


def build_bilstm_crf_model(
    output_dir: str | Path, texts: Iterable[str], labels: Sequence[str] | None = None,
    spec: ScratchSpec = ScratchSpec(), seed: int = 0, masked_lm: bool = False,
    gazetteer: Sequence[tuple[Sequence[str], str]] = (), transform=None,
) -> Path:
    """Build the tokenizer from ``texts`` and a random-init BiLSTM-CRF for ``labels`` (or, with
    ``masked_lm``, for pre-training); save both. ``gazetteer`` (words, type) names are read
    through ``transform``, as the text will be; those with characters the tokenizer has never
    seen are left out (``spelled_names``; the model config's ``gazetteer_size`` says how many stay)."""
    tokenizer = word_tokenizer(texts, spec.word_min_count, spec.vocab_size)
    gazetteer = spelled_names(tokenizer, gazetteer, transform) if gazetteer else []
    vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    chars, features, char_vocab_size = piece_tables(vocabulary, spec.max_piece_chars, spec.feature_buckets)
    config = BiLstmCrfConfig(
        vocab_size=len(tokenizer), embedding_size=spec.embedding_size, char_vocab_size=char_vocab_size,
        char_embedding_size=spec.char_embedding_size, char_filters=spec.char_filters,
        max_piece_chars=spec.max_piece_chars, feature_buckets=spec.feature_buckets, feature_size=spec.feature_size,
        hidden_size=spec.hidden_size, num_layers=spec.num_layers, dropout=spec.dropout,
        word_dropout=spec.word_dropout, ensemble_size=spec.ensemble_size, max_position_embeddings=spec.max_positions + 2,
        word_level=spec.word_level, max_word_chars=spec.max_word_chars, linear_member=spec.linear_member,
        wide_buckets=spec.wide_buckets, gazetteer_types=sorted({t for _, t in gazetteer}), gazetteer_size=len(gazetteer),
        pad_token_id=tokenizer.pad_token_id, unk_token_id=tokenizer.unk_token_id,
        mask_token_id=tokenizer.mask_token_id,
    )
    if labels is not None:
        config.id2label = dict(enumerate(labels))
        config.label2id = {label: i for i, label in enumerate(labels)}
    torch.manual_seed(seed)
    model = BiLstmCrfForMaskedLM(config) if masked_lm else BiLstmCrfForTokenClassification(config)
    model.piece_chars.copy_(chars)
    model.piece_features.copy_(features)
    if spec.word_level:
        model.piece_starts_word.copy_(starts_word_table(vocabulary))
    fill_gazetteer(model, tokenizer, gazetteer, transform)
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    return output_dir
