"""``python -m seq2seq.chat ckpt_path=...``: an interactive chat with a seq2seq (chatbot) checkpoint.

The model sees the last ``context_turns`` turns of the dialog (user and bot alternating, the new user turn
last) joined with the separator it was trained with; both are read from the checkpoint's run config.
Replies go to stdout, one line per input line; command feedback goes to stderr, and prompts and the banner
appear only when stdin is a terminal, so ``printf 'hi\\nhow are you?\\n' | python -m seq2seq.chat ...``
can be scripted.
"""

from __future__ import annotations

import sys
from dataclasses import fields

import hydra
import torch
import yaml
from hydra.utils import to_absolute_path
from omegaconf import DictConfig

from seq2seq.checkpoint import pick_device
from seq2seq.cli import one_line_errors
from seq2seq.config import DecodingConfig
from seq2seq.decoding_config import validate_chat_config, validate_decoding
from seq2seq.errors import ConfigError
from seq2seq.inference import load
from seq2seq.inference.chat import Chat
from seq2seq.hydra_schemas import config_dir

HELP = ("commands: /reset (forget the dialog), /context (input of the last reply), "
        "/set <decoding key> <value> (e.g. /set temperature 0.7, /set strategy greedy), /help, /quit")


class ChatSession(Chat):
    """The predictor's ``Chat`` (history, context window, decoding settings) with the CLI's ``/set``."""

    @torch.inference_mode()
    def reply(self, user_turn: str) -> str:
        return super().reply(user_turn)

    def set(self, key: str, raw: str) -> str:
        """Change one decoding setting, validated like the ``decoding`` section; ``strategy greedy`` is
        beam search with beam_size 1."""
        try:
            value = yaml.safe_load(raw) if raw else None
        except yaml.YAMLError:
            raise ConfigError(f"/set {key}: cannot read the value {raw!r}; give a number, true/false or a word") from None
        update = {"strategy": "beam", "beam_size": 1} if (key, value) == ("strategy", "greedy") else {key: value}
        if key not in {f.name for f in fields(DecodingConfig)}:
            raise ConfigError(f"/set: unknown decoding key {key!r}; one of {', '.join(f.name for f in fields(DecodingConfig))}")
        merged = {**self.decoding, **update, "n_best": 1}
        self.decoding = validate_decoding(merged)  # ranges and rules too: /set beam_size 0 is refused
        return ", ".join(f"{k}={self.decoding[k]}" for k in update)


def run_command(session: ChatSession, line: str) -> bool:
    """Apply a ``/command``; its feedback goes to stderr. Returns False for /quit."""
    name, *args = line[1:].split(maxsplit=2)
    if name in ("quit", "exit"):
        return False
    if name == "reset":
        session.reset()
        note("(dialog reset)")
    elif name == "context":
        note(f"context: {session.last_context if session.last_context is not None else '(none yet)'}")
    elif name == "set" and len(args) == 2:
        try:
            note(f"(set {session.set(args[0], args[1])})")
        except ConfigError as err:
            note(f"error: {err}")
    else:
        note(HELP)
    return True


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def input_lines(interactive: bool):
    """User lines: with a prompt from a terminal, else one per line of stdin."""
    if not interactive:
        yield from (line.rstrip("\r\n") for line in sys.stdin)
        return
    while True:
        try:
            yield input("you> ")
        except EOFError:
            print()
            return


def chat_loop(session: ChatSession, interactive: bool, show_context: bool) -> None:
    for line in input_lines(interactive):
        text = line.strip()
        if text.startswith("/") and len(text) > 1:
            if not run_command(session, text):
                return
            continue
        answer = session.reply(text) if text else ""  # a blank line gets a blank reply: outputs stay aligned
        if show_context and text:
            note(f"context: {session.last_context}")
        print(f"bot> {answer}" if interactive else answer, flush=True)


def chat(cfg: DictConfig | dict) -> None:
    cfg = validate_chat_config(cfg)  # types, ranges, rules and the device, before anything is loaded
    predictor = load(to_absolute_path(cfg["ckpt_path"]), pick_device(cfg["device"]), ("seq2seq",), "chat")
    turns, separator = predictor.chat_context(cfg["context_turns"], cfg["separator"])
    session = ChatSession(predictor, turns, separator, {**cfg["decoding"], "n_best": 1})
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"chatbot from {cfg['ckpt_path']} (context: {turns} turns). {HELP}")
    chat_loop(session, interactive, cfg["show_context"])


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="chat")
@one_line_errors
def main(cfg: DictConfig) -> None:
    chat(cfg)


if __name__ == "__main__":
    main()
