"""Rules between config keys that no single field's range can express, checked on the validated plain dict
before any data is read (``seq2seq.train_config.validate_train_config``). Each raises a one-line ``ConfigError``
that names the keys and a value that works. Ranges of single values live on the schema fields
(``seq2seq.ranges``); rules of one data or model kind are registered with its schema."""

from __future__ import annotations

from seq2seq.errors import ConfigError

PRECISIONS = ("32-true", "32", "bf16-mixed", "16-mixed", "bf16-true", "64-true", "64")


def check_train_rules(c: dict) -> None:
    task, model = c["task"], c["model"]
    if not task["monitor"].startswith("val/"):
        raise ConfigError(f"task.monitor={task['monitor']!r} must name a validation metric such as 'val/chrf'")
    if model.get("cell_impl") == "builtin" and (model.get("recurrent_dropout", 0) > 0 or model.get("layer_norm")):
        raise ConfigError("model.recurrent_dropout and model.layer_norm need model.cell_impl=reference "
                          "(PyTorch's fused RNNs cannot drop or normalise the recurrent state)")
    if model.get("layer_norm") and model.get("cell") != "lstm":
        raise ConfigError("model.layer_norm=true is implemented for model.cell=lstm only")
    if c["loss"]["on_nonfinite"] == "skip" and "ddp" in str(c["trainer"]["strategy"]):
        raise ConfigError("loss.on_nonfinite=skip cannot be used with DDP (ranks would disagree on skipped "
                          "batches); use loss.on_nonfinite=error")
    _check_not_multirun_ddp(c)
    check_trainer(c["trainer"])
    _check_histograms(c["logger"])
    check_decoding(c["decoding"])
    check_data_sizes(c["data"])
    _check_schedules(c)


def check_decoding(d: dict) -> None:
    """Rules of the ``decoding`` section (also for predict/evaluate/chat and chat's /set)."""
    if d["strategy"] == "beam" and d["n_best"] > d["beam_size"]:
        raise ConfigError(f"decoding.n_best={d['n_best']} cannot exceed decoding.beam_size={d['beam_size']}; "
                          f"set decoding.n_best<={d['beam_size']} or decoding.beam_size>={d['n_best']}")


def check_trainer(t: dict) -> None:
    if str(t["precision"]) not in PRECISIONS:
        raise ConfigError(f"trainer.precision={t['precision']} is not one of {', '.join(PRECISIONS)}")
    if str(t["precision"]) == "16-mixed" and t["accelerator"] == "cpu":
        raise ConfigError(FP16_ON_CPU)
    if t["accelerator"] == "cpu":
        _check_cpu_devices(t["devices"], "trainer.accelerator=cpu")
    interval = t["val_check_interval"]
    if t["check_val_every_n_epoch"] is None and (interval is None or isinstance(interval, float)):
        raise ConfigError(f"trainer.check_val_every_n_epoch=null counts batches across epochs, so "
                          f"trainer.val_check_interval={interval} must be a number of batches or a duration; "
                          "set e.g. trainer.val_check_interval=500")
    low, high = t["min_epochs"], t["max_epochs"]
    if low is not None and high not in (None, -1) and low > high:
        raise ConfigError(f"trainer.min_epochs={low} cannot exceed trainer.max_epochs={high}; "
                          f"set trainer.min_epochs<={high}")


FP16_ON_CPU = ("trainer.precision=16-mixed is for GPUs (CPUs have no fast float16 products); "
               "use trainer.precision=bf16-mixed on the CPU")


def check_machine(trainer: dict) -> None:
    """What this machine cannot run (kept out of validation, which must give the same answer everywhere:
    a config written for a GPU node validates on a laptop). ``train`` calls it before reading data."""
    if _cuda_available():
        return
    if trainer["accelerator"] in ("gpu", "cuda"):
        raise ConfigError(f"trainer.accelerator={trainer['accelerator']}: CUDA is not available on this machine; "
                          "use trainer.accelerator=cpu (or auto)")
    if trainer["accelerator"] == "mps" and not _mps_available():
        raise ConfigError("trainer.accelerator=mps: Apple's MPS backend is not available on this machine; "
                          "use trainer.accelerator=cpu (or auto)")
    if str(trainer["precision"]) == "16-mixed":
        raise ConfigError(FP16_ON_CPU)
    if trainer["accelerator"] in ("auto", "cpu"):
        _check_cpu_devices(trainer["devices"], "no CUDA on this machine")


