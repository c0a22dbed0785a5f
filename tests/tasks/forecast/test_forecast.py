"""Forecasting: no look-ahead in windows, splits or scaling; baselines by hand; the two heads; and a
train → evaluate → predict run from the checkpoint alone."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ROOT, compose_cfg, model_from_schema

from seq2seq.checkpoint import load_task
from seq2seq.data.series.datamodule import ForecastDataModule, WindowDataset, prepare_series
from seq2seq.data.series.reader import read_series_lines
from seq2seq.data.series.windows import SPLITS, Scaler, split_bounds, window_indices, window_starts
from seq2seq.errors import ConfigError, DataError
from seq2seq.models.forecaster import Forecaster
from seq2seq.tasks.forecast.config import ForecasterModelConfig
from seq2seq.tasks.forecast.metrics import (
    baseline_report,
    error_metrics,
    naive_forecast,
    seasonal_naive_forecast,
    window_targets,
)
from seq2seq.tasks.forecast.module import write_forecasts
from seq2seq.train_config import validate_train_config

sys.path.insert(0, str(ROOT / "data"))
from generate_series import generate_series, render

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py

CELLS = ("rnn", "lstm", "gru")




def write_csv(path: Path, rows: int = 200, columns=("a", "b", "y")) -> Path:
    """A time column and numeric columns whose values encode the row number (column k: 1000k + row)."""
    lines = ["t," + ",".join(columns)]
    lines += [f"2024-01-01 {r:05d}," + ",".join(str(1000 * k + r) for k in range(len(columns)))
              for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def data_cfg(path: Path, **over) -> dict:
    cfg = {"kind": "csv_series", "path": str(path), "time_column": "t", "features": ["a", "b"], "targets": ["y"],
           "window": 12, "horizon": 5, "stride": 1, "train_size": None, "valid_size": 0.2, "test_size": 0.2,
           "eval_context": True, "scaler": "standard", "season": 4, "on_missing": "error", "batch_size": 8,
           "eval_batch_size": 16, "num_workers": 0, "pin_memory": False}
    return {**cfg, **over}


# -- no look-ahead ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("stride", [1, 3, 7])
@pytest.mark.parametrize("context", [True, False])
def test_windows_never_leak_future_values(tmp_path, stride, context):
    prepared = prepare_series(data_cfg(write_csv(tmp_path / "s.csv"), stride=stride, eval_context=context))
    w, h = 12, 5
    previous_last_target = -1
    for name in SPLITS:
        start, end = prepared.bounds[name]
        windows = prepared.windows[name]
        inputs, targets = window_indices(windows.starts, w, h)
        assert len(inputs) > 0
        # Every input row of a window comes before every target row of the same window.
        assert (inputs.max(axis=1) < targets.min(axis=1)).all()
        # Targets lie wholly inside the split; inputs may precede it only with eval_context.
        assert targets.min() >= start and targets.max() < end
        assert inputs.min() >= (0 if context and name != "train" else start)
        # Splits' targets are disjoint and in time order.
        assert targets.min() > previous_last_target
        previous_last_target = targets.max()
        # The dataset serves exactly those rows: the values encode their row numbers (column y = 2000 + row).
        dataset = WindowDataset(windows, prepared.spec)
        scaler = Scaler.from_state(prepared.spec["scaler"])
        for i in (0, len(dataset) - 1):
            _, x, y = dataset[i]
            rows_in = scaler.inverse(x.double().numpy(), [0, 1, 2])[:, 2] - 2000
            rows_out = scaler.inverse(y.double().numpy(), prepared.spec["target_index"])[:, 0] - 2000
            np.testing.assert_allclose(rows_in, inputs[i], atol=1e-3)
            np.testing.assert_allclose(rows_out, targets[i], atol=1e-3)
            assert rows_in.max() < rows_out.min()


def test_split_bounds_are_consecutive_and_checked():
    assert split_bounds(100, None, 0.2, 0.1) == {"train": (0, 70), "valid": (70, 90), "test": (90, 100)}
    assert split_bounds(100, 50, 20, 10) == {"train": (0, 50), "valid": (50, 70), "test": (70, 80)}
    with pytest.raises(ConfigError, match="each split needs rows"):
        split_bounds(100, 90, 20, 10)
    # Window starts: the last window's last target is the split's last row; stride counts from the first.
    assert window_starts((50, 70), 10, 5, 1, context=True).tolist() == list(range(40, 56))
    assert window_starts((50, 70), 10, 5, 4, context=False).tolist() == [50, 54]
    assert window_starts((50, 60), 10, 5, 1, context=False).size == 0


def test_scaler_uses_training_rows_only(tmp_path):
    path = write_csv(tmp_path / "s.csv")
    cfg = data_cfg(path)
    before = prepare_series(cfg)
    train_end = before.bounds["train"][1]
    lines = path.read_text().splitlines()
    for row in (train_end, before.bounds["test"][0] + 3, len(lines) - 2):  # first valid row, test rows
        changed = lines.copy()
        cells = changed[row + 1].split(",")
        changed[row + 1] = ",".join([cells[0], "99999", "-5", "12345"])
        path.write_text("\n".join(changed) + "\n")
        assert prepare_series(cfg).spec["scaler"] == before.spec["scaler"]
    # ... while changing a training row does change the statistics (the check above can fail).
    changed = lines.copy()
    changed[train_end] = changed[train_end].rsplit(",", 1)[0] + ",99999"  # the last training row
    path.write_text("\n".join(changed) + "\n")
    assert prepare_series(cfg).spec["scaler"] != before.spec["scaler"]
    # And the statistics are those of the training rows: mean/std of rows 0..train_end-1 (y = 2000 + row).
    path.write_text("\n".join(lines) + "\n")
    stats = prepare_series(cfg).spec["scaler"]
    rows = np.arange(train_end, dtype=float)
    assert stats["center"][2] == pytest.approx(2000 + rows.mean())
    assert stats["scale"][2] == pytest.approx(rows.std())


def test_minmax_scaler_maps_training_rows_to_unit_interval():
    values = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    scaler = Scaler.fit("minmax", values)
    scaled = scaler.transform(values)
    assert scaled[:, 0].tolist() == [0.0, 1.0, 0.5]
    assert scaled[:, 1].tolist() == [0.0, 0.0, 0.0]  # a constant column gets scale 1
    np.testing.assert_allclose(scaler.inverse(scaled, [0, 1]), values)


# -- baselines and metrics by hand --------------------------------------------------------------------------
def test_naive_and_seasonal_naive_by_hand():
    series = np.array([10, 11, 12, 20, 21, 22, 30, 31, 32, 40], dtype=float)[:, None]
    starts = np.array([0, 1])  # window 4, horizon 4, season 3
    assert window_targets(series, starts, 4, 4)[..., 0].tolist() == [[21, 22, 30, 31], [22, 30, 31, 32]]
    assert naive_forecast(series, starts, 4, 4)[..., 0].tolist() == [[20, 20, 20, 20], [21, 21, 21, 21]]
    # One season (3) before each step, repeating the window's last season beyond it:
    # window 0 is rows 0-3 = 10 11 12 20; its last season is rows 1-3 = 11 12 20 → 11 12 20 11.
    seasonal = seasonal_naive_forecast(series, starts, 4, 4, 3)[..., 0]
    assert seasonal.tolist() == [[11, 12, 20, 11], [12, 20, 21, 12]]
    report = baseline_report(np.full((2, 4, 1), 25.0), series, starts, 4, 4, 3)
    # naive errors: |20-21| |20-22| |20-30| |20-31| and |21-22| |21-30| |21-31| |21-32|
    naive_err = np.array([1, 2, 10, 11, 1, 9, 10, 11], dtype=float)
    assert report["mae_naive"] == pytest.approx(naive_err.mean())
    assert report["rmse_naive"] == pytest.approx(math.sqrt((naive_err**2).mean()))
    naive_f = np.array([20] * 4 + [21] * 4, dtype=float)
    truth = np.array([21, 22, 30, 31, 22, 30, 31, 32], dtype=float)
    assert report["smape_naive"] == pytest.approx(100 * np.mean(2 * naive_err / (naive_f + truth)))
    seasonal_err = np.array([10, 10, 10, 20, 10, 10, 10, 20], dtype=float)
    assert report["mae_seasonal_naive"] == pytest.approx(seasonal_err.mean())
    assert report["mae"] == pytest.approx(np.abs(25 - truth).mean())


def test_several_targets_get_their_own_mae_and_the_average():
    base = np.array([10, 11, 12, 20, 21, 22, 30, 31, 32, 40], dtype=float)
    series = np.stack([base, 10 * base], axis=1)  # targets "a" and "b" = 10 x "a"
    forecast = np.stack([np.full((2, 4), 25.0), np.full((2, 4), 250.0)], axis=-1)
    report = baseline_report(forecast, series, np.array([0, 1]), 4, 4, 3, ["a", "b"])
    assert report["mae_b"] == pytest.approx(10 * report["mae_a"])
    assert report["mae_naive_b"] == pytest.approx(10 * report["mae_naive_a"]) == pytest.approx(10 * 55 / 8)
    assert report["mae_seasonal_naive_a"] == pytest.approx(12.5)
    assert report["mae"] == pytest.approx((report["mae_a"] + report["mae_b"]) / 2)
    assert "mae_a" not in baseline_report(forecast[..., :1], series[:, :1], np.array([0, 1]), 4, 4, 3, ["a"])


def test_z_metrics_divide_errors_by_the_training_std_of_each_target():
    base = np.array([10, 11, 12, 20, 21, 22, 30, 31, 32, 40], dtype=float)
    series = np.stack([base, 10 * base], axis=1)  # "b" = 10 x "a": with scale 10 x, the same z errors
    forecast = np.stack([np.full((2, 4), 25.0), np.full((2, 4), 250.0)], axis=-1)
    report = baseline_report(forecast, series, np.array([0, 1]), 4, 4, 3, ["a", "b"], np.array([2.0, 20.0]))
    err = np.abs(25 - np.array([21, 22, 30, 31, 22, 30, 31, 32], dtype=float)) / 2.0
    assert report["mae_z"] == pytest.approx(err.mean())
    assert report["mse_z"] == pytest.approx((err**2).mean())
    naive_err = np.array([1, 2, 10, 11, 1, 9, 10, 11], dtype=float) / 2.0
    assert report["mse_z_naive"] == pytest.approx((naive_err**2).mean())
    assert "mse_z" not in baseline_report(forecast, series, np.array([0, 1]), 4, 4, 3, ["a", "b"])


def test_smape_of_zero_forecast_for_zero_truth_is_zero():
    zeros = np.zeros((1, 2, 1))
    assert error_metrics(zeros, zeros) == {"mae": 0.0, "rmse": 0.0, "smape": 0.0}
    assert error_metrics(np.ones((1, 2, 1)), zeros)["smape"] == pytest.approx(200.0)


# -- the two heads --------------------------------------------------------------------------------------
def make_forecaster(head: str, cell: str = "gru", residual: bool = True, subtract_last: bool = False,
                    seed: int = 0, highway: int = 0) -> Forecaster:
    torch.manual_seed(seed)
    model = model_from_schema(Forecaster, ForecasterModelConfig, 3, [2, 0], 6, cell=cell, hidden_size=7, num_layers=2,
                              head=head, residual=residual, subtract_last=subtract_last, highway=highway)
    return model.double().eval()


@pytest.mark.parametrize("head", ["direct", "autoregressive"])
def test_heads_return_batch_horizon_targets(head):
    model = make_forecaster(head)
    x, y = torch.randn(4, 9, 3, dtype=torch.double), torch.randn(4, 6, 2, dtype=torch.double)
    assert model(x, y).shape == (4, 6, 2) and model.forecast(x).shape == (4, 6, 2)
    with pytest.raises(AssertionError, match=r"\(B, W, F\)"):
        model.forecast(torch.randn(4, 9, 2, dtype=torch.double))


@pytest.mark.parametrize("subtract_last", [False, True])
@pytest.mark.parametrize("residual", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_teacher_forcing_equals_feeding_true_values_step_by_step(cell, residual, subtract_last):
    model = make_forecaster("autoregressive", cell, residual, subtract_last, seed=CELLS.index(cell))
    x, y = torch.randn(5, 9, 3, dtype=torch.double), torch.randn(5, 6, 2, dtype=torch.double)
    with torch.no_grad():
        forced = model(x, y)  # one RNN call over the horizon
        state, prev, ref = model.start(x)
        for h in range(6):
            out, state = model.step(prev, state)  # one step at a time, fed the true previous value
            torch.testing.assert_close(out + ref, forced[:, h : h + 1], rtol=0, atol=1e-10)
            prev = y[:, h : h + 1] - ref
        # Free-running decoding is teacher forcing on its own predictions.
        free = model.forecast(x)
        torch.testing.assert_close(model(x, free), free, rtol=0, atol=1e-10)
        assert not torch.allclose(free, forced)


def test_untrained_residual_heads_start_at_the_naive_forecast():
    x = torch.randn(3, 9, 3, dtype=torch.double)
    naive = x[:, -1:, [2, 0]].expand(3, 6, 2)
    for head in ("direct", "autoregressive"):
        model = make_forecaster(head)
        torch.nn.init.zeros_(model.out.weight)
        torch.nn.init.zeros_(model.out.bias)
        with torch.no_grad():
            torch.testing.assert_close(model.forecast(x), naive, rtol=0, atol=0)


def test_subtract_last_makes_forecasts_level_free():
    model = make_forecaster("direct", subtract_last=True)
    x = torch.randn(3, 9, 3, dtype=torch.double)
    with torch.no_grad():
        shifted = model.forecast(x + 5.0) - 5.0
        torch.testing.assert_close(shifted, model.forecast(x), rtol=0, atol=1e-10)


def test_highway_adds_one_linear_map_of_each_targets_last_values():
    """With the recurrent head silenced the forecast is the naive one plus the same k → H linear map applied to
    each target's last k (shifted) window values: LSTNet's highway, NLinear's model."""
    model = make_forecaster("direct", subtract_last=True, highway=4)
    torch.nn.init.zeros_(model.out.weight)
    torch.nn.init.zeros_(model.out.bias)
    x = torch.randn(3, 9, 3, dtype=torch.double)
    with torch.no_grad():
        got = model.forecast(x)
        last = x[:, -1:, [2, 0]]
        for j, column in enumerate((2, 0)):
            recent = x[:, -4:, column] - x[:, -1:, column]  # (B, 4), level-free
            expected = last[:, :, j] + recent @ model.highway.weight.T + model.highway.bias  # (B, H)
            torch.testing.assert_close(got[:, :, j], expected, rtol=0, atol=1e-10)
        torch.testing.assert_close(model.forecast(x + 3.0) - 3.0, got, rtol=0, atol=1e-10)  # still level-free
    assert make_forecaster("direct").highway is None  # highway=0: no extra parameters


