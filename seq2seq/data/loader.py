"""Kept for datamodules written against it; new code uses ``seq2seq.data.resume.ResumableTrainData``.

Lightning does not call ``load_state_dict`` on this loader on resume in every case (see data/resume.py),
so it is a plain DataLoader that accepts and ignores ``position``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch.utils.data import DataLoader


class ResumableDataLoader(DataLoader):
    def __init__(self, *args, position: Callable[[], int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
