"""Decoding speed, PyTorch eager against onnxruntime (issue #16): the same sentences, the same model, the
same forced output length, greedy and beam-5 search, in one run.

The model is randomly initialised at the size of the default translation config (embeddings 128, a
2-layer bidirectional LSTM encoder of 256 per direction, a 2-layer LSTM decoder of 512, general attention)
with an 8,000-symbol vocabulary, wrapped in the real predictors: ``TranslationPredictor`` (PyTorch) and the
exported directory loaded with ``seq2seq.load`` (onnxruntime graphs + the NumPy search). Output lengths are
forced (``min_len`` = ``max_len_cap`` = ``--length``), so both decode exactly as many steps. Each number is
the best of ``--runs`` wall-clock runs; threads: ``OMP_NUM_THREADS`` for both (set it to 1 on a shared box).

    OMP_NUM_THREADS=1 python benchmarks/onnx_decode.py [--sentences 64] [--length 20] [--runs 3]

``--ckpt <run>/checkpoints/best.ckpt`` times a trained translation checkpoint instead, on the test split of
its own data, with its own decoding settings (no forced length: each search stops where it stops).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np
import torch

import seq2seq
from seq2seq.config import DecodingConfig
from seq2seq.export import export_predictor
from seq2seq.hydra_schemas import schema_defaults
from seq2seq.inference.translation import DECODING_KEYS, TranslationPredictor, build_seq2seq_model
from seq2seq.stored_config import complete_sections
from seq2seq.tasks.seq2seq.config import Seq2SeqModelConfig
from seq2seq.tokenizers import SPECIALS, tokenizer_from_state

MODEL = {**schema_defaults(Seq2SeqModelConfig), "cell": "lstm", "embedding_dim": 128, "hidden_size": 256,
         "encoder_layers": 2, "decoder_layers": 2, "bidirectional": True, "attention": "general", "input_feed": False,
         "bridge": "copy"}
DECODING = {**schema_defaults(DecodingConfig), "strategy": "beam", "beam_size": 5, "n_best": 1,
            "length_penalty": "gnmt", "alpha": 0.6, "max_len_ratio": 10.0, "max_len_extra": 0, "batch_size": 32,
            "no_repeat_ngram": 0, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "seed": None, "coverage_penalty": 0.0, "keep_greedy": True,
            "return_attention": False}


def predictor(vocab: int) -> TranslationPredictor:
    torch.manual_seed(0)
    itos = [*SPECIALS, *(chr(0x4E00 + i) for i in range(vocab - len(SPECIALS)))]
    tok = tokenizer_from_state({"kind": "char", "min_freq": 1, "max_size": None, "itos": itos})
    model = build_seq2seq_model(MODEL, tok.vocab_size, tok.vocab_size).eval()
    hparams = {"model": MODEL, "src_vocab_size": tok.vocab_size, "tgt_vocab_size": tok.vocab_size,
               "decoding": DECODING}
    config = complete_sections({"data": {"kind": "parallel"}, "task": {"name": "translation"}, "model": MODEL})
    return TranslationPredictor(model, {"source": tok, "target": tok}, config, hparams)


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--length", type=int, default=20, help="source length and forced output length")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ckpt", default=None, help="a trained translation checkpoint (its test split)")
    args = parser.parse_args()
    if args.ckpt:
        from seq2seq.data.pairs.datamodule import PairDataModule

        torch_pred = seq2seq.load(args.ckpt)
        sources, _ = PairDataModule.eval_examples(torch_pred.config["data"], "test", None)
        encoded, base = torch_pred.encode(sources), torch_pred.decoding({})
        what = f"{len(encoded)} test sentences of {args.ckpt}, its decoding settings"
    else:
        torch_pred, base = predictor(args.vocab), DECODING
        rng = np.random.default_rng(0)
        encoded = [rng.integers(len(SPECIALS), args.vocab, args.length - 1).tolist() for _ in range(args.sentences)]
        base = {**base, "min_len": args.length, "max_len_cap": args.length}
        what = f"{args.sentences} sentences, source {args.length} tokens, output forced to {args.length}, vocab {args.vocab}"
    with tempfile.TemporaryDirectory() as tmp:
        onnx_pred = seq2seq.load(export_predictor(torch_pred, os.path.join(tmp, "export")))
        print(f"{what}, batch {base['batch_size']}, threads {torch.get_num_threads()} "
              f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})")
        print("| search | PyTorch eager (sent/s) | onnxruntime (sent/s) | speed-up |")
        print("| --- | ---: | ---: | ---: |")
        for name, beam in (("greedy", 1), ("beam-5", 5)):
            d = {k: v for k, v in {**base, "strategy": "beam", "beam_size": beam, "n_best": 1}.items()
                 if k in DECODING_KEYS}
            same = [n[0][0] for n, _ in torch_pred.decode_encoded(encoded[:8], d, False)] == \
                   [n[0][0] for n, _ in onnx_pred.decode_encoded(encoded[:8], d, False)]
            with torch.no_grad():
                eager = best_of(args.runs, lambda d=d: torch_pred.decode_encoded(encoded, d, False))
            ort = best_of(args.runs, lambda d=d: onnx_pred.decode_encoded(encoded, d, False))
            n = len(encoded)
            print(f"| {name} | {n / eager:.1f} | {n / ort:.1f} | {eager / ort:.2f}x |"
                  + ("" if same else "  (outputs differ!)"))


if __name__ == "__main__":
    main()
