"""A conversation with a chatbot checkpoint: history, context window, decoding settings."""

from __future__ import annotations

from seq2seq.errors import ConfigError
from seq2seq.inference.options import check_inputs


class Chat:
    """``reply(text)`` answers one user turn; the model sees the last ``context_turns`` turns (user and bot
    alternating, the new user turn last) joined with ``separator``, as in training. ``history`` holds
    every turn so far; ``reset()`` forgets them."""

    def __init__(self, predictor, context_turns: int, separator: str, decoding: dict):
        if context_turns < 1:
            raise ConfigError(f"context_turns must be >= 1, got {context_turns}")
        self.predictor, self.decoding = predictor, decoding
        self.context_turns, self.separator = context_turns, separator
        self.history: list[str] = []
        self.last_context: str | None = None

    def context(self, user_turn: str) -> str:
        """The model input for ``user_turn``: the last ``context_turns`` turns, oldest first."""
        return self.separator.join([*self.history, user_turn][-self.context_turns :])

    def reply(self, user_turn: str) -> str:
        check_inputs([user_turn], "texts")
        self.last_context = self.context(user_turn)
        answer = self.predictor.nbest([self.last_context], self.decoding)[0][0][0]
        self.history += [user_turn, answer]
        return answer

    def reset(self) -> None:
        self.history, self.last_context = [], None
