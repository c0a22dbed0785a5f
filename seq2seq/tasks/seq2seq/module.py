"""LightningModule for sequence-to-sequence tasks (translation; chatbot reuses it with another reader)."""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from hydra.utils import to_absolute_path

from seq2seq.inference.translation import TranslationPredictor, build_seq2seq_model, search
from seq2seq.models.attention import coverage_loss
from seq2seq.models.pretrained import load_pretrained
from seq2seq.models.search import SearchResult
from seq2seq.plots import attention_figure
from seq2seq.tasks.base import BaseTask
from seq2seq.tasks.seq2seq.metrics import TEXT_METRICS, perplexity, scorer_signatures, text_metrics
from seq2seq.tokenizers import PAD, SPECIALS

SPLIT_OF_STAGE = {"val": "valid", "test": "test"}

log = logging.getLogger(__name__)


def teacher_forcing_ratio(tf: dict, step: int) -> float:
    """Probability of feeding the gold token at ``step``: constant, or decayed (Bengio et al. 2015)."""
    k = tf["k"]
    ratio = {"constant": tf["ratio"],
             "linear": tf["ratio"] - step / k,
             "exponential": tf["ratio"] * (0.5 ** (step / k)),
             "inverse_sigmoid": tf["ratio"] * k / (k + math.exp(min(step / k, 50.0)))}[tf["schedule"]]
    return max(tf["min_ratio"], min(1.0, ratio))


