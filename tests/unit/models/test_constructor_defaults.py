"""Each default is written once: the ``model`` schema of a kind holds it, so the model built from that section
has no default of its own for any of the schema's keys (one that contradicted the schema would silently
apply wherever a caller forgot the key)."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from seq2seq.models.classifier import SequenceClassifier
from seq2seq.models.forecaster import Forecaster
from seq2seq.models.lm import RNNLanguageModel
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.models.tagger import Tagger
from seq2seq.registry import kinds_of

# model.kind → the top-level model its section builds (seq2seq.inference.*: build_*)
MODELS = {"seq2seq": Seq2SeqModel, "lm": RNNLanguageModel, "classifier": SequenceClassifier,
          "forecaster": Forecaster, "tagger": Tagger}


def test_every_model_kind_is_checked():
    assert set(MODELS) == set(kinds_of("model"))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_model_constructor_has_no_default_for_a_schema_key(kind):
    schema = kinds_of("model")[kind].load()[0]
    keys = {f.name for f in dataclasses.fields(schema)}
    params = inspect.signature(MODELS[kind]).parameters
    with_default = sorted(name for name, p in params.items() if name in keys and p.default is not p.empty)
    assert not with_default, f"{MODELS[kind].__name__} has its own default for {with_default}; the schema has them"
    # and each schema key it takes can only be passed by keyword (no positional mix-ups of the section's values)
    positional = sorted(name for name, p in params.items() if name in keys and p.kind != p.KEYWORD_ONLY)
    assert not positional, f"{MODELS[kind].__name__}: {positional} should be keyword-only"
