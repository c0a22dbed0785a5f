"""LightningModule for sequence tagging (NER): BiLSTM-CRF over CoNLL data, entity-level F1."""

from __future__ import annotations

import logging

import torch
from hydra.utils import to_absolute_path

from seq2seq.data.conll.datamodule import ConllDataModule, TagSplit
from seq2seq.data.conll.schemes import entities
from seq2seq.data.conll.vocab import TaggingVocab
from seq2seq.inference.ner import NERPredictor, build_tagger, sentence_record
from seq2seq.models.pretrained import read_vectors
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.ner.metrics import confusion_counts, confusion_figure, entity_metrics
from seq2seq.tokenizers import SPECIALS

log = logging.getLogger(__name__)

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}
__all__ = ["ConllDataModule", "TaggingTask", "sentence_record", "spans_text"]


class TaggingTask(BaseTask):
    kind = "ner"
    predictor_class = NERPredictor
    val_metrics, val_metric_prefixes = ("loss", "precision", "recall", "f1", "accuracy"), ("f1_",)

    def __init__(self, model: dict, optim: dict, scheduler: dict, logging: dict, num_words: int, num_chars: int,
                 tags: list[str], scheme: str):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_tagger(model, num_words, num_chars, tags, scheme)
        self._eval: dict = {}

    @classmethod
    def from_config(cls, cfg: dict, datamodule: ConllDataModule) -> TaggingTask:
        vocab = datamodule.vocab
        task = cls(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["logger"], len(vocab.words), len(vocab.chars),
                   vocab.tags, vocab.scheme)
        task.attach({"vocab": vocab}, cfg)
        if cfg["model"]["embeddings_path"]:
            path = to_absolute_path(cfg["model"]["embeddings_path"])
            ids, vectors, lines = read_vectors(path, vocab.words.stoi, cfg["model"]["embedding_dim"], vocab.word_key)
            task.model.load_vectors(ids, vectors, cfg["model"]["freeze_embeddings"])
            log.info("%s: %d vectors read, %d of %d vocabulary words initialised from them", path, lines, len(ids),
                     len(vocab.words) - len(SPECIALS))
        return task

    @property
    def vocab(self) -> TaggingVocab:
        return self.tokenizers["vocab"]

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        state = checkpoint.get("seq2seq", {}).get("tokenizers", {}).get("vocab")
        if not self.tokenizers and state is not None:
            self.tokenizers = {"vocab": TaggingVocab.from_state(state)}
        super().on_load_checkpoint(checkpoint)

    # -- training --------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        # Mean negative log-likelihood per token (CRF: of the sentences' gold paths).
        loss = self.guard_loss(self.model.nll(self.model.emissions(batch), batch) / batch["mask"].sum())
        if loss is not None:
            self.log("train/loss", loss, prog_bar=True, batch_size=batch["mask"].size(0))
        return loss

    # -- validation and test ---------------------------------------------------------------------------
    def start_eval(self, stage: str) -> None:
        self._eval = {"pred": [], "nll": torch.zeros((), device=self.device),
                      "tokens": torch.zeros((), device=self.device)}

    def eval_step(self, stage: str, batch: dict) -> None:
        scores = self.model.emissions(batch)
        self._eval["nll"] += self.model.nll(scores, batch).detach()
        self._eval["tokens"] += batch["mask"].sum()
        tags, _ = self.model.best_tags(scores, batch["mask"])
        lengths = batch["lengths_cpu"].tolist()
        rows = tags.cpu().tolist()
        self._eval["pred"].extend((i, row[:n]) for i, row, n in zip(batch["index"].tolist(), rows, lengths))

    def finish_eval(self, stage: str) -> None:
        # Corpus metrics need every sentence: gather (index, tag ids) from all ranks; repeats from padding
        # the last batches to equal counts collapse in the dict; corpus order is restored by index.
        by_index = {i: p for part in self.gather_objects(self._eval["pred"]) for i, p in part}
        split: TagSplit = self.trainer.datamodule.split(SPLIT_OF_STAGE[stage])
        order = sorted(by_index)
        pred_ids = [by_index[i] for i in order]
        pred = self.tags_in_file_scheme(pred_ids)
        metrics = entity_metrics([split.gold[i] for i in order], pred)
        nll = self.reduce_sum(self._eval["nll"]) / self.reduce_sum(self._eval["tokens"]).clamp(min=1)
        # Scalars: loss, micro precision/recall/F1, token accuracy and the F1 of each entity type.
        logged = {f"{stage}/loss": nll, **{f"{stage}/{k}": v for k, v in metrics.items()
                                           if k != "f1" and not k.startswith(("precision_", "recall_"))}}
        self.log_dict(logged, sync_dist=False)
        self.log(f"{stage}/f1", metrics["f1"], prog_bar=True, sync_dist=False)
        self._log_figures(stage, split, order, pred_ids, pred)

    def tags_in_file_scheme(self, pred_ids: list[list[int]]) -> list[list[str]]:
        """Predicted tag ids → tag strings in the data's scheme (``data.scheme_in``)."""
        return self.predictor().tags_in_file_scheme(pred_ids)

    def _log_figures(self, stage: str, split: TagSplit, order: list[int], pred_ids: list[list[int]],
                     pred: list[list[str]]) -> None:
        writer = self.tensorboard
        if writer is None:
            return
        gold_ids = [split.tags[i].tolist() for i in order]
        counts = confusion_counts(gold_ids, pred_ids, len(self.vocab.tags))
        writer.add_figure(f"{stage}/confusion", confusion_figure(counts, self.vocab.tags,
                                                                 f"{stage} step {self.global_step}"), self.global_step)
        n = self.hparams.logging["samples"]
        if n > 0:
            rows = ["| sentence | gold | predicted |", "|---|---|---|"]
            for i, tags in list(zip(order, pred))[:n]:
                tokens = [split.encoded.forms[f] for f in split.encoded.tokens[i]]
                cells = [" ".join(tokens), spans_text(tokens, split.gold[i]), spans_text(tokens, tags)]
                rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            writer.add_text(f"{stage}/samples", "\n".join(rows), self.global_step)


def spans_text(tokens: list[str], tags: list[str]) -> str:
    """``[European Commission](ORG) ...``: the entities of a sentence, for sample tables."""
    return " ".join(f"[{' '.join(tokens[s:e])}]({kind})" for s, e, kind in entities(tags)) or "—"
