"""Character-level word features: a CNN with max-pooling over characters (Ma & Hovy 2016) or the final
states of a character BiLSTM (Lample et al. 2016).

Input: chars (U, C) long, PAD=0 after each word; lengths (U,) long on the CPU, each >= 1.
Output: (U, out_dim). Padding characters never change a word's features.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from seq2seq.models.rnn import LSTM
from seq2seq.tokenizers import PAD


class CharCNN(nn.Module):
    def __init__(self, num_chars: int, char_dim: int, filters: int, kernel: int):
        super().__init__()
        if kernel % 2 == 0:
            raise ValueError(f"model.char_kernel={kernel} must be odd (the window is centred on each character)")
        self.embed = nn.Embedding(num_chars, char_dim, padding_idx=PAD)
        self.conv = nn.Conv1d(char_dim, filters, kernel, padding=kernel // 2)
        self.out_dim = filters

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(chars)  # (U, C, E); PAD rows are zero, as the convolution's own padding
        h = self.conv(x.transpose(1, 2))  # (U, F, C)
        valid = torch.arange(chars.size(1), device=chars.device) < lengths.to(chars.device).unsqueeze(1)
        return h.masked_fill(~valid.unsqueeze(1), float("-inf")).max(dim=2).values


class CharLSTM(nn.Module):
    def __init__(self, num_chars: int, char_dim: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(num_chars, char_dim, padding_idx=PAD)
        self.rnn = LSTM(char_dim, hidden, batch_first=True, bidirectional=True)  # float32 under autocast
        self.out_dim = 2 * hidden

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embed(chars), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)  # h (2, U, H): last forward state, first backward state
        return torch.cat([h[0], h[1]], dim=1)


def make_char_encoder(kind: str, num_chars: int, char_dim: int, hidden: int, kernel: int) -> nn.Module | None:
    if kind == "none":
        return None
    if kind == "cnn":
        return CharCNN(num_chars, char_dim, hidden, kernel)
    if kind == "lstm":
        return CharLSTM(num_chars, char_dim, hidden)
    raise ValueError(f"unknown character encoder {kind!r}; choose cnn, lstm or none")
