"""LightningModule for many-to-one sequence classification (sentiment, topic, intent...)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib import pyplot as plt

from seq2seq.classification_metrics import classification_metrics, confusion_figure, confusion_matrix
from seq2seq.data.labeled_datamodule import LabeledDataModule, collate_labeled
from seq2seq.data.labeled_prepare import encode_texts, label_ids
from seq2seq.data.text import normalize_text
from seq2seq.errors import DataError
from seq2seq.models.classifier import SequenceClassifier
from seq2seq.plots import attention_figure
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.classify_config import check_model_config

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}


class ClassifyTask(BaseTask):
    kind = "classify"

    def __init__(self, model: dict, optim: dict, scheduler: dict, loss: dict, logging: dict, vocab_size: int,
                 labels: list[str]):
        super().__init__()
        self.save_hyperparameters()
        self.labels = list(labels)
        self.model = SequenceClassifier(vocab_size, len(labels), **{k: v for k, v in model.items() if k != "kind"})
        self._eval: dict = {}

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> ClassifyTask:
        check_model_config(cfg["model"])
        tokenizer = datamodule.tokenizers["text"]
        task = cls(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["loss"], cfg["logger"], tokenizer.vocab_size,
                   datamodule.labels)
        task.attach(datamodule.tokenizers, cfg)
        return task

    # -- training --------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        logits, _ = self.model(batch["tokens"], batch["lengths_cpu"])
        loss = F.cross_entropy(logits.float(), batch["labels"], label_smoothing=self.hparams.loss["label_smoothing"])
        if self.guard_loss(loss) is None:
            return None
        size = batch["labels"].numel()
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        self.log("train/accuracy", 100.0 * (logits.argmax(-1) == batch["labels"]).float().mean(), batch_size=size)
        return loss

    # -- validation and test ---------------------------------------------------------------------------
    def start_eval(self, stage: str) -> None:
        self._eval = {"rows": [], "example": None}

    def eval_step(self, stage: str, batch: dict) -> None:
        logits, weights = self.model(batch["tokens"], batch["lengths_cpu"])
        logp = torch.log_softmax(logits.float(), dim=-1)
        nll = -logp.gather(1, batch["labels"][:, None]).squeeze(1)
        best, pred = logp.max(dim=-1)
        self._eval["rows"].extend(zip(batch["index"].tolist(), pred.tolist(), nll.tolist(), best.exp().tolist()))
        if self._eval["example"] is None and weights is not None:
            n = int(batch["lengths_cpu"][0])
            self._eval["example"] = (batch["tokens"][0, :n].tolist(), weights[0, :n].float().cpu().numpy())

    def finish_eval(self, stage: str) -> None:
        # Corpus metrics need every example: gather (index, prediction, nll, p) from all ranks; keying by
        # index drops the repeats that padding the last batches to equal counts per rank introduced.
        by_index = {row[0]: row[1:] for part in self.gather_objects(self._eval["rows"]) for row in part}
        order = sorted(by_index)
        split = self.trainer.datamodule.split(SPLIT_OF_STAGE[stage])
        gold = split.labels[order]
        pred = np.array([by_index[i][0] for i in order], dtype=np.int64)
        nll = float(np.mean([by_index[i][1] for i in order])) if order else 0.0
        metrics = {f"{stage}/{k}": v for k, v in classification_metrics(gold, pred, self.labels).items()}
        accuracy = metrics.pop(f"{stage}/accuracy")
        self.log_dict({f"{stage}/loss": nll, **metrics}, sync_dist=False)
        self.log(f"{stage}/accuracy", accuracy, prog_bar=stage == "val", sync_dist=False)
        self._log_figures(stage, split, order, gold, pred, [by_index[i][2] for i in order])

    def _log_figures(self, stage: str, split, order: list[int], gold: np.ndarray, pred: np.ndarray,
                     confidence: list[float]) -> None:
        writer = self.tensorboard
        if writer is None:
            return
        cm = confusion_matrix(gold, pred, len(self.labels))
        writer.add_figure(f"{stage}/confusion_matrix", confusion_figure(cm, self.labels, f"{stage} step "
                                                                         f"{self.global_step}"), self.global_step)
        n = self.hparams.logging["samples"]
        if n > 0:
            rows = ["| text | gold | predicted | p |", "|---|---|---|---|"]
            for i, g, p, c in list(zip(order, gold, pred, confidence))[:n]:
                text = split.texts[i].replace("|", "\\|")
                rows.append(f"| {text} | {self.labels[g]} | {self.labels[p]} | {c:.3f} |")
            writer.add_text(f"{stage}/samples", "\n".join(rows), self.global_step)
        example = self._eval["example"]
        if example is not None and self.hparams.logging.get("attention_heatmap", True):
            ids, weights = example
            pieces = self.tokenizers["text"].pieces(ids)
            fig = attention_figure(weights[None, :], pieces, ["pool"], f"{stage} step {self.global_step}")
            writer.add_figure(f"{stage}/attention", fig, self.global_step)

    # -- evaluate / predict CLIs -------------------------------------------------------------------------
    @torch.no_grad()
    def predict_proba(self, texts: list[str], batch_size: int) -> np.ndarray:
        """(N, C) class probabilities of normalised texts, in input order (batches of similar length)."""
        tokens, _ = encode_texts(self.tokenizers["text"], texts, self.run_config["data"].get("max_len"))
        order = np.argsort(tokens.lengths, kind="stable")
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size].tolist()
            batch = collate_labeled([(i, tokens[i], 0) for i in rows])
            logits, _ = self.model(batch["tokens"].to(self.device), batch["lengths_cpu"])
            out[rows] = torch.softmax(logits.double(), dim=-1).cpu().numpy()
        return out

    def evaluate_data(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Classify a split of the training data (or ``input_path``, read the same way); write
        ``predictions.tsv`` (text, gold, predicted, probabilities as JSON) and ``confusion_matrix.png``."""
        data = self.run_config["data"]
        rows = LabeledDataModule.eval_rows(data, split, input_path)
        rows, gold = label_ids(rows, self.labels, data["unknown_label"], Path(input_path).name if input_path else split)
        probs = self.predict_proba(rows.texts, options["batch_size"])
        pred = probs.argmax(axis=1)
        nll = float(-np.log(np.maximum(probs[np.arange(len(gold)), gold], 1e-300)).mean()) if len(gold) else 0.0
        lines = ["text\tgold\tpredicted\tprobabilities\n"]
        lines += [f"{t}\t{self.labels[g]}\t{self.labels[p]}\t{self._probs_json(pr)}\n"
                  for t, g, p, pr in zip(rows.texts, gold, pred, probs)]
        (out_dir / "predictions.tsv").write_text("".join(lines), encoding="utf-8")
        cm = confusion_matrix(gold, pred, len(self.labels))
        fig = confusion_figure(cm, self.labels, Path(input_path).name if input_path else split)
        fig.savefig(out_dir / "confusion_matrix.png", dpi=100)
        plt.close(fig)
        return {"loss": nll, **classification_metrics(gold, pred, self.labels), "examples": len(gold)}

    def _probs_json(self, probs: np.ndarray) -> str:
        return json.dumps({name: round(float(p), 6) for name, p in zip(self.labels, probs)}, ensure_ascii=False)

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """``label<TAB>{"label": probability, ...}`` per input line (probabilities always shown, so
        ``show_scores`` changes nothing). Texts are normalised as the training data was."""
        data = self.run_config.get("data", {})
        clean = [normalize_text(t, data.get("normalize", "nfc"), data.get("lowercase", False)) for t in lines]
        for number, text in enumerate(clean, start=1):
            if not text:
                raise DataError(f"input line {number} is empty; give one text to classify per line")
        probs = self.predict_proba(clean, options["batch_size"])
        return [f"{self.labels[int(p.argmax())]}\t{self._probs_json(p)}" for p in probs]