def _check_cpu_devices(devices, why: str) -> None:
    """On the CPU Lightning takes a number of processes; GPU ids (a list, -1, "0,1") are refused late."""
    if devices == "auto" or (isinstance(devices, int) and devices >= 1) or str(devices).strip().isdigit():
        return
    raise ConfigError(f"trainer.devices={devices} selects GPUs ({why}); on the CPU set trainer.devices to a number "
                      "of processes, e.g. trainer.devices=1")


def check_device(device: str) -> None:
    """``device=`` of predict/evaluate/chat: auto, cpu, cuda, cuda:N or mps, and only where it exists."""
    name, _, index = device.partition(":")
    if name not in ("auto", "cpu", "cuda", "mps") or (index and (name != "cuda" or not index.isdigit())):
        raise ConfigError(f"bad value for 'device': {device}; must be auto, cpu, cuda, cuda:<index> or mps")
    if name == "cuda" and not _cuda_available():
        raise ConfigError(f"device={device}: CUDA is not available on this machine; use device=cpu (or auto)")
    if name == "mps" and not _mps_available():
        raise ConfigError("device=mps: Apple's MPS backend is not available on this machine; use device=cpu (or auto)")
    if index and int(index) >= _cuda_count():
        raise ConfigError(f"device={device}: this machine has {_cuda_count()} CUDA device(s); "
                          f"use device=cuda:0 ... cuda:{_cuda_count() - 1}")


def _cuda_available() -> bool:
    import torch  # only these rules need it; the config modules stay light to import

    return torch.cuda.is_available()


def _mps_available() -> bool:
    import torch

    return torch.backends.mps.is_available()


def _cuda_count() -> int:
    import torch

    return torch.cuda.device_count()


def check_data_sizes(data: dict) -> None:
    """Length bounds and split fractions that contradict each other (any data kind that has the keys)."""
    if data.get("min_len") is not None and data.get("max_len") is not None and data["min_len"] > data["max_len"]:
        raise ConfigError(f"data.min_len={data['min_len']} cannot exceed data.max_len={data['max_len']}; "
                          f"set data.min_len<={data['max_len']}")
    if "src_col" in data and data["src_col"] == data["tgt_col"]:
        raise ConfigError(f"data.src_col and data.tgt_col are both {data['src_col']}; they must differ")
    if data.get("valid_path") and data.get("test_path"):
        return  # explicit split files: the sizes are not used
    names = [k for k in ("train_size", "valid_size", "test_size") if isinstance(data.get(k), float) and data[k] < 1]
    total = sum(data[k] for k in names)
    if total > 1 or (total == 1 and "train_size" not in names):
        keys = " + ".join(f"data.{k}" for k in names)
        raise ConfigError(f"{keys} = {total:g} leaves no rows for training; lower them (fractions sum below 1)")


def _check_schedules(c: dict) -> None:
    tf = c["teacher_forcing"]
    if tf["min_ratio"] > tf["ratio"]:
        raise ConfigError(f"teacher_forcing.min_ratio={tf['min_ratio']:g} cannot exceed teacher_forcing.ratio="
                          f"{tf['ratio']:g}; set teacher_forcing.min_ratio<={tf['ratio']:g}")
    sched, lr = c["scheduler"], c["optim"]["lr"]
    if sched["name"] in ("plateau", "cosine") and sched["min_lr"] >= lr:
        raise ConfigError(f"scheduler.min_lr={sched['min_lr']:g} must be below optim.lr={lr:g} (the schedule "
                          f"lowers the rate towards it); set scheduler.min_lr<{lr:g}")


def _check_histograms(logger: dict) -> None:
    if logger["histograms"] and not logger["tensorboard"]:
        raise ConfigError("logger.histograms=true writes TensorBoard histograms: set logger.tensorboard=true")


def _check_not_multirun_ddp(c: dict) -> None:
    """Lightning's ``ddp`` re-executes the command per rank; under ``-m`` every rank would run its own sweep."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        strategy = str(c["trainer"]["strategy"])
        # Under a SLURM launcher every job is an allocation whose tasks are the ranks (Lightning's
        # SLURMEnvironment): nothing is re-executed, so DDP jobs are fine there.
        on_slurm = "SlurmLauncher" in str(HydraConfig.get().launcher.get("_target_", ""))
        if strategy.startswith("ddp") and strategy != "ddp_spawn" and not on_slurm:
            raise ConfigError(f"trainer.strategy={strategy} cannot run under -m (each rank would start its own sweep); "
                              "use trainer.strategy=ddp_spawn or single-device sweep jobs")
