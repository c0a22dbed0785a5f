"""Is a language model's validation/test gap overfitting, or is one part of the text simply harder?

Fits interpolated character n-gram models (Witten-Bell weights, add-one unigram base) on the training part
of a ``task=lm`` split, exactly as the data config cuts it (``seq2seq.data.text.preparation``), and reports
their bits per character on the end of the training part, the validation part and the test part. An n-gram
model has no capacity to overfit the way a recurrent network does across epochs, so a test part that is
harder for it too is harder text, not a worse model.

    python benchmarks/lm_split_probe.py ../shared/data/text/alice/11-0.txt            # the lm_alice split
    python benchmarks/lm_split_probe.py ../shared/data/text/alice/11-0.txt --orders 3 5 --valid 0.05 --test 0.05

Pure Python: about 30 s per order on Alice (150 KB).
"""

from __future__ import annotations

import argparse
import collections
import json
import math

from seq2seq.data.text.preparation import normalize_lm_text, read_text_file, split_text


class InterpolatedNgram:
    """P(c | h) = λ_h · count(h, c) / count(h) + (1 − λ_h) · P(c | shorter h), λ_h = n_h / (n_h + types_h)."""

    def __init__(self, text: str, order: int, vocabulary: set[str]):
        self.order, self.vocab_size = order, len(vocabulary)
        self.counts = [collections.Counter() for _ in range(order)]
        self.context = [collections.Counter() for _ in range(order)]
        self.types = [collections.defaultdict(set) for _ in range(order)]
        for i, char in enumerate(text):
            for k in range(min(order, i + 1)):
                history = text[i - k : i]
                self.counts[k][history, char] += 1
                self.context[k][history] += 1
                self.types[k][history].add(char)

    def prob(self, history: str, char: str) -> float:
        p = (self.counts[0]["", char] + 1) / (self.context[0][""] + self.vocab_size)
        for k in range(1, len(history) + 1):
            h = history[-k:]
            seen = self.context[k][h]
            if seen == 0:
                break
            weight = seen / (seen + len(self.types[k][h]))
            p = weight * self.counts[k][h, char] / seen + (1 - weight) * p
        return p

    def bits_per_char(self, text: str, preceding: str) -> float:
        """Bits per character of ``text``, the first characters conditioned on the end of ``preceding``."""
        full = preceding[-(self.order - 1) :] + text if self.order > 1 else text
        offset = len(full) - len(text)
        total = sum(-math.log2(self.prob(full[max(0, i - self.order + 1) : i], full[i]))
                    for i in range(offset, len(full)))
        return total / len(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--valid", type=float, default=0.05, help="data.valid_size (default: the lm presets')")
    parser.add_argument("--test", type=float, default=0.05, help="data.test_size")
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 3, 5])
    args = parser.parse_args()
    text = normalize_lm_text(read_text_file(args.path))
    parts = split_text(text, args.valid, args.test)
    train, valid, test = parts["train"], parts["valid"], parts["test"]
    vocabulary = set(text)
    rows = []
    for order in args.orders:
        model = InterpolatedNgram(train, order, vocabulary)
        # "train end": the last len(valid) training characters, scored by a model that has seen them.
        row = {"order": order, "train_end": model.bits_per_char(train[-len(valid) :], train[: -len(valid)]),
               "valid": model.bits_per_char(valid, train), "test": model.bits_per_char(test, valid)}
        rows.append(row)
        print(f"order {order}: train end {row['train_end']:.3f}  valid {row['valid']:.3f}  test {row['test']:.3f} "
              f"bits/char  (test - valid {row['test'] - row['valid']:+.3f})", flush=True)
    print(json.dumps({"path": args.path, "characters": {k: len(v) for k, v in parts.items()}, "rows": rows}))


if __name__ == "__main__":
    main()
