"""LightningModule for sequence tagging (NER): BiLSTM-CRF over CoNLL data, entity-level F1."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from hydra.utils import to_absolute_path

from seq2seq.data.conll import format_conll
from seq2seq.data.tag_collate import collate_tagging
from seq2seq.data.tag_schemes import convert, entities
from seq2seq.data.tag_vocab import TaggingVocab
from seq2seq.data.tagging import ConllDataModule, TagSplit
from seq2seq.models.pretrained import read_vectors
from seq2seq.models.tagger import Tagger
from seq2seq.plots import plt
from seq2seq.tagging_metrics import confusion_counts, confusion_figure, entity_metrics, tag_confusion
from seq2seq.tasks import tagging_config  # noqa: F401  (registers the data/model schemas)
from seq2seq.tasks.base import BaseTask
from seq2seq.tokenizers import SPECIALS

log = logging.getLogger(__name__)

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}
NOT_MODEL_KEYS = ("kind", "embeddings_path", "freeze_embeddings")


class TaggingTask(BaseTask):
    kind = "tagging"

    def __init__(self, model: dict, optim: dict, scheduler: dict, logging: dict, num_words: int, num_chars: int,
                 tags: list[str], scheme: str):
        super().__init__()
        self.save_hyperparameters()
        self.model = Tagger(num_words, num_chars, tags, scheme, **{k: v for k, v in model.items()
                                                                    if k not in NOT_MODEL_KEYS})
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
        tags, scheme_in = self.vocab.tags, self.run_config["data"]["scheme_in"]
        return [convert([tags[t] for t in ids], self.vocab.scheme, scheme_in) for ids in pred_ids]

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

    # -- tagging raw sentences -------------------------------------------------------------------------
    @torch.no_grad()
    def tag_sentences(self, sentences: list[list[str]], batch_size: int = 256) -> tuple[list[list[int]], list[float]]:
        """Tag ids (model scheme) and log-probabilities of tokenised sentences (each with >= 1 token)."""
        encoded = self.vocab.encode(sentences)
        order = sorted(range(len(sentences)), key=lambda i: len(sentences[i]))
        pred: list = [None] * len(sentences)
        logp: list = [0.0] * len(sentences)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = collate_tagging(encoded, rows)
            batch = self.transfer_batch_to_device(batch, self.device, 0)
            tags, scores = self.model.decode(batch)
            for r, i in enumerate(rows):
                pred[i] = tags[r, : len(sentences[i])].tolist()
                logp[i] = float(scores[r])
        return pred, logp

    # -- evaluate / predict CLIs -------------------------------------------------------------------------
    def evaluate_data(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Tag a split of the run's data (or the CoNLL file ``input_path``), write ``predictions.conll``
        (the file's columns plus the predicted tag, in the file's scheme: conlleval's input) and
        ``confusion_matrix.png``, and return the metrics (computed as conlleval computes them on that file)."""
        sentences = ConllDataModule.eval_sentences(self.run_config["data"], split, input_path)
        pred_ids, _ = self.tag_sentences([s.tokens for s in sentences], options.get("batch_size", 256))
        pred = self.tags_in_file_scheme(pred_ids)
        (out_dir / "predictions.conll").write_text(format_conll(sentences, pred), encoding="utf-8")
        gold = [s.tags for s in sentences]
        counts, labels = tag_confusion(gold, pred)
        fig = confusion_figure(counts, labels, split if input_path is None else Path(input_path).name)
        fig.savefig(out_dir / "confusion_matrix.png", dpi=120)
        plt.close(fig)
        metrics = entity_metrics(gold, pred)
        return {**metrics, "examples": len(sentences), "tokens": sum(len(s.tokens) for s in sentences)}

    def predict_lines(self, lines: list[str], options: dict, show_scores: bool = False) -> list[str]:
        """One line per input line (white-space tokenised): ``token/TAG ...`` with tags in the training
        data's scheme (``data.scheme_in``, as ``evaluate`` writes them; ``show_scores``: prefixed by the
        log-probability of the tag sequence and a tab); with ``options["format"] == "json"``, one JSON object
        per line with the tokens, tags and entity spans."""
        sentences = [line.split() for line in lines]
        keep = [i for i, s in enumerate(sentences) if s]
        pred_ids, logp = self.tag_sentences([sentences[i] for i in keep], options.get("batch_size", 256))
        tagged = {i: (tags, lp) for i, tags, lp in zip(keep, self.tags_in_file_scheme(pred_ids), logp)}
        out = []
        for i, tokens in enumerate(sentences):
            tags, lp = tagged.get(i, ([], 0.0))
            if options.get("format") == "json":
                out.append(json.dumps(sentence_record(tokens, tags, lp), ensure_ascii=False))
                continue
            text = " ".join(f"{tok}/{tag}" for tok, tag in zip(tokens, tags))
            out.append(f"{lp:.4f}\t{text}" if show_scores else text)
        return out


def spans_text(tokens: list[str], tags: list[str]) -> str:
    """``[European Commission](ORG) ...``: the entities of a sentence, for sample tables."""
    return " ".join(f"[{' '.join(tokens[s:e])}]({kind})" for s, e, kind in entities(tags)) or "—"


def sentence_record(tokens: list[str], tags: list[str], log_prob: float) -> dict:
    """JSON-ready tagging of one sentence; spans have token offsets ``start`` (inclusive) and ``end``."""
    spans = [{"start": s, "end": e, "type": kind, "text": " ".join(tokens[s:e])} for s, e, kind in entities(tags)]
    return {"tokens": tokens, "tags": tags, "spans": spans, "log_prob": round(log_prob, 4)}
