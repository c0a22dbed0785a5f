"""Training and tagging speed of the NER tagger, in sentences per second, on CoNLL-2003.

The model is the one ``experiment=ner_conll2003`` trains (composed from ``conf/``; any override after
``--`` applies, e.g. ``-- model.hidden_size=200``). Training: bucketed, shuffled batches of the training
file, timed over collate + forward + CRF loss + backward + optimizer step (fused Adam, as the task runs it).
Tagging: the test file (``eng.testb``), timed over encoding + collate + emissions + Viterbi, in
``data.eval_batch_size`` batches sorted by length, as ``seq2seq.evaluate``/``predict`` tag. Each figure is
the median of ``--runs`` runs.

    python benchmarks/ner_speed.py [--dir ../shared/data/ner/conll2003] [--threads 1 2] [-- key=value ...]

For comparison, NCRF++ (Yang & Zhang, ACL 2018 demo, Figure 4) reports more than 1,000 sentences/s training
and more than 2,000 sentences/s decoding for its char-CNN/word-LSTM/CRF model at large batch sizes, measured
on an Nvidia GPU, not a CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from seq2seq.data.conll.collate import collate_tagging
from seq2seq.data.conll.datamodule import build_vocab
from seq2seq.data.conll.reader import ConllFormat, convert_sentences, read_conll
from seq2seq.data.sampler import BucketBatchSampler
from seq2seq.models.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = "../shared/data/ner/conll2003"  # relative to the repository root
NOT_MODEL_KEYS = ("kind", "embeddings_path", "freeze_embeddings")


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    argv = sys.argv[1:] if argv is None else argv
    overrides = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default=DEFAULT_DIR, help="folder with eng.train and eng.testb (relative: to the repo)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch threads, one measurement each")
    p.add_argument("--train-batches", type=int, default=150, help="training batches timed per run")
    p.add_argument("--runs", type=int, default=3)
    return p.parse_args(argv), overrides


def recipe(overrides: list[str]) -> dict:
    from seq2seq.hydra_schemas import config_dir  # registers the schema nodes the presets extend

    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose("train", ["task=ner", "experiment=ner_conll2003", *overrides])
    return OmegaConf.to_container(cfg, resolve=False)


def load(folder: Path, data: dict):
    fmt = ConllFormat(n_cols=data["n_cols"], scheme=data["scheme_in"])
    train, _ = read_conll(folder / "eng.train", fmt)
    test, _ = read_conll(folder / "eng.testb", fmt)
    train_tags = convert_sentences(train, data["scheme_in"], data["scheme_out"])
    vocab = build_vocab(data, train, train_tags)
    encoded = vocab.encode([s.tokens for s in train])
    return vocab, encoded, vocab.encode_tags(train_tags)[0], [s.tokens for s in test]


def train_speed(model: Tagger, cfg: dict, encoded, tags, batches: int) -> float:
    data, optim = cfg["data"], cfg["optim"]
    opt = torch.optim.Adam(model.parameters(), lr=optim["lr"], fused=True)
    sampler = BucketBatchSampler(encoded.tokens.lengths, data["batch_size"], seed=len(encoded.forms))
    rows = list(sampler)[:batches]
    model.train()
    start, sentences = time.perf_counter(), 0
    for r in rows:
        batch = collate_tagging(encoded, r, tags)
        loss = model.nll(model.emissions(batch), batch) / batch["mask"].sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["trainer"]["gradient_clip_val"])
        opt.step()
        sentences += len(r)
    return sentences / (time.perf_counter() - start)


@torch.inference_mode()
def tag_speed(model: Tagger, vocab, sentences: list[list[str]], batch_size: int) -> float:
    model.eval()
    start = time.perf_counter()
    encoded = vocab.encode(sentences)
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
    for i in range(0, len(order), batch_size):
        model.decode(collate_tagging(encoded, order[i : i + batch_size]))
    return len(sentences) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict:
    args, overrides = parse_args(argv)
    folder = Path(args.dir) if Path(args.dir).is_absolute() else ROOT / args.dir
    cfg = recipe(overrides)
    vocab, encoded, tags, test = load(folder, cfg["data"])
    model_cfg = {k: v for k, v in cfg["model"].items() if k not in NOT_MODEL_KEYS}
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}; "
          f"model {model_cfg}; batch {cfg['data']['batch_size']} (train), {cfg['data']['eval_batch_size']} (tag)")
    results = {}
    for threads in args.threads:
        torch.set_num_threads(threads)
        trains, tagging = [], []
        for run in range(args.runs):
            torch.manual_seed(run)
            model = Tagger(len(vocab.words), len(vocab.chars), vocab.tags, vocab.scheme, **model_cfg)
            trains.append(train_speed(model, cfg, encoded, tags, args.train_batches))
            tagging.append(tag_speed(model, vocab, test, cfg["data"]["eval_batch_size"]))
        results[threads] = (statistics.median(trains), statistics.median(tagging))
        print(f"threads={threads}: train {results[threads][0]:,.0f} sentences/s, "
              f"tag {results[threads][1]:,.0f} sentences/s (median of {args.runs})")
    return results


if __name__ == "__main__":
    main()
