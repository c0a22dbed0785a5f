"""``python -m seq2seq.train --help``, ``--cfg job`` and a config error answer without importing Lightning
or torch (the heavy imports wait in seq2seq.fit until a config has validated; benchmarks/startup.py
times it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, runpy, sys
sys.argv = ["seq2seq.train", *json.loads(sys.argv[1])]
code = None  # --help and --cfg return normally
try:
    runpy.run_module("seq2seq.train", run_name="__main__")
except SystemExit as exit:
    code = exit.code
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules} & {"lightning", "torch"})]))
"""


@pytest.mark.parametrize(("args", "code"), [
    (["--help"], 0),
    (["--cfg", "job"], None),
    (["model.hidden_size=0", "paths.output_dir=/tmp/unused"], 2),
])
def test_the_train_command_answers_without_lightning_or_torch(args, code):
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                         timeout=120, check=False)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [code, []], out.stderr
