"""The wheel carries the configs and the embedded default data, and an installed package finds them.

Builds the wheel from a copy of the sources (an in-tree build would leave build/ in the checkout), then
reads it as a zip and runs the unpacked package from a directory outside the repository. Installing it
into a fresh virtualenv and training there is .ci/run's job.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import CONF, ROOT

SOURCES = ["pyproject.toml", "setup.py", "README.md", "seq2seq", "conf", "data"]
BUNDLED = "seq2seq/_root"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "-w", str(work / "dist"), str(src)], check=True, cwd=work)
    (built,) = (work / "dist").glob("seq2seq-*.whl")
    return built


def default_data_files() -> set[str]:
    """The files of data/ that the data presets read (``${paths.data_dir}/<name>``)."""
    names = set()
    for preset in (CONF / "data").glob("*.yaml"):
        names.update(re.findall(r"\$\{paths\.data_dir\}/([\w.-]+)", preset.read_text(encoding="utf-8")))
    return names


def test_wheel_holds_every_config_and_the_default_data(wheel: Path):
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        contents = {name: whl.read(name) for name in names if name.startswith(BUNDLED)}
    # Every file of the package directory too (modules, and data such as serve's web page).
    package = ROOT / "seq2seq"
    missing = [path for path in package.rglob("*") if path.is_file() and "__pycache__" not in path.parts
               and f"seq2seq/{path.relative_to(package).as_posix()}" not in names]
    assert not missing
    configs = sorted(CONF.rglob("*.yaml"))
    assert len(configs) > 50
    for path in configs:
        assert contents.get(f"{BUNDLED}/conf/{path.relative_to(CONF).as_posix()}") == path.read_bytes(), path
    data = default_data_files()
    assert {"eng-fra.tsv", "ner-sample.conll", "sentiment.tsv", "series.csv", "lm-sample.txt"} <= data
    for name in data:
        assert contents.get(f"{BUNDLED}/data/{name}") == (ROOT / "data" / name).read_bytes(), name


# Run in a fresh interpreter whose seq2seq is the unpacked wheel (PYTHONPATH comes before the editable
# install's finder), from a directory that is not the checkout.
PROBE = """
import sys
from hydra import compose, initialize_config_dir
from seq2seq.hydra_schemas import config_dir
with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
    for task in ("translation", "ner", "classify", "forecast", "lm"):
        cfg = compose(config_name="train", overrides=[f"task={task}"])
        print(cfg.data.path)
"""


def test_unpacked_wheel_finds_its_configs_and_data_from_any_directory(wheel: Path, tmp_path: Path):
    site, cwd = tmp_path / "site", tmp_path / "elsewhere"
    cwd.mkdir()
    with zipfile.ZipFile(wheel) as whl:
        whl.extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, env=env, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    paths = [Path(line) for line in out.stdout.split()]
    assert len(paths) == 5
    for path in paths:
        assert path.is_file() and path.is_relative_to(site / BUNDLED / "data"), path
    # The entry point itself: Hydra's primary config directory is the packaged one.
    out = subprocess.run([sys.executable, "-m", "seq2seq.predict", "--info", "searchpath"], cwd=cwd, env=env,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert f"file://{site / BUNDLED / 'conf'}" in out.stdout