@pytest.mark.parametrize("override,message", [
    ("model.highway=97", r"model\.highway=97 reads more rows than the window holds \(data\.window=96\)"),
    ("model.head=autoregressive", r"model\.highway adds a linear forecast to the direct head"),
])
def test_highway_rules_are_one_line_config_errors(override, message):
    cfg = compose_cfg("train", ["paths.output_dir=/tmp/x", "paths.cache_dir=null", "task=forecast", "data.window=96",
                                "data.horizon=4", "model.highway=24", override])
    with pytest.raises(ConfigError, match=message):
        validate_train_config(cfg)


# -- reading files ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell,policy,message", [
    ("abc", "error", r"s\.csv:4:3: non-numeric value 'abc' in column 'b'"),
    ("abc", "ffill", r"s\.csv:4:3: non-numeric value 'abc'"),
    ("", "error", r"s\.csv:4:3: missing value in column 'b'.*data\.on_missing=ffill"),
    ("inf", "error", r"s\.csv:4:3: infinite value"),
])
def test_bad_cells_name_file_line_and_column(tmp_path, cell, policy, message):
    path = tmp_path / "s.csv"
    path.write_text(f"t,a,b\n0,1,2\n1,3,4\n2,5,{cell}\n3,7,8\n")
    with pytest.raises(DataError, match=message):
        prepare_series(data_cfg(path, features=["a"], targets=["b"], on_missing=policy))


