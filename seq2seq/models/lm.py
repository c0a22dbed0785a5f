"""Recurrent language model (embedding → RNN/LSTM/GRU stack → output layer) and sampling from it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seq2seq.models.rnn import CellOptions, State, as_raw, as_state, make_rnn
from seq2seq.models.sampling import filter_logits
from seq2seq.tokenizers import BOS, EOS, PAD, UNK

NEVER_GENERATED = (PAD, BOS, EOS, UNK)


class RNNLanguageModel(nn.Module):
    """``forward(tokens (B, T), state) -> (logits (B, T, V), state)``; ``state`` is ``None`` (zeros) or the
    state a previous call returned: (h,) or (h, c), each (layers, B, hidden_size).

    Dropout acts on the embeddings, between recurrent layers and on the top layer's outputs. With
    ``tie_weights`` the output layer shares the embedding matrix (Press & Wolf 2017); when
    ``hidden_size != embedding_dim`` a linear projection maps the top layer's outputs to the embedding size.
    """

    # Keyword-only, no defaults: the values come from the validated ``model`` section (LMModelConfig).
    def __init__(self, vocab_size: int, *, cell: str, embedding_dim: int, hidden_size: int, num_layers: int,
                 dropout: float, tie_weights: bool, rnn_nonlinearity: str, cell_impl: str,
                 recurrent_dropout: float, layer_norm: bool):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_rnn(cell, embedding_dim, hidden_size, num_layers, dropout, False, rnn_nonlinearity,
                            CellOptions(cell_impl, recurrent_dropout, layer_norm))
        tied_projection = tie_weights and hidden_size != embedding_dim
        self.projection = nn.Linear(hidden_size, embedding_dim) if tied_projection else None
        self.output = nn.Linear(embedding_dim if tie_weights else hidden_size, vocab_size)
        if tie_weights:
            self.output.weight = self.embedding.weight

    def encode(self, tokens: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """tokens (B, T) → top-layer features (B, T, D) before the output layer, and the final state."""
        emb = self.dropout(self.embedding(tokens))
        hx = as_raw(state) if state is not None else None
        out, raw = self.rnn(emb, hx)  # float32 even under autocast (rnn.Float32Recurrence)
        out = self.dropout(out)
        if self.projection is not None:
            out = self.projection(out)
        return out, as_state(raw)

    def forward(self, tokens: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        features, state = self.encode(tokens, state)
        return self.output(features), state


@torch.no_grad()
def generate(model: RNNLanguageModel, prompt: torch.Tensor, length: int, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, generator: torch.Generator | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Continue each row of ``prompt`` (B, P ≥ 1; starting with ``<bos>``) by ``length`` sampled tokens.

    Each step draws from the model's distribution with the specials removed, scaled by ``temperature``
    (→ 0: argmax) and cut to top-k / the top-p nucleus (``filter_logits``). Returns the new tokens
    (B, length) and their summed log-probabilities under the unfiltered model (B,)."""
    assert prompt.dim() == 2 and prompt.size(1) >= 1, "prompt must be (B, P>=1)"
    logits, state = model(prompt)
    logp = F.log_softmax(logits[:, -1].float(), dim=-1)
    banned = torch.zeros(logp.size(-1), dtype=torch.bool, device=prompt.device)
    banned[list(NEVER_GENERATED)] = True
    out, scores = [], torch.zeros(prompt.size(0), device=prompt.device)
    for step in range(length):
        filtered = filter_logits(logp.masked_fill(banned, float("-inf")), temperature, top_k, top_p)
        token = torch.multinomial(torch.softmax(filtered, dim=-1), 1, generator=generator)  # (B, 1)
        scores += logp.gather(1, token).squeeze(1)
        out.append(token)
        if step + 1 < length:
            logits, state = model(token, state)
            logp = F.log_softmax(logits[:, -1].float(), dim=-1)
    tokens = torch.cat(out, dim=1) if out else prompt.new_zeros(prompt.size(0), 0)
    return tokens, scores
