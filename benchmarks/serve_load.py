"""Throughput and latency of ``python -m seq2seq.serve`` for translation on the CPU, with and without
dynamic micro-batching, at 1 and 32 concurrent clients; every answer checked against the same sentence
decoded alone.

    python benchmarks/serve_load.py [--ckpt run/checkpoints/best.ckpt] [--requests 50]

Without ``--ckpt`` it first trains the quick start's translation model (the embedded English→French corpus,
default architecture) for ``--train-steps`` steps. The server runs as its own process (the CLI), each client
is a thread sending one sentence per request and waiting for the answer before sending the next (closed
loop). Prints a Markdown table: requests/s, p50 and p99 latency, and the batch sizes the model saw.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from seq2seq.bench.measure import proc_status_mb

ROOT = Path(__file__).resolve().parent.parent


def train_checkpoint(steps: int, out: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "seq2seq.train",
            "task=translation",
            f"trainer.max_steps={steps}",
            "trainer.enable_progress_bar=false",
            "test_after_fit=false",
            f"paths.output_dir={out}",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    return out / "checkpoints" / "last.ckpt"


def sentences(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct source sentences of the embedded corpus, of mixed lengths."""
    lines = (ROOT / "data" / "eng-fra.tsv").read_text(encoding="utf-8").splitlines()
    pool = sorted({line.split("\t")[0] for line in lines if "\t" in line})
    return random.Random(seed).sample(pool, n)


class Server:
    """``python -m seq2seq.serve`` on a free port, stopped with SIGTERM."""

    def __init__(self, ckpt: Path, **settings):
        args = [f"ckpt_path={ckpt}", "port=0", *(f"{k}={v}" for k, v in settings.items())]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seq2seq.serve", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stderr], daemon=True).start()
        self.url = None
        while self.url is None:
            line = lines.get(timeout=300)
            found = re.search(r"running on (http://\S+)", line, re.IGNORECASE)
            self.url = found.group(1) if found else None

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def post(url: str, inputs: list[str]) -> tuple[float, list]:
    body = json.dumps({"inputs": inputs}).encode()
    req = urllib.request.Request(f"{url}/v1/predict", data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as resp:
        outputs = json.loads(resp.read())["outputs"]
    return time.perf_counter() - start, outputs


def load_run(url: str, texts: list[str], clients: int, per_client: int) -> dict:
    """``clients`` threads, each sending ``per_client`` one-sentence requests back to back."""

    def client(k: int) -> list[tuple[str, float, dict]]:
        out = []
        for j in range(per_client):
            text = texts[(k * per_client + j) % len(texts)]
            latency, outputs = post(url, [text])
            out.append((text, latency, outputs[0]))
        return out

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for part in pool.map(client, range(clients)) for r in part]
    wall = time.perf_counter() - start
    latencies = sorted(r[1] for r in results)
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    return {
        "requests": len(results),
        "rps": len(results) / wall,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "answers": [(t, o) for t, _, o in results],
    }


def check_equal(answers: list[tuple[str, dict]], alone: dict[str, dict]) -> int:
    """Every answer against the sentence decoded alone: same text, score within 1e-4. Returns the count."""
    for text, out in answers:
        ref = alone[text]
        if out["text"] != ref["text"] or abs(out["score"] - ref["score"]) > 1e-4:
            raise SystemExit(f"mismatch for {text!r}: served {out} but alone {ref}")
    return len(answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", type=Path, help="a translation checkpoint (default: train one)")
    parser.add_argument("--train-steps", type=int, default=400)
    parser.add_argument("--requests", type=int, default=50, help="requests per client at 32 clients")
    parser.add_argument("--single-requests", type=int, default=60, help="requests of the 1-client runs")
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=float, default=5)
    args = parser.parse_args()
    ckpt = args.ckpt or train_checkpoint(
        args.train_steps, Path(tempfile.mkdtemp(prefix="serve_load_")) / "run"
    )
    texts = sentences(200)
    from seq2seq import load

    predictor = load(ckpt)
    alone = {t: predictor.predict([t])[0] for t in texts}  # the unbatched reference answers
    rows = []
    for name, batch in (("micro-batching", args.max_batch), ("no batching (max_batch=1)", 1)):
        server = Server(ckpt, max_batch=batch, max_wait_ms=args.max_wait_ms)
        try:
            load_run(server.url, texts, 4, 3)  # warm-up
            for clients, per in ((1, args.single_requests), (32, args.requests)):
                run = load_run(server.url, texts, clients, per)
                run["rss"] = proc_status_mb(("VmRSS",), server.proc.pid).get("VmRSS", float("nan"))
                checked = check_equal(run["answers"], alone)
                rows.append((name, clients, run, checked))
                print(f"{name}, {clients} clients: {run['rps']:.1f} req/s", file=sys.stderr, flush=True)
        finally:
            server.stop()
    print(
        f"\ncheckpoint {ckpt} ({predictor.info()['parameters']:,} parameters), beam "
        f"{predictor.info()['decoding']['beam_size']}, max_wait_ms={args.max_wait_ms}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, load average "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| server | clients | requests | requests/s | p50 latency | p99 latency | server RSS after | "
        "equal to decoded alone |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, clients, run, checked in rows:
        print(
            f"| {name} | {clients} | {run['requests']} | {run['rps']:.1f} | {1000 * run['p50']:.0f} ms | "
            f"{1000 * run['p99']:.0f} ms | {run['rss']:.0f} MiB | {checked}/{run['requests']} |"
        )
    one, many = rows[0][2]["rps"], rows[1][2]["rps"]
    print(f"\nmicro-batching: 32 clients give {many / one:.1f}x the requests/s of 1 client (goal: >= 3x)")


if __name__ == "__main__":
    main()
