"""Language-model inference: continue prompts by sampling, score texts in bits per character."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from seq2seq.data.text.preparation import encode_text, load_text, read_text_splits
from seq2seq.data.text.prompts import sample_prompts
from seq2seq.data.text.streams import StreamWindows
from seq2seq.errors import ConfigError
from seq2seq.inference.base import Predictor
from seq2seq.inference.lm_io import LMIO, Generation, TextScore  # noqa: F401 (public names)
from seq2seq.models.lm import RNNLanguageModel, generate
from seq2seq.models.tbptt import CarriedState
from seq2seq.tasks.seq2seq.metrics import perplexity
from seq2seq.tokenizers import BOS, PAD


def build_lm(model: dict, vocab_size: int) -> RNNLanguageModel:
    return RNNLanguageModel(vocab_size, **{k: v for k, v in model.items() if k != "kind"})


def window_nll(model: RNNLanguageModel, carried: CarriedState, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed NLL (nats) of the window's real targets and their number; ``carried`` continues the rows."""
    logits = carried(model, batch["input"])
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # fp32 loss under half precision
    target = batch["target"]
    nll = F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=PAD, reduction="sum")
    return nll, (target != PAD).sum()


class LMPredictor(LMIO, Predictor):
    kind = "lm"
    decoding_keys = ("length", "temperature", "top_k", "top_p", "seed")

    @staticmethod
    def build_model(hparams: dict) -> RNNLanguageModel:
        return build_lm(hparams["model"], hparams["vocab_size"])

    def describe(self) -> dict:
        return {"vocab_size": self.tokenizers["text"].vocab_size, "tokenizer": self.tokenizers["text"].kind}

    # -- generation and scoring --------------------------------------------------------------------------
    def generator(self, seed: int | None) -> torch.Generator | None:
        return None if seed is None else torch.Generator(device=self.device).manual_seed(seed)

    @torch.no_grad()
    def continue_text(self, prompt: str, decoding: dict, generator: torch.Generator | None = None) -> tuple[str, float]:
        """``prompt`` (already normalised) followed by ``decoding["length"]`` sampled tokens, and the
        log-probability of the sampled tokens. Every prompt starts from ``<bos>`` and a zero state, as every
        training stream does. The prompt is returned as given, not as decoded from its ids (characters the
        vocabulary lacks would read ``<unk>``)."""
        tok = self.tokenizers["text"]
        ids = tok.encode(prompt) if prompt else []
        prompt_ids = torch.tensor([[BOS, *ids]], dtype=torch.long, device=self.device)
        new, score = generate(self.model, prompt_ids, decoding["length"], decoding["temperature"],
                              decoding["top_k"], decoding["top_p"], generator)
        # Decoded together, so a subword tokenizer puts the space between prompt and continuation.
        whole, head = tok.decode(ids + new[0].tolist()), tok.decode(ids)
        continuation = whole[len(head):] if whole.startswith(head) else tok.decode(new[0].tolist())
        return prompt + continuation, float(score[0])

    def text_nll(self, ids: list[int], bptt: int, name: str) -> tuple[float, int]:
        """Summed NLL and number of targets of one text, the state carried over windows of ``bptt``."""
        return self.stream_nll(StreamWindows(ids, 1, bptt, name=name))

    @torch.no_grad()
    def stream_nll(self, windows: StreamWindows) -> tuple[float, int]:
        """Summed NLL and number of targets over all windows, the state carried from window to window."""
        carried, nll, count = CarriedState(), 0.0, 0
        for j in range(len(windows)):
            batch = {k: v.to(self.device) for k, v in windows[j].items()}
            part_nll, part_count = window_nll(self.model, carried, batch)
            nll, count = nll + float(part_nll), count + int(part_count)
        return nll, count

    def evaluate(self, split: str, input_path: str | None, decoding: dict, out_dir: Path) -> dict:
        """Loss, bits per character and perplexity of a split of the training text (or of the text file
        ``input_path``, normalised the same way); writes ``sample.txt``, text generated from a prompt taken
        from that text. ``examples`` counts characters."""
        data = self.config["data"]
        if input_path:
            name, text = Path(input_path).name, load_text(data, input_path)
        else:
            texts = read_text_splits(data)
            if split == "test" and "test" not in texts:
                raise ConfigError("this run has no test split (data.test_size=0); use split=valid or input=<file>")
            if split not in texts:
                raise ConfigError(f"split={split!r} is not one of {sorted(texts)}")
            name, text = split, texts[split]
        part = encode_text(self.tokenizers["text"], text, name)
        rows = max(1, min(data["eval_batch_size"], len(part.ids)))
        nll, count = self.stream_nll(StreamWindows(part.ids, rows, data["bptt"], name=name))
        loss = nll / max(count, 1)
        prompt = sample_prompts(text, 1)[0]
        sample, _ = self.continue_text(prompt, decoding, self.generator(decoding["seed"]))
        (Path(out_dir) / "sample.txt").write_text(sample + "\n", encoding="utf-8")
        return {"loss": loss, "bpc": part.bits_per_char(loss), "ppl": perplexity(loss), "tokens": count,
                "characters": len(text), "examples": len(text)}
