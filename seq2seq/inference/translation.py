"""Translation and chatbot inference: raw texts → n-best outputs with scores (and attention on request)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from seq2seq.data.pairs.collate import collate_pairs, collate_sources
from seq2seq.inference.base import Predictor
from seq2seq.inference.translation_io import Translation, TranslationIO  # noqa: F401 (Translation: a public name)
from seq2seq.models.sampling import sample
from seq2seq.models.search import SearchResult, beam_search, max_lengths
from seq2seq.models.seq2seq import Seq2SeqModel
from seq2seq.tokenizers import PAD

NOT_MODEL_KEYS = ("kind", "pretrained_source", "pretrained_target", "freeze_pretrained")
DECODING_KEYS = ("strategy", "beam_size", "n_best", "length_penalty", "alpha", "max_len_ratio", "max_len_extra",
                 "max_len_cap", "batch_size", "min_len", "no_repeat_ngram", "temperature", "top_k", "top_p",
                 "seed", "coverage_penalty", "keep_greedy", "return_attention")


def build_seq2seq_model(model: dict, src_vocab_size: int, tgt_vocab_size: int) -> Seq2SeqModel:
    """The encoder-decoder of a ``model`` config section (keys that are not constructor arguments dropped)."""
    return Seq2SeqModel(src_vocab_size, tgt_vocab_size, **{k: v for k, v in model.items() if k not in NOT_MODEL_KEYS})


def search(model: Seq2SeqModel, src: torch.Tensor, src_lengths: torch.Tensor, d: dict,
           beam_size: int | None = None, attention: bool = True) -> SearchResult:
    """Decode a batch with the options ``d`` (a decoding section): sampling when ``strategy=sample`` (unless
    ``beam_size`` is forced, as validation does), else beam search (beam 1: greedy). ``attention=False``
    keeps no attention history (what a long input's translation would otherwise hold in memory)."""
    budget = max_lengths(src_lengths, d["max_len_ratio"], d["max_len_extra"], d["max_len_cap"]).to(src.device)
    rules = {"min_len": d["min_len"], "no_repeat_ngram": d["no_repeat_ngram"], "keep_attention": attention}
    if beam_size is None and d["strategy"] == "sample":
        generator = None
        if d["seed"] is not None:
            generator = torch.Generator(device=src.device).manual_seed(d["seed"])
        return sample(model, src, src_lengths, budget, d["temperature"], d["top_k"], d["top_p"], generator, **rules)
    return beam_search(model, src, src_lengths, budget, beam_size or d["beam_size"],
                       d["n_best"] if beam_size is None else 1, d["length_penalty"], d["alpha"], **rules,
                       coverage_beta=d["coverage_penalty"], keep_greedy=d["keep_greedy"])


class TranslationPredictor(TranslationIO, Predictor):
    kind = "seq2seq"
    decoding_keys = DECODING_KEYS

    @staticmethod
    def build_model(hparams: dict) -> Seq2SeqModel:
        return build_seq2seq_model(hparams["model"], hparams["src_vocab_size"], hparams["tgt_vocab_size"])

    def describe(self) -> dict:
        src, tgt = self.tokenizers["source"], self.tokenizers["target"]
        return {"source_vocab_size": src.vocab_size, "target_vocab_size": tgt.vocab_size,
                "max_input_tokens": self.max_input_tokens}

    # -- decoding --------------------------------------------------------------------------------------
    @torch.no_grad()
    def search_rows(self, encoded: list[list[int]], rows: list[int], d: dict, attention: bool):
        """The padded sources (B, S) of ``rows`` of ``encoded`` and their ``SearchResult``."""
        batch = collate_sources(rows, [np.asarray(encoded[i], dtype=np.int64) for i in rows])
        return batch["src"], search(self.model, batch["src"].to(self.device), batch["src_lengths_cpu"], d,
                                    attention=attention)

    def _attention(self, src: torch.Tensor, out: SearchResult, row: int) -> dict | None:
        if out.attention is None:
            return None
        src_ids = [i for i in src.tolist() if i != PAD]
        out_ids = [i for i in out.tokens[row, 0].tolist() if i != PAD]
        weights = out.attention[row, : len(out_ids), : len(src_ids)].float().cpu()
        return {"source": self.tokenizers["source"].pieces(src_ids),
                "target": self.tokenizers["target"].pieces(out_ids),
                "weights": [[round(w, 6) for w in row_] for row_ in weights.tolist()]}

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Decode a split of the training data (or ``input_path``, read the same way), write
        ``predictions.txt`` (one output per line, input order) and return the metrics."""
        from seq2seq.data.pairs.datamodule import PairDataModule  # the training data's reader

        sources, references = PairDataModule.eval_examples(self.config["data"], split, input_path)
        metrics, outputs = self.evaluate_examples(sources, references, options)
        (Path(out_dir) / "predictions.txt").write_text("".join(o + "\n" for o in outputs), encoding="utf-8")
        return {**metrics, "examples": len(sources)}

    def scorer_signatures(self) -> dict[str, str]:
        from seq2seq.tasks.seq2seq.metrics import scorer_signatures

        return scorer_signatures()

    def evaluate_examples(self, sources: list[str], references: list[str], decoding: dict) -> tuple[dict, list[str]]:
        """Metrics (loss, ppl, bleu, chrf, exact_match) and the best output per source."""
        # sacrebleu: only evaluate pays its import
        from seq2seq.tasks.seq2seq.metrics import perplexity, text_metrics

        outputs = [nbest[0][0] for nbest in self.nbest(sources, decoding)]
        metrics = text_metrics(outputs, references)
        nll = self.teacher_forced_nll(sources, references, decoding["batch_size"])
        return {"loss": nll, "ppl": perplexity(nll), **metrics}, outputs

    @torch.no_grad()
    def teacher_forced_nll(self, sources: list[str], references: list[str], batch_size: int) -> float:
        src_tok, tgt_tok = self.tokenizers["source"], self.tokenizers["target"]
        total, tokens = 0.0, 0
        for start in range(0, len(sources), batch_size):
            items = [(i, np.asarray(src_tok.encode(s), dtype=np.int64), np.asarray(tgt_tok.encode(t), dtype=np.int64))
                     for i, (s, t) in enumerate(zip(sources[start : start + batch_size],
                                                    references[start : start + batch_size]))]
            batch = collate_pairs(items)
            logits, _ = self.model(batch["src"].to(self.device), batch["src_lengths_cpu"],
                                   batch["tgt_in"].to(self.device))
            gold = batch["tgt_out"].to(self.device)
            total += float(F.cross_entropy(logits.flatten(0, 1).float(), gold.flatten(), ignore_index=PAD,
                                           reduction="sum"))
            tokens += int((gold != PAD).sum())
        return total / max(tokens, 1)
