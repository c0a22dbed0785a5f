"""The package's shape: imports point one way, the config modules are a leaf, a task family's light modules
sit below inference and its LightningModule above, modules stay small.

Edges of the import graph are every ``import seq2seq...`` / ``from seq2seq... import`` statement in a module,
at its top level AND inside functions (a deferred import still says which layer depends on which), each to
the module it names (``from seq2seq.tasks.lm import config`` is an edge to ``seq2seq.tasks.lm.config``).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "seq2seq"
CONFIG_LEAF = {"seq2seq.config", "seq2seq.ranges", "seq2seq.config_rules", "seq2seq.decoding_config"}
# seq2seq/tasks/<family>/: module.py (the LightningModule) sits above inference; config.py, metrics.py and
# plot.py are light leaves that inference, evaluate and the ONNX runtime import.
FAMILY_LEAF = re.compile(r"seq2seq\.tasks\.\w+\.(config|metrics|plot)")
FAMILY_MODULE = re.compile(r"seq2seq\.tasks\.(\w+\.module|base)")
INFERENCE_SIDE = re.compile(r"seq2seq\.(inference|onnx_runtime)(\..+)?|seq2seq\.evaluate")


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt] if nxt in path else [*path, nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_package_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_config_modules_import_only_errors_and_each_other():
    graph = import_graph()
    outside = {m: sorted(graph[m] - CONFIG_LEAF - {"seq2seq.errors"}) for m in CONFIG_LEAF}
    assert outside == {m: [] for m in CONFIG_LEAF}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_every_task_family_has_a_module_and_a_config_and_an_empty_package():
    families = sorted(p.parent for p in (PACKAGE / "tasks").glob("*/__init__.py"))
    assert [f.name for f in families] == ["classify", "forecast", "lm", "ner", "seq2seq"]
    for family in families:
        assert (family / "module.py").is_file() and (family / "config.py").is_file(), family
        body = ast.parse((family / "__init__.py").read_text(encoding="utf-8")).body
        assert len(body) == 1 and isinstance(body[0].value, ast.Constant), f"{family}/__init__.py: docstring only"


def test_a_familys_light_modules_sit_below_inference_and_its_lightning_module_above():
    graph = import_graph()
    leaves = sorted(m for m in graph if FAMILY_LEAF.fullmatch(m))
    upper = {m for m in graph if FAMILY_MODULE.fullmatch(m)}
    assert len(leaves) == 10 and len(upper) == 6
    above = {m: sorted(graph[m] & (upper | {i for i in graph if INFERENCE_SIDE.fullmatch(i)})) for m in leaves}
    assert above == {m: [] for m in leaves}
    inference = sorted(m for m in graph if INFERENCE_SIDE.fullmatch(m))
    assert {m: sorted(_reachable(graph, m) & upper) for m in inference} == {m: [] for m in inference}


def test_a_familys_light_modules_import_no_torch_lightning_or_hydra():
    leaves = sorted(m for m in import_graph() if FAMILY_LEAF.fullmatch(m))
    script = ("import importlib, json, sys\n"
              f"for m in {leaves!r}: importlib.import_module(m)\n"
              "heavy = {'torch', 'lightning', 'pytorch_lightning', 'hydra', 'omegaconf'}\n"
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=PACKAGE.parent, check=False)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_nothing_registers_by_import_side_effect():
    """Task kinds are listed in seq2seq.registry; no module is imported only for what importing it does."""
    flagged = [f"{p.relative_to(PACKAGE.parent)}:{i}" for p in PACKAGE.rglob("*.py")
               for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if "noqa: F401" in line and "register" in line]
    assert flagged == []


def test_no_module_is_over_300_lines():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
