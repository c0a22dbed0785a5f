"""The bench's outputs: one Markdown table for people, one JSON file with every number."""

from __future__ import annotations

import json
import math
from pathlib import Path


def _fmt(x, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{digits}f}"


def ratios(rows: list[dict]) -> dict:
    """Framework / reference for every figure both systems have."""
    by_system = {r["system"]: r for r in rows}
    fw, ref = by_system.get("seq2seq"), by_system.get("reference")
    if fw is None or ref is None:
        return {}
    out = {"train_tok_s": fw["train"]["tok_s_median_window"] / ref["train"]["tok_s_median_window"]}
    for name, d in fw["decode"].items():
        if name in ref["decode"]:
            out[f"{name}_sent_s"] = d["sent_s"] / ref["decode"][name]["sent_s"]
    return out


def markdown_table(rows: list[dict], beam_size: int) -> str:
    beam = f"beam{beam_size}"
    r = ratios(rows)
    head = ["system", "setting", "train tgt tok/s", "ratio to reference", "peak MiB", "greedy sent/s",
            f"beam-{beam_size} sent/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        ratio = "1.00" if row["system"] == "reference" else _fmt(r.get("train_tok_s"), 2)
        cells = [row["system"], row["setting"], _fmt(row["train"]["tok_s_median_window"]), ratio,
                 _fmt(row["memory"]["peak_mb"]), _fmt(row["decode"].get("greedy", {}).get("sent_s"), 1),
                 _fmt(row["decode"].get(beam, {}).get("sent_s"), 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(result: dict) -> str:
    """The table, the settings it was measured with, and what the ratios and losses say."""
    b, m, d = result["bench"], result["machine"], result["data"]
    lines = [markdown_table(result["rows"], b["beam_size"]), "",
             (f"machine: {m['device_name']}, {m['torch_threads']} torch threads, {m['cpus_usable']} usable CPUs, "
              f"torch {m['torch']}"),
             (f"data: {d['pairs']} pairs ({d['selection']}), prepared in {d['prepare_seconds']:.1f}s cold; "
              f"mean target {d['mean_tgt_tokens']:.1f} tokens"),
             (f"training: median over windows of {b['window']} steps after {b['warmup_steps']} warm-up steps, "
              f"{b['steps']} timed; decoding: {result['decode_sentences']} test sentences, "
              + (f"every output forced to {b['force_len']} tokens" if b["force_len"] else "stopping at EOS"))]
    for row in result["rows"]:  # a wide spread means something else ran on the machine meanwhile
        w = row["train"]["window_tok_s"]
        if w:
            lines.append(f"{row['system']} training windows: {min(w):,.0f} to {max(w):,.0f} tgt tok/s")
    lines.append(f"load average (1 min) at start {_fmt(m['load_average_1m'], 2)}, at end "
                 f"{_fmt(result.get('load_average_end'), 2)}")
    for name, value in result["ratios"].items():
        lines.append(f"seq2seq / reference, {name}: {value:.3f}")
    if result.get("loss_check"):
        lines.append(result["loss_check"])
    return "\n".join(lines)


def write_json(result: dict, path: str | None) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
