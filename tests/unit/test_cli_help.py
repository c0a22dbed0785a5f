"""`--help` of each command lists exactly the config groups that the command accepts, with their options."""

from __future__ import annotations

import importlib
import sys

import pytest
from conftest import CONF, compose_cfg
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import ConfigCompositionException

# command → the module whose main() is `python -m seq2seq.<command>`
COMMANDS = {"evaluate": "seq2seq.evaluate", "predict": "seq2seq.predict", "chat": "seq2seq.chat",
            "prepare": "seq2seq.prepare", "train": "seq2seq.train", "serve": "seq2seq.serve.__main__",
            "bench": "seq2seq.bench.__main__"}


def app_groups() -> dict[str, list[str]]:
    """Every config group folder of conf/ (Hydra's own hydra/ ones aside) → its options."""
    return {d.name: sorted(p.stem for p in d.glob("*.yaml")) for d in sorted(CONF.iterdir())
            if d.is_dir() and d.name != "hydra"}


def listed_groups(command: str, capsys, monkeypatch) -> dict[str, list[str]]:
    """Runs `python -m seq2seq.<command> --help` in-process and parses its group section."""
    monkeypatch.setattr(sys, "argv", [command, "--help"])
    GlobalHydra.instance().clear()
    with pytest.raises(SystemExit) as stop:
        importlib.import_module(COMMANDS[command]).main()
    GlobalHydra.instance().clear()
    assert stop.value.code == 0
    text = capsys.readouterr().out
    if "== Configuration groups ==" not in text:  # a command without groups (serve) may leave the section out
        return {}
    section = text.split("== Configuration groups ==")[1].split("== Config ==")[0]
    pairs = [line.split(": ", 1) for line in section.splitlines()[2:] if ": " in line]
    return {group: options.split(", ") for group, options in pairs}


def accepts(command: str, group: str, option: str) -> bool:
    try:
        compose_cfg(command, [f"{group}={option}"])
    except ConfigCompositionException:
        return False
    return True


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_exactly_the_groups_the_command_accepts(command, capsys, monkeypatch):
    listed = listed_groups(command, capsys, monkeypatch)
    for group, options in app_groups().items():
        assert accepts(command, group, options[0]) == (group in listed), (command, group)
        if group in listed:
            assert sorted(listed[group]) == options, (command, group)


def test_checkpoint_commands_offer_no_training_groups(capsys, monkeypatch):
    for command in ("evaluate", "predict", "chat"):
        assert list(listed_groups(command, capsys, monkeypatch)) == ["decoding"]
    assert list(listed_groups("prepare", capsys, monkeypatch)) == ["data", "tokenizer"]