def test_forward_fill_counts_and_repeats_the_previous_value(caplog):
    table = read_series_lines(["t,a,b", "0,1,2", "1,NA,4", "2,5,", "3,,nan"], "x.csv", ["a", "b"], "t", "ffill")
    assert table.values.tolist() == [[1, 2], [1, 4], [5, 4], [5, 4]] and table.filled == 4
    assert table.times == ["0", "1", "2", "3"]
    with pytest.raises(DataError, match=r"x\.csv:2:2: missing value .* no earlier value"):
        read_series_lines(["t,a", "0,", "1,2"], "x.csv", ["a"], "t", "ffill")


@pytest.mark.parametrize("lines,message", [
    (["t,a", "0,1", "", "2,3"], r"x\.csv:3: blank line inside the series"),
    (["t,a", "0,1", "1,2,3"], r"x\.csv:3: expected 2 comma-separated fields"),
    (["t,a", "0,1"], r"x\.csv:1: no column 'z' in the header \(columns: t, a\)"),
])
def test_malformed_files_name_the_line(lines, message):
    with pytest.raises(DataError, match=message):
        read_series_lines(lines, "x.csv", ["a", "z"] if "z" in message else ["a"], "t")


def test_trailing_blank_lines_are_fine_and_quoted_headers_work():
    table = read_series_lines(['"Month","Passengers"', '"1949-01",112', '"1949-02",118', "", ""], "air.csv",
                              None, "Month")
    assert table.columns == ["Passengers"] and table.values[:, 0].tolist() == [112, 118]