class Seq2SeqTask(BaseTask):
    kind = "seq2seq"
    predictor_class = TranslationPredictor
    val_metrics = ("loss", "ppl", *TEXT_METRICS)

    @staticmethod
    def scorer_signatures() -> dict[str, str]:
        return scorer_signatures()

    def __init__(self, model: dict, optim: dict, scheduler: dict, decoding: dict, loss: dict, logging: dict,
                 src_vocab_size: int, tgt_vocab_size: int, teacher_forcing: dict):
        super().__init__()
        self.save_hyperparameters()
        self.model = build_seq2seq_model(model, src_vocab_size, tgt_vocab_size)
        self._eval: dict = {}

    @classmethod
    def from_config(cls, cfg: dict, datamodule) -> Seq2SeqTask:
        src_tok, tgt_tok = datamodule.tokenizers
        task = cls(cfg["model"], cfg["optim"], cfg["scheduler"], cfg["decoding"], cfg["loss"], cfg["logger"],
                   src_tok.vocab_size, tgt_tok.vocab_size, cfg["teacher_forcing"])
        task.attach({"source": src_tok, "target": tgt_tok}, cfg)
        task.load_pretrained_embeddings(cfg["model"])
        return task

    def load_pretrained_embeddings(self, model_cfg: dict) -> None:
        """``model.pretrained_source`` / ``pretrained_target``: word vectors into the encoder / decoder
        embeddings (the checkpoint keeps them, so this runs only when a run starts or resumes)."""
        sides = {"source": self.model.encoder.embedding, "target": self.model.decoder.embedding}
        for side, embedding in sides.items():
            key = f"pretrained_{side}"
            if not model_cfg.get(key):
                continue
            path = to_absolute_path(model_cfg[key])
            tokenizer = self.tokenizers[side]
            freeze = model_cfg["freeze_pretrained"]
            found = load_pretrained(embedding, path, tokenizer, freeze, f"model.{key}")
            log.info("%s: %d of %d %s vocabulary entries initialised from its vectors%s", path, found,
                     tokenizer.vocab_size - len(SPECIALS), side, " (table frozen)" if freeze else "")

    # -- training --------------------------------------------------------------------------------------
    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor | None:
        ratio = teacher_forcing_ratio(self.hparams.teacher_forcing, self.global_step)
        if ratio < 1.0:
            logits, attn = self.model.forward_sampled(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"], ratio)
            self.log("train/teacher_forcing", ratio)
        else:
            logits, attn = self.model(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
        ce = F.cross_entropy(logits.flatten(0, 1).float(), batch["tgt_out"].flatten(), ignore_index=PAD,
                             label_smoothing=self.hparams.loss["label_smoothing"])
        loss = ce + self._coverage_term(attn, batch["tgt_out"])
        if self.guard_loss(loss) is None:
            return None
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/ppl", torch.exp(ce.detach().clamp(max=50)))
        return loss

    def _coverage_term(self, attn: torch.Tensor | None, tgt_out: torch.Tensor) -> torch.Tensor | float:
        """``loss.coverage_weight`` × the coverage loss (0 when the weight is 0), logged as train/coverage_loss."""
        weight = self.hparams.loss["coverage_weight"]
        if not weight:
            return 0.0
        value = coverage_loss(attn.float(), tgt_out != PAD)
        self.log("train/coverage_loss", value)
        return weight * value

    # -- decoding (the predictor's search: one implementation for validation, evaluate and predict) -------
    def search(self, src: torch.Tensor, src_lengths: torch.Tensor, beam_size: int | None = None,
               decoding: dict | None = None) -> SearchResult:
        return search(self.model, src, src_lengths, decoding or self.hparams.decoding, beam_size)

    # -- validation and test ---------------------------------------------------------------------------
    def start_eval(self, stage: str) -> None:
        self._eval = {"hyps": [], "nll": torch.zeros((), device=self.device),
                      "tokens": torch.zeros((), device=self.device), "example": None}

    def eval_step(self, stage: str, batch: dict) -> None:
        # Validation decodes with val_beam_size (greedy by default: fast); test with the decoding beam.
        beam_size = self.hparams.decoding["val_beam_size" if stage == "val" else "beam_size"]
        logits, _ = self.model(batch["src"], batch["src_lengths_cpu"], batch["tgt_in"])
        self._eval["nll"] += F.cross_entropy(logits.flatten(0, 1).float(), batch["tgt_out"].flatten(),
                                             ignore_index=PAD, reduction="sum")
        self._eval["tokens"] += (batch["tgt_out"] != PAD).sum()
        result = self.search(batch["src"], batch["src_lengths_cpu"], beam_size=beam_size)
        tokens = result.tokens[:, 0].tolist()
        tgt_tok = self.tokenizers["target"]
        self._eval["hyps"].extend(zip(batch["index"].tolist(), (tgt_tok.decode(t) for t in tokens)))
        if self._eval["example"] is None and result.attention is not None:
            self._eval["example"] = (batch["index"][0].item(), batch["src"][0].tolist(), tokens[0],
                                     result.attention[0].float().cpu().numpy())

    def finish_eval(self, stage: str) -> None:
        # Corpus metrics need every sentence: gather (index, hypothesis) from all ranks, drop the
        # repeats that padding the last batches to equal counts introduced, restore corpus order.
        by_index = {i: h for part in self.gather_objects(self._eval["hyps"]) for i, h in part}
        split = self.trainer.datamodule.split(SPLIT_OF_STAGE[stage])
        order = sorted(by_index)
        hyps = [by_index[i] for i in order]
        refs = [split.tgt_text[i] for i in order]
        nll = self.reduce_sum(self._eval["nll"]) / self.reduce_sum(self._eval["tokens"]).clamp(min=1)
        metrics = {f"{stage}/loss": nll, f"{stage}/ppl": perplexity(float(nll))}
        metrics.update({f"{stage}/{k}": v for k, v in text_metrics(hyps, refs).items()})
        self.log_dict(metrics, prog_bar=stage == "val", sync_dist=False)
        self._log_samples(stage, split, order, hyps)

    def _log_samples(self, stage: str, split, order: list[int], hyps: list[str]) -> None:
        writer = self.tensorboard
        n = self.hparams.logging["samples"]
        if writer is None or n <= 0:
            return
        rows = ["| source | reference | output |", "|---|---|---|"]
        for i, hyp in list(zip(order, hyps))[:n]:
            cells = [split.src_text[i], split.tgt_text[i], hyp]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        writer.add_text(f"{stage}/samples", "\n".join(rows), self.global_step)
        example = self._eval["example"]
        if example is not None and self.hparams.logging["attention_heatmap"]:
            _, src_ids, out_ids, weights = example
            src_tok, tgt_tok = self.tokenizers["source"], self.tokenizers["target"]
            src_pieces = src_tok.pieces([i for i in src_ids if i != PAD])
            out_pieces = tgt_tok.pieces([i for i in out_ids if i != PAD])
            fig = attention_figure(weights, src_pieces, out_pieces, f"{stage} step {self.global_step}")
            writer.add_figure(f"{stage}/attention", fig, self.global_step)
