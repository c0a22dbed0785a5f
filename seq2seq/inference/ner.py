"""Named-entity recognition inference: sentences → tokens, tags (in the input scheme) and entity spans."""

from __future__ import annotations

from pathlib import Path

import torch

from seq2seq.data.conll.collate import collate_tagging
from seq2seq.inference.base import Predictor, to_device
from seq2seq.inference.ner_io import NERIO, Tagging, sentence_record, tokens_with_offsets  # noqa: F401 (public names)
from seq2seq.models.tagger import Tagger

NOT_MODEL_KEYS = ("kind", "embeddings_path", "freeze_embeddings")


def build_tagger(model: dict, num_words: int, num_chars: int, tags: list[str], scheme: str) -> Tagger:
    return Tagger(num_words, num_chars, tags, scheme, **{k: v for k, v in model.items() if k not in NOT_MODEL_KEYS})


class NERPredictor(NERIO, Predictor):
    kind = "ner"
    decoding_keys = ("batch_size",)

    @staticmethod
    def build_model(hparams: dict) -> Tagger:
        return build_tagger(hparams["model"], hparams["num_words"], hparams["num_chars"], hparams["tags"],
                            hparams["scheme"])

    def describe(self) -> dict:
        types = sorted({t.split("-", 1)[1] for t in self.vocab.tags if "-" in t})
        return {"entity_types": types, "scheme": self.scheme_in, "model_scheme": self.vocab.scheme,
                "words": len(self.vocab.words), "chars": len(self.vocab.chars)}

    # -- tagging ---------------------------------------------------------------------------------------
    @torch.no_grad()
    def decode_rows(self, encoded, rows: list[int]):
        """Best tags (B, T) and their log-probabilities (B,) of the sentences ``rows`` of ``encoded``."""
        return self.model.decode(to_device(collate_tagging(encoded, rows), self.device))

    def evaluate(self, split: str, input_path: str | None, options: dict, out_dir: Path) -> dict:
        """Tag a split of the run's data (or the CoNLL file ``input_path``), write ``predictions.conll``
        (the file's columns plus the predicted tag, in the file's scheme: conlleval's input) and
        ``confusion_matrix.png``, and return the metrics (computed as conlleval computes them on that file)."""
        from seq2seq.data.conll.datamodule import ConllDataModule  # the training data's reader
        from seq2seq.data.conll.reader import format_conll
        from seq2seq.plots import plt
        from seq2seq.tasks.ner.metrics import confusion_figure, entity_metrics, tag_confusion

        out_dir = Path(out_dir)
        sentences = ConllDataModule.eval_sentences(self.config["data"], split, input_path)
        pred_ids, _ = self.tag_ids([s.tokens for s in sentences], options["batch_size"])
        pred = self.tags_in_file_scheme(pred_ids)
        (out_dir / "predictions.conll").write_text(format_conll(sentences, pred), encoding="utf-8")
        gold = [s.tags for s in sentences]
        counts, labels = tag_confusion(gold, pred)
        fig = confusion_figure(counts, labels, split if input_path is None else Path(input_path).name)
        fig.savefig(out_dir / "confusion_matrix.png", dpi=120)
        plt.close(fig)
        metrics = entity_metrics(gold, pred)
        return {**metrics, "examples": len(sentences), "tokens": sum(len(s.tokens) for s in sentences)}

