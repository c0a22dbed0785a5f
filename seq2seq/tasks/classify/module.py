"""LightningModule for many-to-one sequence classification (sentiment, topic, intent...)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from seq2seq.data.labeled.datamodule import LabeledDataModule
from seq2seq.inference.classify import ClassifyPredictor, build_classifier
from seq2seq.plots import attention_figure
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.classify.config import check_model_config
from seq2seq.tasks.classify.metrics import classification_metrics, confusion_figure, confusion_matrix

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}
__all__ = ["ClassifyTask", "LabeledDataModule"]


class ClassifyTask(BaseTask):
    kind = "classify"
    predictor_class = ClassifyPredictor
    val_metrics, val_metric_prefixes = ("loss", "accuracy", "macro_f1"), ("f1_",)

    def __init__(self, model: dict, optim: dict, scheduler: dict, loss: dict, logging: dict, vocab_size: int,
                 labels: list[str]):
        super().__init__()
        self.save_hyperparameters()
        self.labels = list(labels)
        self.model = build_classifier(model, vocab_size, labels)
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
        if example is not None and self.hparams.logging["attention_heatmap"]:
            ids, weights = example
            pieces = self.tokenizers["text"].pieces(ids)
            fig = attention_figure(weights[None, :], pieces, ["pool"], f"{stage} step {self.global_step}")
            writer.add_figure(f"{stage}/attention", fig, self.global_step)
