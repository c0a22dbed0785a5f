"""Each default is written once: in the schema. The presets in conf/ extend their schema's node
(seq2seq.hydra_schemas) and hold only values that differ from it; the presets a command picks by default
hold none (so the schema's default is what a user gets); the README documents the schema's values."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import CONF, ROOT, compose_cfg

from seq2seq.hydra_schemas import schema_defaults, schema_nodes

NODES = schema_nodes()
GROUPS = sorted({section for section, _ in NODES} & {p.name for p in CONF.iterdir() if p.is_dir()})
PRESETS = [p for group in GROUPS for p in sorted((CONF / group).glob("*.yaml"))]


def _load(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def schema_node(path) -> str:
    """The schema node a preset extends, directly (``/schema/<group>@_here_: <name>``) or through the preset
    its defaults list names first."""
    group, doc = path.parent.name, _load(path)
    for entry in doc.get("defaults", []):
        if isinstance(entry, dict) and f"/schema/{group}@_here_" in entry:
            return entry[f"/schema/{group}@_here_"]
        if isinstance(entry, str) and entry != "_self_":
            return schema_node(path.parent / f"{entry}.yaml")
    raise AssertionError(f"{path.relative_to(ROOT)} extends no schema node: start its defaults list with "
                         f"'- /schema/{group}@_here_: <kind>'")


def inherited(path) -> dict:
    """The values a preset starts from: its schema's defaults, then those of the preset it extends."""
    group, doc = path.parent.name, _load(path)
    for entry in doc.get("defaults", []):
        if isinstance(entry, str) and entry != "_self_":
            base = path.parent / f"{entry}.yaml"
            return {**inherited(base), **{k: v for k, v in _load(base).items() if k != "defaults"}}
    return schema_defaults(NODES[(group, schema_node(path))])


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_preset_extends_its_schema_and_repeats_none_of_its_defaults(path):
    doc = _load(path)
    defaults = inherited(path)
    unknown = sorted(set(doc) - set(defaults) - {"defaults"})
    repeated = sorted(k for k, v in doc.items() if k != "kind" and k in defaults and defaults[k] == v)
    assert (unknown, repeated) == ([], []), "unknown keys, then values equal to the schema's default"


def default_presets() -> set[tuple[str, str]]:
    """(group, preset) that train picks when the user names none: train.yaml's choices, and each task
    bundle's model (one schema per model kind; a task's other choices, e.g. lm's decoding=sample, are
    alternatives to a shared schema's default)."""
    chosen = set()
    for path in [CONF / "train.yaml", *sorted((CONF / "task").glob("*.yaml"))]:
        for entry in _load(path).get("defaults", []):
            if isinstance(entry, dict):
                for key, value in entry.items():
                    group = key.removeprefix("override ").strip("/")
                    if group in GROUPS and value and (path.name == "train.yaml" or group == "model"):
                        chosen.add((group, value))
    return chosen


def test_the_presets_picked_by_default_hold_no_values_of_their_own():
    """Otherwise the schema's default is not what a user gets. Data presets are exempt: they describe a
    dataset (its path, columns, split sizes), which no schema default can."""
    own = {f"{g}/{p}": sorted(set(_load(CONF / g / f"{p}.yaml")) - {"defaults", "kind"})
           for g, p in default_presets() if g != "data"}
    assert own == {name: [] for name in own}
    assert ("model", "seq2seq") in default_presets() and ("optim", "adam") in default_presets()


def test_a_key_the_preset_leaves_out_overrides_without_plus():
    cfg = compose_cfg("train", ["model.cell=gru", "optim.fused=false", "loss.label_smoothing=0.1",
                                "task=ner", "model.char_kernel=5"])
    assert (cfg.model.cell, cfg.optim.fused, cfg.loss.label_smoothing, cfg.model.char_kernel) == ("gru", False, 0.1, 5)


def _shown(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        return str(value).replace(" ", "")


def test_the_readme_documents_the_schema_defaults():
    """Rows ``| `section.key` | default | ...`` of the README's option tables, for every section but data
    (its rows document the embedded datasets' presets)."""
    by_section: dict[str, list[dict]] = {}
    for (section, _), schema in NODES.items():
        by_section.setdefault(section, []).append(schema_defaults(schema))
    wrong = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([a-z_]+)\.([a-z_.]+)` \| ([^|]*) \|", line)
        if not m or m.group(1) == "data" or m.group(1) not in by_section:
            continue
        values = []
        for defaults in by_section[m.group(1)]:
            value = defaults
            for part in m.group(2).split("."):
                value = value.get(part, KeyError) if isinstance(value, dict) else KeyError
            if value is not KeyError:
                values.append(_shown(value))
        documented = _shown(m.group(3).strip().strip("`"))
        if values and documented not in values:
            wrong.append(f"{m.group(1)}.{m.group(2)}: README {documented}, schema {values}")
    assert wrong == []
