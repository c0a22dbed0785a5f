"""BiLSTM/BiGRU sequence tagger: word embedding + character features + casing embedding → bidirectional
recurrent encoder (``seq2seq.models.birnn``) → per-token tag scores → CRF or softmax output layer.

A batch is the dict of ``seq2seq.data.conll.collate.collate_tagging``: words, casing, form_index, mask
(B, T); lengths_cpu (B,); chars (U, C) and char_lengths_cpu (U,) for the U distinct forms of the batch;
tags (B, T) for the loss. Padding never changes a sentence's scores, loss or tags.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from seq2seq.data.conll.vocab import CASING
from seq2seq.models.birnn import BiRNN, Dropout
from seq2seq.models.char_encoder import make_char_encoder
from seq2seq.models.crf import CRF, penalties, transition_constraints, viterbi
from seq2seq.models.pretrained import copy_vectors
from seq2seq.tokenizers import PAD, UNK


class TokenFeatures(nn.Module):
    """(B, T, D) features per token: word embedding ‖ character features ‖ casing embedding."""

    def __init__(self, num_words: int, num_chars: int, embedding_dim: int, char_encoder: str, char_dim: int,
                 char_hidden: int, char_kernel: int, casing_dim: int, word_dropout: float):
        super().__init__()
        self.words = nn.Embedding(num_words, embedding_dim, padding_idx=PAD)
        bound = math.sqrt(3.0 / embedding_dim)  # variance 1/dim, as Ma & Hovy (2016)
        nn.init.uniform_(self.words.weight, -bound, bound)
        with torch.no_grad():
            self.words.weight[PAD].zero_()
        self.chars = make_char_encoder(char_encoder, num_chars, char_dim, char_hidden, char_kernel)
        self.casing = nn.Embedding(len(CASING), casing_dim, padding_idx=0) if casing_dim > 0 else None
        self.word_dropout = word_dropout
        self.out_dim = embedding_dim + (self.chars.out_dim if self.chars else 0) + max(casing_dim, 0)

    def forward(self, batch: dict) -> torch.Tensor:
        words = batch["words"]
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(words.shape, device=words.device) < self.word_dropout) & batch["mask"]
            words = words.masked_fill(drop, UNK)
        parts = [self.words(words)]
        if self.chars is not None:
            per_form = self.chars(batch["chars"], batch["char_lengths_cpu"])  # (U, C_out)
            parts.append(per_form[batch["form_index"]])
        if self.casing is not None:
            parts.append(self.casing(batch["casing"]))
        return torch.cat(parts, dim=-1)


class Tagger(nn.Module):
    # Keyword-only, no defaults: the values come from the validated ``model`` section (TaggerModelConfig).
    def __init__(self, num_words: int, num_chars: int, tags: list[str], scheme: str, *, embedding_dim: int,
                 char_encoder: str, char_dim: int, char_hidden: int, char_kernel: int, casing_dim: int, cell: str,
                 hidden_size: int, encoder_layers: int, dropout: float, word_dropout: float, output: str,
                 constrained: bool, packed: bool):
        super().__init__()
        if output not in ("crf", "softmax"):
            raise ValueError(f"unknown output layer {output!r}; choose crf or softmax")
        self.features = TokenFeatures(num_words, num_chars, embedding_dim, char_encoder, char_dim, char_hidden,
                                      char_kernel, casing_dim, word_dropout)
        self.dropout = Dropout(dropout)
        self.encoder = BiRNN(cell, self.features.out_dim, hidden_size, encoder_layers, dropout, packed)
        self.project = nn.Linear(2 * hidden_size, len(tags))
        constraints = transition_constraints(tags, scheme) if constrained else None
        self.crf = CRF(len(tags), constraints) if output == "crf" else None
        self.constrained = constrained
        if self.crf is None and constrained:
            for name, pen in zip(("trans_penalty", "start_penalty", "end_penalty"), penalties(constraints)):
                self.register_buffer(name, pen, persistent=False)

    def emissions(self, batch: dict) -> torch.Tensor:
        """(B, T, K) tag scores per token."""
        h = self.encoder(self.dropout(self.features(batch)), batch["lengths_cpu"])  # (B, T, 2H)
        return self.project(self.dropout(h))  # padding rows are never read: the mask excludes them

    def nll(self, scores: torch.Tensor, batch: dict) -> torch.Tensor:
        """Summed negative log-likelihood (over the batch's tokens) of ``batch["tags"]`` under ``scores``
        (B, T, K) from ``emissions``."""
        scores, mask, tags = scores.float(), batch["mask"], batch["tags"]
        if self.crf is not None:
            return -self.crf.log_likelihood(scores, tags, mask).sum()
        return (F.cross_entropy(scores.flatten(0, 1), tags.flatten(), reduction="none") * mask.flatten()).sum()

    def best_tags(self, scores: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Best tags (B, T) (0 at padding) for ``scores`` (B, T, K), and each sentence's log-probability
        of them (B,) (CRF: of the whole path; softmax: the sum over tokens)."""
        scores = scores.float()
        if self.crf is not None:
            tags, best = self.crf.decode(scores, mask)
            return tags, best - self.crf.log_partition(scores, mask)
        logp = scores.log_softmax(-1)
        if self.constrained:
            tags, _ = viterbi(logp, mask, self.trans_penalty, self.start_penalty, self.end_penalty)
        else:
            tags = logp.argmax(-1).masked_fill(~mask, 0)
        return tags, (logp.gather(2, tags.unsqueeze(2)).squeeze(2) * mask).sum(1)

    def decode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """``best_tags`` of a batch."""
        return self.best_tags(self.emissions(batch), batch["mask"])

    @torch.no_grad()
    def load_vectors(self, ids: torch.Tensor, vectors: torch.Tensor, freeze: bool = False) -> None:
        """Copy pretrained vectors (N, D) into the word-embedding rows ``ids`` (N,)."""
        copy_vectors(self.features.words, ids, vectors, freeze)
