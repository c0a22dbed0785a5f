"""A checkpoint (or export manifest) written before a config key existed still loads and predicts: its stored
sections are completed with the current schemas' defaults (``seq2seq.stored_config``), never overriding a
value the file holds, so inference indexes its config directly."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import compose_cfg
from test_api import FAST, task_overrides

import seq2seq
from seq2seq.config import DecodingConfig, LoggerConfig
from seq2seq.stored_config import complete_manifest, complete_section, complete_sections
from seq2seq.tasks.seq2seq.config import ParallelDataConfig, Seq2SeqModelConfig

INPUTS = ["abc", "hgfe", "dd"]


@pytest.fixture(scope="module")
def translation_ckpt(tmp_path_factory):
    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("translation")
    train(compose_cfg("train", [*task_overrides("translation", tmp), *FAST, f"paths.output_dir={tmp / 'run'}",
                                f"paths.cache_dir={tmp / 'cache'}"]))
    return tmp / "run" / "checkpoints" / "best.ckpt"


def default(schema: type, key: str):
    value = {f.name: f for f in dataclasses.fields(schema)}[key].default
    return getattr(value, "value", value)


def without_later_keys(path, out):
    """The checkpoint as an older seq2seq would have written it: no decoding.keep_greedy, data.normalize,
    model.coverage, logger.attention_heatmap (in the run config and in the module's hyper-parameters, where
    the logger section is ``logging``)."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    for section in (ckpt["seq2seq"]["config"], ckpt["hyper_parameters"]):  # may share their dicts: pop
        section["decoding"].pop("keep_greedy", None), section["model"].pop("coverage", None)
        section["logger" if "logger" in section else "logging"].pop("attention_heatmap", None)
    del ckpt["seq2seq"]["config"]["data"]["normalize"]
    torch.save(ckpt, out)
    return ckpt


def test_checkpoint_without_later_keys_predicts_with_the_schema_defaults(translation_ckpt, tmp_path):
    from seq2seq.checkpoint import load_task

    original = torch.load(translation_ckpt, map_location="cpu", weights_only=True)["seq2seq"]["config"]
    # the run stored the schema defaults, so the older file must behave exactly as the original one
    assert original["decoding"]["keep_greedy"] == default(DecodingConfig, "keep_greedy")
    assert original["data"]["normalize"] == default(ParallelDataConfig, "normalize")
    assert original["model"]["coverage"] == default(Seq2SeqModelConfig, "coverage")
    older = tmp_path / "older.ckpt"
    stripped = without_later_keys(translation_ckpt, older)
    assert "keep_greedy" not in stripped["hyper_parameters"]["decoding"]
    assert "coverage" not in stripped["seq2seq"]["config"]["model"]

    predictor = seq2seq.load(older)
    assert predictor.config["data"]["normalize"] == default(ParallelDataConfig, "normalize")
    assert predictor.saved_decoding["keep_greedy"] is default(DecodingConfig, "keep_greedy")
    assert predictor.hparams["model"]["coverage"] is False
    assert predictor.predict(INPUTS) == seq2seq.load(translation_ckpt).predict(INPUTS)
    task = load_task(older)  # evaluate's path completes the same way
    assert task.hparams["decoding"]["keep_greedy"] is default(DecodingConfig, "keep_greedy")
    assert task.hparams["logging"]["attention_heatmap"] is default(LoggerConfig, "attention_heatmap")
    assert task.run_config["logger"]["attention_heatmap"] is default(LoggerConfig, "attention_heatmap")


def test_completion_never_overrides_a_stored_value():
    stored = {"beam_size": 3, "keep_greedy": False, "coverage_penalty": 0.5, "no_longer_a_key": 1}
    out = complete_section(stored, DecodingConfig)
    assert {k: out[k] for k in stored} == stored  # every stored value (even one the schema dropped) as it was
    assert out["alpha"] == 0.6 and out["strategy"] == "beam"  # the missing ones: the schema's (enums as values)
    assert set(out) == {f.name for f in dataclasses.fields(DecodingConfig)} | {"no_longer_a_key"}

    config = {"data": {"kind": "parallel", "normalize": "nfkc"}, "callbacks": {"early_stopping": {"patience": 9}},
              "model": {"kind": "a_kind_from_the_future", "size": 3}, "seed": 7}
    done = complete_sections(config)
    assert done["data"]["normalize"] == "nfkc" and done["data"]["lowercase"] is False
    assert "path" not in done["data"]  # a required key ("???") is never invented
    assert done["callbacks"]["early_stopping"]["patience"] == 9  # nested sections: the same rule
    assert done["callbacks"]["early_stopping"]["enabled"] is True and done["callbacks"]["save_last"] is True
    assert done["model"] == config["model"] and done["seed"] == 7  # nothing to complete an unknown kind from
    assert "decoding" not in done  # an absent section stays absent
    assert config["data"] == {"kind": "parallel", "normalize": "nfkc"}  # the input is not modified


def test_hyper_parameter_sections_complete_from_their_run_config_sections():
    from seq2seq.stored_config import complete_checkpoint

    ckpt = {"seq2seq": {"config": {}}, "hyper_parameters": {"logging": {"samples": 3}, "loss": {"label_smoothing": 0.1},
                                                            "vocab_size": 5, "labels": ["a", "b"]}}
    hparams = complete_checkpoint(ckpt)["hyper_parameters"]
    assert hparams["logging"]["samples"] == 3 and hparams["loss"]["label_smoothing"] == 0.1  # stored: kept
    assert hparams["logging"]["attention_heatmap"] is default(LoggerConfig, "attention_heatmap")  # logger's
    assert hparams["loss"]["on_nonfinite"] == "error" and hparams["loss"]["coverage_weight"] == 0.0
    assert hparams["vocab_size"] == 5 and hparams["labels"] == ["a", "b"]  # not sections: untouched


def test_export_manifest_decoding_is_completed_for_the_accepted_keys_only():
    manifest = {"config": {"decoding": {"beam_size": 2}}, "hparams": {"decoding": {"beam_size": 2}},
                "decoding": {"beam_size": 2}, "decoding_keys": ["beam_size", "keep_greedy", "coverage_penalty"]}
    out = complete_manifest(manifest)
    assert out["decoding"] == {"beam_size": 2, "keep_greedy": True, "coverage_penalty": 0.0}
    assert out["config"]["decoding"]["keep_greedy"] is True and out["hparams"]["decoding"]["alpha"] == 0.6


def test_a_sentencepiece_state_without_later_settings_gets_the_schema_defaults():
    from seq2seq.tokenizers.schema import TokenizerConfig
    from seq2seq.tokenizers.sentencepiece import SentencePieceTokenizer

    tok = SentencePieceTokenizer.from_state({"kind": "sentencepiece", "vocab_size": 77, "model_type": "unigram",
                                             "lowercase": True, "model_proto": None})
    assert (tok.vocab_size_requested, tok.model_type, tok.lowercase) == (77, "unigram", True)  # stored: kept
    assert tok.byte_fallback is default(TokenizerConfig, "byte_fallback")
    assert tok.character_coverage == default(TokenizerConfig, "character_coverage")