def test_series_without_time_column_and_forecasts_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,y\n" + "".join(f"{r},{2000 + r}\n" for r in range(60)))
    prepared = prepare_series(data_cfg(path, time_column=None, features=None, valid_size=20, test_size=20))
    assert prepared.spec["input_columns"] == ["a", "y"] and prepared.spec["target_index"] == [1]
    test = prepared.windows["test"]
    naive = naive_forecast(test.targets, test.starts, 12, 5)
    write_forecasts(tmp_path / "f.csv", test, naive, prepared.spec)
    with open(tmp_path / "f.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["window", "step", "line", "y", "y_forecast", "y_naive", "y_seasonal_naive"]
    assert len(rows) == len(test.starts) * 5
    # line = the file line of the target row (header is line 1), and the value on it.
    assert all(float(r["y"]) == 2000 + int(r["line"]) - 2 for r in rows)
    assert rows[-1]["line"] == "61" and all(r["y_forecast"] == r["y_naive"] for r in rows)


@pytest.mark.parametrize("override,message", [
    ({"season": 13}, r"data\.season=13 must be <= data\.window=12"),
    ({"targets": []}, r"data\.targets must name at least one column"),
    ({"horizon": 0}, r"data\.horizon=0 must be >= 1"),
    ({"features": ["a", "t"]}, r"data\.time_column='t' cannot also be in data\.features"),
    ({"valid_size": 3}, r"the valid split \(rows 157-159\) has no room"),
])
def test_config_mistakes_stop_before_training(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        ForecastDataModule(data_cfg(write_csv(tmp_path / "s.csv"), **override)).setup("fit")


def test_configs_compose_and_validate():
    base = ["paths.output_dir=/tmp/x", "paths.cache_dir=null"]
    cfg = validate_train_config(compose_cfg("train", [*base, "task=forecast"]))
    assert cfg["task"]["monitor"] == "val/mae" and cfg["task"]["mode"] == "min"
    assert cfg["data"]["path"].endswith("data/series.csv") and cfg["model"]["kind"] == "forecaster"
    cfg = validate_train_config(compose_cfg("train", [*base, "experiment=forecast_etth1", "data.path=e.csv"]))
    assert cfg["task"]["kind"] == "forecast" and cfg["data"]["targets"] == ["OT"]
    assert cfg["data"]["window"] == 96 and cfg["data"]["horizon"] == 24
    with pytest.raises(ConfigError, match=r"model\.head.*expected one of \[direct, autoregressive\]"):
        validate_train_config(compose_cfg("train", [*base, "task=forecast", "model.head=seq"]))


def test_embedded_series_is_what_the_generator_writes():
    assert (ROOT / "data" / "series.csv").read_text(encoding="utf-8") == render(generate_series(4032, 7))


# -- end to end ------------------------------------------------------------------------------------------
def run_cli(module: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": "0", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.slow
def test_train_then_evaluate_and_predict_from_the_checkpoint_alone(tmp_path):
    from seq2seq.train import train

    data = tmp_path / "series.csv"
    data.write_text(render(generate_series(700, 3)), encoding="utf-8")
    run = tmp_path / "run"
    overrides = ["task=forecast", f"data.path={data}", "data.window=48", "data.horizon=12", "data.stride=2",
                 "model.hidden_size=16", "model.head=autoregressive", f"paths.output_dir={run}",
                 "paths.cache_dir=null", "trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=2",
                 "trainer.limit_train_batches=6", "trainer.log_every_n_steps=1", "trainer.num_sanity_val_steps=0",
                 "trainer.enable_progress_bar=false"]
    metrics = train(compose_cfg("train", overrides))
    for key in ("test/mae", "test/rmse", "test/smape", "test/mae_naive", "test/mae_seasonal_naive"):
        assert math.isfinite(metrics[key]), key
    assert metrics["monitor"] == "val/mae"
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"images": 0}).Reload()
    assert "val/forecast" in acc.Tags()["images"] and "val/mae_seasonal_naive" in acc.Tags()["scalars"]

    ckpt = tmp_path / "only.ckpt"
    (run / "checkpoints" / "best.ckpt").rename(ckpt)
    assert torch.load(ckpt, weights_only=True)["hyper_parameters"]["series"]["scaler"]["kind"] == "standard"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", f"output_dir={elsewhere / 'eval'}"], elsewhere)
    assert result.returncode == 0, result.stderr
    report = json.loads((elsewhere / "eval" / "metrics.json").read_text())["metrics"]
    assert report["mae"] == pytest.approx(metrics["test/mae"], rel=1e-4)
    assert report["mae_seasonal_naive"] == pytest.approx(metrics["test/mae_seasonal_naive"], rel=1e-6)
    with open(elsewhere / "eval" / "forecasts.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == report["examples"] * 12
    last = rows[-12:]  # the last test window's 12 steps, on consecutive lines near the end of the file
    target_lines = [int(r["line"]) for r in last]
    assert target_lines == list(range(target_lines[0], target_lines[0] + 12)) and target_lines[-1] >= 701 - 1

    # predict reads the 48 rows before that window's targets and must give the same 12 forecasts.
    lines = data.read_text().splitlines()  # lines[k] is file line k + 1
    first = target_lines[0] - 1
    window_file = elsewhere / "window.csv"
    window_file.write_text("\n".join([lines[0], *lines[first - 48 : first]]) + "\n")
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}", f"input={window_file}"], elsewhere)
    assert result.returncode == 0, result.stderr
    predicted = [float(v) for v in result.stdout.split()]
    assert predicted == pytest.approx([float(r["load_forecast"]) for r in last], rel=1e-5)
    task = load_task(ckpt)
    assert task.predict_lines([lines[0], *lines[first - 48 : first]], {}) == result.stdout.splitlines()
    with pytest.raises(DataError, match=r"input: 9 data rows; the forecast reads the last 48"):
        task.predict_lines(lines[:10], {})
