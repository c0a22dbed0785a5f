"""The reference model written out by hand in plain PyTorch — no Lightning, no Hydra, no project model
classes — so the bench can tell the framework's own cost from the model's.

Char embeddings; a bidirectional LSTM encoder over packed sequences whose final states (directions
concatenated per layer) start the decoder; an LSTM decoder with Luong "general" attention
(score = h_t^T W_a m_s, output tanh(W_c [c_t; h_t]), no biases); a linear generator. Two decoders:
``input_feed=False`` runs one ``nn.LSTM`` call over the whole target and attends to all steps at once;
``input_feed=True`` loops over target positions through ``nn.LSTMCell``s, feeding the previous
attentional vector with the next embedding. All tensors are batch-first.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq2seq.tokenizers import BOS, EOS, PAD


class ReferenceSeq2Seq(nn.Module):
    def __init__(self, src_vocab: int, tgt_vocab: int, emb: int, enc_hidden: int, layers: int, input_feed: bool):
        super().__init__()
        dec = 2 * enc_hidden  # the decoder starts from the concatenated encoder directions
        self.layers, self.dec, self.input_feed = layers, dec, input_feed
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=PAD)
        self.encoder = nn.LSTM(emb, enc_hidden, layers, batch_first=True, bidirectional=True)
        if input_feed:
            self.cells = nn.ModuleList(nn.LSTMCell(emb + dec if i == 0 else dec, dec) for i in range(layers))
        else:
            self.decoder = nn.LSTM(emb, dec, layers, batch_first=True)
        self.attn_in = nn.Linear(dec, dec, bias=False)
        self.attn_out = nn.Linear(2 * dec, dec, bias=False)
        self.generator = nn.Linear(dec, tgt_vocab)

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor):
        """src (B, S), src_lengths (B,) on the CPU → memory (B, S, D), mask (B, S), (h, c) each (L, B, D)."""
        packed = pack_padded_sequence(self.src_emb(src), src_lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = self.encoder(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        b = src.size(0)

        def merge(x):  # (L·2, B, H) → (L, B, 2H)
            x = x.view(self.layers, 2, b, -1)
            return torch.cat([x[:, 0], x[:, 1]], dim=-1).contiguous()

        return memory, src != PAD, (merge(h), merge(c))

    def attend(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """query (B, T, D) → attentional vectors (B, T, D)."""
        scores = torch.bmm(self.attn_in(query), memory.transpose(1, 2)).masked_fill(~mask.unsqueeze(1), float("-inf"))
        context = torch.bmm(torch.softmax(scores, dim=-1), memory)
        return torch.tanh(self.attn_out(torch.cat([context, query], dim=-1)))

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V)."""
        memory, mask, state = self.encode(src, src_lengths)
        emb = self.tgt_emb(tgt_in)
        if not self.input_feed:
            out, _ = self.decoder(emb, state)
            return self.generator(self.attend(out, memory, mask))
        h, c = list(state[0]), list(state[1])
        feed = emb.new_zeros(emb.size(0), self.dec)
        outs = []
        for t in range(emb.size(1)):
            x = torch.cat([emb[:, t], feed], dim=-1)
            for i, cell in enumerate(self.cells):
                h[i], c[i] = cell(x, (h[i], c[i]))
                x = h[i]
            feed = self.attend(x.unsqueeze(1), memory, mask).squeeze(1)
            outs.append(feed)
        return self.generator(torch.stack(outs, dim=1))

    def step(self, y: torch.Tensor, state: tuple, memory: torch.Tensor, mask: torch.Tensor):
        """One decoding step: y (B,), state (h, c, feed) → log-probabilities (B, V), new state."""
        h, c, feed = state
        emb = self.tgt_emb(y)
        if self.input_feed:
            x, hs, cs = torch.cat([emb, feed], dim=-1), [], []
            for i, cell in enumerate(self.cells):
                hi, ci = cell(x, (h[i], c[i]))
                hs.append(hi)
                cs.append(ci)
                x = hi
            h, c = torch.stack(hs), torch.stack(cs)
        else:
            out, (h, c) = self.decoder(emb.unsqueeze(1), (h, c))
            x = out[:, 0]
        feed = self.attend(x.unsqueeze(1), memory, mask).squeeze(1)
        return torch.log_softmax(self.generator(feed), dim=-1), (h, c, feed)


def train_step(model: ReferenceSeq2Seq, opt: torch.optim.Optimizer, batch: dict, device: torch.device,
               clip: float | None) -> torch.Tensor:
    """Forward, token-mean cross-entropy, backward, gradient-norm clipping, Adam. Returns the loss (on device)."""
    src = batch["src"].to(device, non_blocking=True)
    tgt_in = batch["tgt_in"].to(device, non_blocking=True)
    tgt_out = batch["tgt_out"].to(device, non_blocking=True)
    logits = model(src, batch["src_lengths_cpu"], tgt_in)
    loss = F.cross_entropy(logits.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.detach()


@torch.no_grad()
def greedy(model: ReferenceSeq2Seq, src: torch.Tensor, src_lengths: torch.Tensor, budget: torch.Tensor,
           min_len: int = 0) -> torch.Tensor:
    """Greedy search with the framework's output rules: never PAD/BOS, no EOS before ``min_len`` tokens,
    EOS forced at the budget (B,) on src's device. Returns tokens (B, T), PAD after EOS."""
    memory, mask, (h, c) = model.encode(src, src_lengths)
    b = src.size(0)
    state = (h, c, memory.new_zeros(b, model.dec))
    y = torch.full((b,), BOS, dtype=torch.long, device=src.device)
    finished = torch.zeros(b, dtype=torch.bool, device=src.device)
    out = []
    for t in range(int(budget.max())):
        logp, state = model.step(y, state, memory, mask)
        logp[:, PAD] = logp[:, BOS] = float("-inf")
        if t < min_len:
            logp[:, EOS] = logp[:, EOS].masked_fill(t + 1 < budget, float("-inf"))
        y = torch.where(t + 1 >= budget, EOS, logp.argmax(dim=-1)).masked_fill(finished, PAD)
        out.append(y)
        finished = finished | (y == EOS)
        if bool(finished.all()):
            break
    return torch.stack(out, dim=1)
