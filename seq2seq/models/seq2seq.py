"""Encoder–decoder model: embeddings → RNN encoder → bridge → attentional RNN decoder → generator."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from seq2seq.models.bridge import Bridge
from seq2seq.models.cell_types import cell_type
from seq2seq.models.decoder import DecoderState, RNNDecoder
from seq2seq.models.encoder import RNNEncoder
from seq2seq.models.rnn import CellOptions


@dataclass
class Source:
    """An encoded source batch, reused at every decoding step; ``select`` expands/reorders rows."""

    memory: torch.Tensor  # (B, S, D)
    keys: torch.Tensor | None  # (B, S, ·) attention keys, precomputed once
    mask: torch.Tensor  # (B, S)

    def select(self, rows: torch.Tensor) -> Source:
        keys = self.keys.index_select(0, rows) if self.keys is not None else None
        return Source(self.memory.index_select(0, rows), keys, self.mask.index_select(0, rows))


class Generator(nn.Module):
    """Decoder output (B, ·, H) → vocabulary logits. With ``tie`` the output matrix is the target
    embedding matrix (Press & Wolf 2017); a projection H → E comes first when the sizes differ."""

    def __init__(self, hidden: int, embedding_dim: int, vocab: int, tie: bool, embedding: nn.Embedding):
        super().__init__()
        self.proj = nn.Linear(hidden, embedding_dim) if tie and hidden != embedding_dim else None
        self.out = nn.Linear(embedding_dim if tie else hidden, vocab)
        if tie:
            self.out.weight = embedding.weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.proj(x) if self.proj is not None else x)


class Seq2SeqModel(nn.Module):
    # Keyword-only and without defaults: each value comes from the validated ``model`` section, whose schema
    # (seq2seq.tasks.seq2seq.config.Seq2SeqModelConfig) holds the one default of every key.
    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, *, cell: str, embedding_dim: int,
                 hidden_size: int, encoder_layers: int, decoder_layers: int, decoder_hidden_size: int | None,
                 bidirectional: bool, bidirectional_merge: str, attention: str, input_feed: bool, bridge: str,
                 dropout: float, rnn_nonlinearity: str, cell_impl: str, recurrent_dropout: float,
                 layer_norm: bool, tie_embeddings: bool, share_embeddings: bool, coverage: bool):
        super().__init__()
        cells = CellOptions(cell_impl, recurrent_dropout, layer_norm)
        self.encoder = RNNEncoder(src_vocab_size, embedding_dim, hidden_size, encoder_layers, cell, bidirectional,
                                  bidirectional_merge, dropout, rnn_nonlinearity, cells)
        memory_size = self.encoder.output_size
        dec_size = decoder_hidden_size or memory_size
        self.bridge = Bridge(bridge, len(cell_type(cell).state), encoder_layers, memory_size, decoder_layers, dec_size)
        self.decoder = RNNDecoder(tgt_vocab_size, embedding_dim, dec_size, decoder_layers, cell, attention,
                                  memory_size, input_feed, dropout, rnn_nonlinearity, cells, coverage)
        self.generator = Generator(dec_size, embedding_dim, tgt_vocab_size, tie_embeddings, self.decoder.embedding)
        if share_embeddings:  # one vocabulary for both sides (tokenizer.shared=true): one embedding table
            if src_vocab_size != tgt_vocab_size:
                raise ValueError("share_embeddings needs one vocabulary for both sides (tokenizer.shared=true)")
            self.decoder.embedding = self.encoder.embedding
            if tie_embeddings:
                self.generator.out.weight = self.encoder.embedding.weight

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> tuple[Source, DecoderState]:
        enc = self.encoder(src, src_lengths)
        keys = self.decoder.attention.keys(enc.memory) if self.decoder.attention is not None else None
        return Source(enc.memory, keys, enc.mask), self.decoder.initial_state(self.bridge(enc.state), enc.mask)

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor,
                tgt_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher-forced logits (B, T, V) and attention weights (B, T, S) or None."""
        source, state = self.encode(src, src_lengths)
        out, attn, _ = self.decoder(tgt_in, state, source.memory, source.keys, source.mask)
        return self.generator(out), attn

    def forward_sampled(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor, ratio: float,
                        generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Scheduled sampling (Bengio et al. 2015): at each step the decoder input is the gold token with
        probability ``ratio``, else the model's own previous prediction (argmax). Logits (B, T, V) and
        attention (B, T, S) or None, as ``forward``. A per-step loop; with ratio 1.0 it equals ``forward``
        (tested)."""
        source, state = self.encode(src, src_lengths)
        tokens, logits, attns = tgt_in[:, 0], [], []
        for t in range(tgt_in.size(1)):
            out, attn, state = self.decoder.step(tokens, state, source.memory, source.keys, source.mask)
            step_logits = self.generator(out.squeeze(1))
            logits.append(step_logits)
            attns.append(attn)
            if t + 1 < tgt_in.size(1):
                gold = tgt_in[:, t + 1]
                use_gold = torch.rand(gold.shape, generator=generator, device="cpu").to(gold.device) < ratio
                tokens = torch.where(use_gold, gold, step_logits.argmax(-1))
        return torch.stack(logits, dim=1), (torch.cat(attns, dim=1) if attns[0] is not None else None)

    def step(self, tokens: torch.Tensor, state: DecoderState,
             source: Source) -> tuple[torch.Tensor, torch.Tensor | None, DecoderState]:
        """One decoding step: tokens (B,) → log-probabilities (B, V), attention (B, S) or None, state."""
        out, attn, state = self.decoder.step(tokens, state, source.memory, source.keys, source.mask)
        logp = torch.log_softmax(self.generator(out.squeeze(1)).float(), dim=-1)
        return logp, (attn.squeeze(1) if attn is not None else None), state
