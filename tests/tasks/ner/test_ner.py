"""NER tagging: the CoNLL reader and tag schemes, vocabularies, the tagger's padding invariance, pretrained
vectors, entity-level metrics, and the train → evaluate → predict path from the checkpoint alone."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
from pathlib import Path

import pytest
import torch
from conftest import ROOT, SHARED_DATA, compose_cfg, model_from_schema
from seqeval.metrics.sequence_labeling import get_entities

from seq2seq.data.conll.collate import collate_tagging
from seq2seq.data.conll.reader import ConllFormat, format_conll, read_conll
from seq2seq.data.conll.schemes import convert, entities, first_violation, tag_set, tags_from_entities
from seq2seq.data.conll.vocab import CASING, TaggingVocab, casing_class
from seq2seq.errors import DataError
from seq2seq.models.pretrained import read_vectors
from seq2seq.models.tagger import Tagger
from seq2seq.tasks.ner.config import TaggerModelConfig
from seq2seq.tasks.ner.metrics import confusion_counts, entity_metrics, tag_confusion

# One sentence, the same entities in the three schemes: [Peter Blackburn](PER) [EU](ORG) [Rome](LOC)
# [Milan](LOC) (two adjacent LOC entities: IOB1 needs B- on the second), then O.
TOKENS = ["Peter", "Blackburn", "EU", "Rome", "Milan", "said"]
IOB1 = ["I-PER", "I-PER", "I-ORG", "I-LOC", "B-LOC", "O"]
IOB2 = ["B-PER", "I-PER", "B-ORG", "B-LOC", "B-LOC", "O"]
BIOES = ["B-PER", "E-PER", "S-ORG", "S-LOC", "S-LOC", "O"]
SPANS = [(0, 2, "PER"), (2, 3, "ORG"), (3, 4, "LOC"), (4, 5, "LOC")]


def write_conll(path: Path, sentences: list[list[tuple[str, ...]]], docstart: str | None = "-DOCSTART- -X- O") -> Path:
    text = f"{docstart}\n\n" if docstart else ""
    text += "".join("".join(" ".join(row) + "\n" for row in sent) + "\n" for sent in sentences)
    path.write_text(text, encoding="utf-8")
    return path


# -- schemes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme, tags", [("iob1", IOB1), ("iob2", IOB2), ("bioes", BIOES)])
def test_every_scheme_reads_the_same_entities_and_converts_both_ways(scheme, tags):
    assert entities(tags) == SPANS
    assert tags_from_entities(SPANS, len(tags), scheme) == tags
    for target, expected in (("iob1", IOB1), ("iob2", IOB2), ("bioes", BIOES)):
        assert convert(tags, scheme, target) == expected
        assert convert(convert(tags, scheme, target), target, scheme) == tags
    assert first_violation(tags, scheme) is None


def test_entities_follow_conlleval_like_seqeval_on_random_sequences():
    rng = random.Random(0)
    pool = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]
    for _ in range(2000):
        tags = [rng.choice(pool) for _ in range(rng.randint(1, 8))]
        expected = sorted((s, e + 1, t) for t, s, e in get_entities(tags))
        assert sorted(entities(tags)) == expected, tags


@pytest.mark.parametrize("scheme, tags, position", [
    ("iob2", ["O", "I-PER"], 1), ("iob2", ["I-PER"], 0), ("iob2", ["B-LOC", "I-PER"], 1),
    ("bioes", ["B-PER", "O"], 1), ("bioes", ["B-PER", "I-PER"], 1), ("bioes", ["O", "E-LOC"], 1),
    ("iob1", ["O", "E-LOC"], 1), ("iob2", ["O", "PER"], 1),
])
def test_invalid_sequences_are_found(scheme, tags, position):
    assert first_violation(tags, scheme)[0] == position


# -- reader ----------------------------------------------------------------------------------------------
def test_reader_splits_sentences_at_blank_lines_and_docstart(tmp_path):
    path = tmp_path / "a.conll"
    rows = [(t, "NNP", "I-NP", g) for t, g in zip(TOKENS, IOB1)]
    text = "-DOCSTART- -X- O O\n\n" + "".join(" ".join(r) + "\n" for r in rows) + "\n\n"
    text += "-DOCSTART- -X- O O\n" + "Hello UH O O\n.  . O O\n"  # no blank line after DOCSTART, none at the end
    path.write_text(text, encoding="utf-8")
    sentences, report = read_conll(path, ConllFormat(scheme="iob1"))
    assert [s.tokens for s in sentences] == [TOKENS, ["Hello", "."]]
    assert sentences[0].tags == IOB1 and sentences[0].line == 3
    assert sentences[1].docstart == "-DOCSTART- -X- O O" and report.extra["documents"] == 2
    assert (report.read, report.extra["tokens"]) == (2, 8)


def test_reader_picks_columns_and_tab_separator(tmp_path):
    path = tmp_path / "tab.conll"
    path.write_text("B-PER\tAnna\tx\nO\tsings\tx\n", encoding="utf-8")
    sentences, _ = read_conll(path, ConllFormat(token_col=1, tag_col=0, separator="\t"))
    assert sentences[0].tokens == ["Anna", "sings"] and sentences[0].tags == ["B-PER", "O"]


def test_bad_lines_name_file_and_line_or_are_skipped_and_counted(tmp_path):
    bad_cols = write_conll(tmp_path / "cols.conll", [[("a", "O"), ("b", "O")], [("c", "x", "O")], [("d", "O")]])
    with pytest.raises(DataError, match=r"cols\.conll:6: expected 2 columns, found 3"):
        read_conll(bad_cols)
    bad_tag = write_conll(tmp_path / "tag.conll", [[("a", "O")], [("b", "O"), ("c", "I-PER")], [("d", "O")]])
    with pytest.raises(DataError, match=r"tag\.conll:6: tag 'I-PER' cannot come after 'O' \(scheme iob2\)"):
        read_conll(bad_tag, ConllFormat(scheme="iob2"))
    sentences, report = read_conll(bad_tag, ConllFormat(scheme="iob2", on_error="skip"))
    assert [s.tokens for s in sentences] == [["a"], ["d"]]
    assert report.malformed == 1 and "tag.conll:6" in report.summary()
    sentences, _ = read_conll(bad_tag, ConllFormat(scheme="iob1"))  # IOB1: I- may start an entity
    assert len(sentences) == 3
    open_end = write_conll(tmp_path / "end.conll", [[("a", "B-PER")]])
    with pytest.raises(DataError, match=r"end\.conll:3: the sentence ends inside an entity"):
        read_conll(open_end, ConllFormat(scheme="bioes"))


def test_written_predictions_read_back_as_gold_and_predicted_columns(tmp_path):
    source = write_conll(tmp_path / "in.conll", [[(t, "X", g) for t, g in zip(TOKENS, IOB1)], [("Oslo", "X", "I-LOC")]])
    sentences, _ = read_conll(source, ConllFormat(scheme="iob1"))
    predicted = [convert(BIOES, "bioes", "iob1"), ["O"]]
    out = tmp_path / "out.conll"
    out.write_text(format_conll(sentences, predicted), encoding="utf-8")
    assert out.read_text().startswith("-DOCSTART- -X- O O\n\nPeter X I-PER I-PER\n")
    as_pred, report = read_conll(out, ConllFormat(tag_col=-1, scheme="iob1"))
    as_gold, _ = read_conll(out, ConllFormat(tag_col=-2, scheme="iob1"))
    assert [s.tags for s in as_pred] == predicted and [s.tags for s in as_gold] == [IOB1, ["I-LOC"]]
    assert report.extra["documents"] == 1


# -- vocabularies and batches ----------------------------------------------------------------------------
def test_vocab_lookup_lowercases_folds_digits_and_keeps_characters():
    vocab = TaggingVocab.build([["Paris", "in", "1996"], ["paris", "IN"]], tag_set(["LOC"], "bioes"), "bioes")
    assert vocab.words.itos[4:6] == ["in", "paris"] and vocab.word_key("1997") == "0000"
    enc = vocab.encode([["PARIS", "1997", "Zürich"]])
    assert enc.form_words.tolist() == [vocab.words.id("paris"), vocab.words.id("0000"), 3]
    assert enc.unknown_words == 1 and enc.forms == ["PARIS", "1997", "Zürich"]
    # characters keep their case: of "PARIS" only P (from "Paris") and I (from "IN") were seen
    assert [vocab.chars.itos[c] for c in enc.form_chars[0]] == ["P", "<unk>", "<unk>", "I", "<unk>"]
    restored = TaggingVocab.from_state(vocab.state())
    assert restored.encode([["PARIS"]]).form_words.tolist() == enc.form_words[:1].tolist()
    assert [CASING[casing_class(t)] for t in ["word", "WORD", "Word", "1996", "12.5", "A4x", "4-", ",", "iPod"]] == [
        "lower", "upper", "initial_upper", "numeric", "mainly_numeric", "initial_upper", "has_digit", "other", "mixed"]


def test_collate_shares_characters_of_repeated_forms():
    vocab = TaggingVocab.build([["the", "cat"], ["a", "dog"]], ["O"], "bioes")
    enc = vocab.encode([["the", "cat", "the"], ["the"]])
    batch = collate_tagging(enc, [0, 1])
    assert batch["chars"].shape[0] == 2  # "the" and "cat", each once
    assert batch["form_index"].tolist() == [[0, 1, 0], [0, 0, 0]]
    assert batch["mask"].tolist() == [[True, True, True], [True, False, False]]
    assert batch["words"][1, 1:].eq(0).all() and batch["lengths_cpu"].tolist() == [3, 1]


# -- the model -------------------------------------------------------------------------------------------
def small_tagger(vocab: TaggingVocab, **kw) -> Tagger:
    torch.manual_seed(0)
    return model_from_schema(Tagger, TaggerModelConfig, len(vocab.words), len(vocab.chars), vocab.tags, vocab.scheme,
                             embedding_dim=8, char_dim=5, char_hidden=6, casing_dim=3, hidden_size=7, encoder_layers=2, **kw).eval()


@pytest.mark.parametrize("options", [{"output": "crf"}, {"output": "softmax"}, {"output": "softmax", "constrained": False},
                                     {"char_encoder": "lstm", "cell": "gru"}, {"packed": True}])
def test_tagger_padding_invariance(options):
    sentences = [["Anna", "Okafor", "visited", "Lisbon", "on", "Monday", "."], ["Hi"], ["Kraków", "wins"]]
    vocab = TaggingVocab.build(sentences, tag_set(["LOC", "PER"], "bioes"), "bioes")
    model = small_tagger(vocab, **options)
    enc = vocab.encode(sentences)
    tags, _ = vocab.encode_tags([["O"] * len(s) for s in sentences])
    batch = collate_tagging(enc, [0, 1, 2], tags)
    with torch.no_grad():
        scores = model.emissions(batch)
        best, logp = model.decode(batch)
        total = model.nll(scores, batch)
        alone_total = 0.0
        for row in range(3):
            one = collate_tagging(enc, [row], tags)
            n = len(sentences[row])
            alone_scores = model.emissions(one)
            assert torch.allclose(scores[row, :n], alone_scores[0], atol=1e-6)
            alone_best, alone_logp = model.decode(one)
            assert best[row, :n].tolist() == alone_best[0].tolist()
            assert torch.allclose(logp[row], alone_logp[0], atol=1e-5)
            alone_total += float(model.nll(alone_scores, one))
    assert float(total) == pytest.approx(alone_total, rel=1e-5)


def test_padded_and_packed_encoders_compute_the_same_function():
    from seq2seq.models.birnn import BiRNN, reverse_within

    torch.manual_seed(0)
    packed, padded = BiRNN("lstm", 5, 4, 2, 0.0, packed=True), BiRNN("lstm", 5, 4, 2, 0.0, packed=False)
    with torch.no_grad():  # copy the packed stack's weights into the per-direction layers
        for layer in range(2):
            for direction, rnns in (("", padded.forward_rnns), ("_reverse", padded.backward_rnns)):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(rnns[layer], f"{name}_l0").copy_(getattr(packed.rnn, f"{name}_l{layer}{direction}"))
    x, lengths = torch.randn(3, 6, 5), torch.tensor([6, 2, 4])
    mask = (torch.arange(6) < lengths.unsqueeze(1)).unsqueeze(2)
    assert torch.allclose(packed(x, lengths) * mask, padded(x, lengths) * mask, atol=1e-6)
    assert torch.equal(reverse_within(reverse_within(x, lengths), lengths), x)
    assert reverse_within(x, lengths)[1, :2].tolist() == x[1, [1, 0]].tolist()


def test_pretrained_vectors_from_glove_and_word2vec_text(tmp_path):
    vocab = TaggingVocab.build([["Paris", "is", "big"]], ["O"], "bioes")
    glove = tmp_path / "glove.txt"
    glove.write_text("paris 1 2 3\nis 4 5 6\nunused 7 8 9\nParis 0 0 0\n", encoding="utf-8")
    ids, vectors, lines = read_vectors(glove, vocab.words.stoi, 3, vocab.word_key)
    assert lines == 4 and ids.tolist() == sorted([vocab.words.id("paris"), vocab.words.id("is")])
    model = model_from_schema(Tagger, TaggerModelConfig, len(vocab.words), len(vocab.chars), vocab.tags, vocab.scheme,
                              embedding_dim=3, hidden_size=4)
    model.load_vectors(ids, vectors, freeze=True)
    weight = model.features.words.weight
    assert weight[vocab.words.id("paris")].tolist() == [1, 2, 3]  # the first vector for a key wins
    assert weight[vocab.words.id("is")].tolist() == [4, 5, 6] and not weight.requires_grad
    w2v = tmp_path / "w2v.txt"
    w2v.write_text("2 3\nbig 1 1 1\nis 2 2 2\n", encoding="utf-8")
    ids, _, lines = read_vectors(w2v, vocab.words.stoi, 3, vocab.word_key)
    assert lines == 2 and len(ids) == 2
    with pytest.raises(DataError, match=r"glove\.txt:1: expected a word and 5 values"):
        read_vectors(glove, vocab.words.stoi, 5, vocab.word_key)


# -- metrics ---------------------------------------------------------------------------------------------
def test_entity_f1_equals_the_value_computed_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-LOC", "I-LOC"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "B-LOC", "O"]]
    # gold: PER, LOC, ORG, LOC (4); predicted: PER, ORG, ORG, LOC (4); correct: PER, ORG (2).
    m = entity_metrics(gold, pred)
    assert m["precision"] == pytest.approx(50.0) and m["recall"] == pytest.approx(50.0)
    assert m["f1"] == pytest.approx(50.0)
    assert m["f1_PER"] == pytest.approx(100.0)
    assert m["f1_ORG"] == pytest.approx(100 * 2 * 1 * 0.5 / 1.5)  # P = 1/2, R = 1/1
    assert m["f1_LOC"] == pytest.approx(0.0)
    assert m["accuracy"] == pytest.approx(100 * 6 / 8)
    iob1 = entity_metrics([convert(g, "iob2", "iob1") for g in gold], [convert(p, "iob2", "iob1") for p in pred])
    assert iob1["f1"] == pytest.approx(50.0)


def test_confusion_counts_rows_are_gold():
    counts = confusion_counts([[0, 1, 1]], [[0, 1, 2]], 3)
    assert counts.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    counts, labels = tag_confusion([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-ORG"]])
    assert labels == ["O", "B-LOC", "B-ORG", "B-PER", "I-PER"]
    assert counts[labels.index("I-PER"), 0] == 1 and counts[labels.index("B-LOC"), labels.index("B-ORG")] == 1


# -- the embedded sample ------------------------------------------------------------------------------------
def test_embedded_sample_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("gen_ner", ROOT / "data" / "generate_ner_sample.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.to_conll(gen.generate_sentences(gen.DEFAULT_SENTENCES, gen.DEFAULT_SEED))
    assert (ROOT / "data" / "ner-sample.conll").read_text(encoding="utf-8") == text
    sentences, report = read_conll(ROOT / "data" / "ner-sample.conll", ConllFormat(scheme="iob2"))
    assert report.read == 600 and report.extra["documents"] == 24
    kinds = {k for s in sentences for _, _, k in entities(s.tags)}
    assert kinds == {"PER", "LOC", "ORG", "MISC"}


@pytest.mark.shared_data
def test_conll2003_files_read_with_their_published_counts():
    folder = SHARED_DATA / "ner" / "conll2003"
    if not folder.is_dir():
        pytest.skip("../shared/data/ner/conll2003 is absent")
    sentences, report = read_conll(folder / "eng.testb", ConllFormat(n_cols=4, scheme="iob1"))
    assert (report.read, report.extra["tokens"], report.extra["documents"]) == (3453, 46435, 231)
    iob2 = [convert(s.tags, "iob1", "iob2") for s in sentences]
    assert all(first_violation(t, "iob2") is None for t in iob2)


def test_conll2003_config_points_at_the_shared_files():
    cfg = compose_cfg("train", ["task=ner", "data=conll2003", "paths.output_dir=/tmp/x", "paths.cache_dir=null"])
    from seq2seq.train_config import validate_train_config

    data = validate_train_config(cfg)["data"]
    assert Path(data["valid_path"]).name == "eng.testa" and data["scheme_in"] == "iob1"
    assert Path(data["path"]).resolve() == (SHARED_DATA / "ner" / "conll2003" / "eng.train").resolve()


# -- end to end: train a few steps, then evaluate and predict from the checkpoint alone, elsewhere ------------
def run_cli(module: str, args: list[str], cwd: Path, stdin: str | None = None):
    import os
    import subprocess
    import sys

    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, env=env, timeout=300, check=False)


@pytest.fixture(scope="module")
def trained_ner(tmp_path_factory):
    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("ner")
    vectors = tmp / "vectors.txt"  # GloVe text format, 16 values (debug=ner_fast: model.embedding_dim=16)
    vectors.write_text("".join(f"{w} " + " ".join([str(i + 1)] * 16) + "\n" for i, w in enumerate(["the", "said"])))
    overrides = ["task=ner", "debug=ner_fast", f"paths.output_dir={tmp / 'run'}", f"paths.cache_dir={tmp / 'cache'}",
                 f"model.embeddings_path={vectors}", "model.freeze_embeddings=true",
                 "trainer.accelerator=cpu", "trainer.devices=1", "trainer.max_epochs=2",
                 "trainer.limit_train_batches=8", "trainer.limit_val_batches=null", "trainer.limit_test_batches=null",
                 "optim.lr=0.02", "logger.samples=3"]
    metrics = train(compose_cfg("train", overrides))
    return tmp / "run", metrics


@pytest.mark.slow
def test_training_logs_entity_metrics_per_type_and_a_confusion_matrix(trained_ner):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run, metrics = trained_ner
    assert metrics["monitor"] == "val/f1" and metrics["objective"] is not None
    for key in ("test/f1", "test/precision", "test/recall", "test/accuracy", "test/loss", "test/f1_PER"):
        assert key in metrics, key
    assert metrics["test/accuracy"] > 60  # the O tags alone, at least
    acc = EventAccumulator(str(run / "tensorboard"), size_guidance={"tensors": 0, "images": 0}).Reload()
    scalars = set(acc.Tags()["scalars"])
    assert {"train/loss", "val/f1", "val/f1_LOC", "val/f1_MISC", "val/f1_ORG", "val/f1_PER", "val/accuracy"} <= scalars
    assert "val/confusion" in acc.Tags()["images"] and "test/confusion" in acc.Tags()["images"]
    assert any(t.startswith("val/samples") for t in acc.Tags()["tensors"])
    assert json.loads((run / "tokenizer_vocab.json").read_text())["scheme"] == "bioes"


@pytest.mark.slow
def test_ner_checkpoint_loads_with_weights_only_and_carries_the_vocabulary(trained_ner):
    run, _ = trained_ner
    ckpt = torch.load(run / "checkpoints" / "best.ckpt", weights_only=True)
    vocab = ckpt["seq2seq"]["tokenizers"]["vocab"]
    assert vocab["kind"] == "tagging_vocab" and vocab["tags"][0] == "O" and len(vocab["words"]) > 100
    assert ckpt["seq2seq"]["config"]["model"]["kind"] == "tagger"
    # the frozen pretrained rows are still the file's vectors after training
    weight = ckpt["state_dict"]["model.features.words.weight"]
    assert weight[vocab["words"].index("the")].tolist() == [1.0] * 16
    assert weight[vocab["words"].index("said")].tolist() == [2.0] * 16


@pytest.mark.slow
def test_ner_evaluate_and_predict_from_the_checkpoint_alone(trained_ner, tmp_path):
    run, metrics = trained_ner
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ckpt = elsewhere / "only.ckpt"
    shutil.copy(run / "checkpoints" / "best.ckpt", ckpt)
    result = run_cli("seq2seq.evaluate", [f"ckpt_path={ckpt}", f"output_dir={tmp_path / 'eval'}"], elsewhere)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())["metrics"]
    assert report["examples"] == 60 and report["f1"] == pytest.approx(metrics["test/f1"], abs=1e-4)
    # The written file scores the same through the conlleval rules: gold is the next-to-last column.
    written = tmp_path / "eval" / "predictions.conll"
    gold, _ = read_conll(written, ConllFormat(tag_col=-2, scheme="iob2"))
    pred, _ = read_conll(written, ConllFormat(tag_col=-1, scheme="iob2"))
    assert len(gold) == 60 and entity_metrics([s.tags for s in gold], [s.tags for s in pred])["f1"] == pytest.approx(
        report["f1"])
    assert (tmp_path / "eval" / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    stdin = "Anna Okafor visited Lisbon on Monday .\n\nNorthwind Bank shares rose\n"
    result = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}"], elsewhere, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")[:-1]
    assert len(lines) == 3 and lines[1] == ""
    pairs = [item.rsplit("/", 1) for item in lines[0].split(" ")]
    assert [tok for tok, _ in pairs] == stdin.splitlines()[0].split()
    assert first_violation([tag for _, tag in pairs], "iob2") is None  # the data's scheme, as evaluate writes
    as_json = run_cli("seq2seq.predict", [f"ckpt_path={ckpt}", "format=json"], elsewhere, stdin=stdin)
    assert as_json.returncode == 0, as_json.stderr
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert records[0]["tokens"] == stdin.splitlines()[0].split() and records[0]["tags"] == [t for _, t in pairs]


@pytest.mark.slow
def test_ner_evaluate_another_file_and_predict_with_scores_in_process(trained_ner, tmp_path, monkeypatch):
    from seq2seq.evaluate import evaluate
    from seq2seq.predict import predict

    run, _ = trained_ner
    ckpt = run / "checkpoints" / "best.ckpt"
    other = write_conll(tmp_path / "other.conll", [[("Anna", "B-PER"), ("Okafor", "I-PER"), ("sings", "O")]])
    metrics = evaluate(compose_cfg("evaluate", [f"ckpt_path={ckpt}", f"input={other}", f"output_dir={tmp_path / 'o'}",
                                                "device=cpu"]))
    assert metrics["examples"] == 1 and metrics["tokens"] == 3
    written = (tmp_path / "o" / "predictions.conll").read_text().splitlines()
    assert written[2].startswith("Anna B-PER ") and len(written[2].split()) == 3
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("Anna sings\n"))
    out = predict(compose_cfg("predict", [f"ckpt_path={ckpt}", "show_scores=true", "device=cpu"]))
    score, tagged = out[0].split("\t")
    assert float(score) <= 0.0 and tagged.startswith("Anna/") and tagged.split(" ")[1].startswith("sings/")


@pytest.mark.slow
def test_predict_lines_json_records_hold_spans():
    vocab = TaggingVocab.build([["Anna", "Okafor", "sings"]], tag_set(["PER"], "bioes"), "bioes")
    from seq2seq.tasks.ner.module import TaggingTask, sentence_record

    record = sentence_record(["Anna", "Okafor", "sings"], ["B-PER", "E-PER", "O"], -0.5)
    assert record["spans"] == [{"start": 0, "end": 2, "type": "PER", "text": "Anna Okafor"}]
    model = {"kind": "tagger", "embedding_dim": 4, "char_encoder": "cnn", "char_dim": 3, "char_hidden": 3,
             "char_kernel": 3, "casing_dim": 2, "cell": "lstm", "hidden_size": 3, "encoder_layers": 1, "dropout": 0.0,
             "word_dropout": 0.0, "output": "crf", "constrained": True, "packed": False, "embeddings_path": None,
             "freeze_embeddings": False}
    task = TaggingTask(model, {}, {}, {"samples": 0}, len(vocab.words), len(vocab.chars), vocab.tags, vocab.scheme)
    task.attach({"vocab": vocab}, {"data": {"scheme_in": "iob2"}})
    out = task.predict_lines(["Anna Okafor sings", ""], {"batch_size": 8, "format": "json"})
    first = json.loads(out[0])
    assert first["tokens"] == ["Anna", "Okafor", "sings"] and len(first["tags"]) == 3
    assert json.loads(out[1])["tokens"] == []
