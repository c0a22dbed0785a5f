"""Text classification inference: texts → label and class probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from seq2seq.data.labeled.collate import collate_labeled
from seq2seq.data.labeled.preparation import encode_texts, label_ids
from seq2seq.inference.base import Predictor
from seq2seq.inference.classify_io import Classification, ClassifyIO  # noqa: F401 (Classification: a public name)
from seq2seq.models.classifier import SequenceClassifier


def build_classifier(model: dict, vocab_size: int, labels: list[str]) -> SequenceClassifier:
    return SequenceClassifier(vocab_size, len(labels), **{k: v for k, v in model.items() if k != "kind"})


class ClassifyPredictor(ClassifyIO, Predictor):
    kind = "classify"
    decoding_keys = ("batch_size",)

    @staticmethod
    def build_model(hparams: dict) -> SequenceClassifier:
        return build_classifier(hparams["model"], hparams["vocab_size"], hparams["labels"])

    def describe(self) -> dict:
        return {"labels": self.labels, "vocab_size": self.tokenizers["text"].vocab_size,
                "max_input_tokens": self.config["data"]["max_len"], "longer_inputs": "truncated"}

    @torch.no_grad()
    def predict_proba(self, texts: list[str], batch_size: int) -> np.ndarray:
        """(N, C) class probabilities of normalised texts, in input order (batches of similar length)."""
        tokens, _ = encode_texts(self.tokenizers["text"], texts, self.config["data"]["max_len"])
        order = np.argsort(tokens.lengths, kind="stable")
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size].tolist()
            batch = collate_labeled([(i, tokens[i], 0) for i in rows])
            logits, _ = self.model(batch["tokens"].to(self.device), batch["lengths_cpu"])
            out[rows] = torch.softmax(logits.double(), dim=-1).cpu().numpy()
        return out

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Classify a split of the training data (or ``input_path``, read the same way); write
        ``predictions.tsv`` (text, gold, predicted, probabilities as JSON) and ``confusion_matrix.png``."""
        from seq2seq.data.labeled.datamodule import LabeledDataModule  # the training data's reader
        from seq2seq.plots import plt
        from seq2seq.tasks.classify.metrics import classification_metrics, confusion_figure, confusion_matrix

        out_dir, data = Path(out_dir), self.config["data"]
        rows = LabeledDataModule.eval_rows(data, split, input_path)
        rows, gold = label_ids(rows, self.labels, data["unknown_label"], Path(input_path).name if input_path else split)
        probs = self.predict_proba(rows.texts, options["batch_size"])
        pred = probs.argmax(axis=1)
        nll = float(-np.log(np.maximum(probs[np.arange(len(gold)), gold], 1e-300)).mean()) if len(gold) else 0.0
        lines = ["text\tgold\tpredicted\tprobabilities\n"]
        lines += [f"{t}\t{self.labels[g]}\t{self.labels[p]}\t{self.probs_json(pr)}\n"
                  for t, g, p, pr in zip(rows.texts, gold, pred, probs)]
        (out_dir / "predictions.tsv").write_text("".join(lines), encoding="utf-8")
        cm = confusion_matrix(gold, pred, len(self.labels))
        fig = confusion_figure(cm, self.labels, Path(input_path).name if input_path else split)
        fig.savefig(out_dir / "confusion_matrix.png", dpi=100)
        plt.close(fig)
        return {"loss": nll, **classification_metrics(gold, pred, self.labels), "examples": len(gold)}
