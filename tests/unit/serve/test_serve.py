"""The HTTP server: endpoints, every refusal, micro-batching, graceful shutdown, the CLI (issue 15).

The API and batching mechanics run against a small predictor with the ``seq2seq.load`` surface whose
speed the tests control; the integration tests serve a real tiny translation checkpoint."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")
from fastapi.testclient import TestClient

from seq2seq.errors import ConfigError
from seq2seq.serve.app import create_app
from seq2seq.serve.background import ServerThread
from seq2seq.serve.config import ServeConfig, serve_config


class ReversingPredictor:
    """The predictor surface (task, info, predict, decoding_keys): reverses texts; each call takes
    ``delay`` seconds, the way a model call costs the same for one input or a batch."""

    task = "translation"
    decoding_keys = ("beam_size", "n_best", "seed")

    def __init__(self, delay: float = 0.0):
        self.delay, self.calls = delay, []
        self.entered, self.release = threading.Event(), threading.Event()
        self.release.set()

    def info(self) -> dict:
        return {"task": self.task, "vocab": {"source": 10, "target": 10}}

    def predict(self, inputs: list, **decoding) -> list[dict]:
        if decoding.get("beam_size", 1) < 1:
            raise ConfigError(f"beam_size={decoding['beam_size']} must be >= 1")
        if any(not isinstance(x, str) for x in inputs):
            raise ConfigError("inputs must be strings")
        self.calls.append((list(inputs), dict(decoding)))
        self.entered.set()
        self.release.wait(30)
        time.sleep(self.delay)
        return [
            {"text": x[::-1], "score": -float(len(x)), "beam_size": decoding.get("beam_size", 1)}
            for x in inputs
        ]


def settings(**kw) -> ServeConfig:
    return ServeConfig(**{"ckpt_path": "fake.ckpt", "max_inputs": 8, "max_input_chars": 20, **kw})


def post(url: str, body, timeout: float = 30) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/v1/predict", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def client():
    with TestClient(create_app(ReversingPredictor(), settings())) as c:
        yield c


def test_endpoints_answer_in_input_order(client):
    assert client.get("/health").json() == {"status": "ok", "task": "translation"}
    info = client.get("/v1/info").json()
    assert info["task"] == "translation" and info["vocab"] == {"source": 10, "target": 10}
    assert info["decoding_keys"] == ["beam_size", "n_best", "seed"] and info["limits"]["max_inputs"] == 8
    resp = client.post("/v1/predict", json={"inputs": ["abc", "hello", "x"], "decoding": {"beam_size": 2}})
    assert resp.status_code == 200
    assert [o["text"] for o in resp.json()["outputs"]] == ["cba", "olleh", "x"]
    assert client.get("/").status_code == 200 and "/static/app.js" in client.get("/").text
    assert client.get("/static/app.js").status_code == 200


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b'{"inputs": ["a"', 400, "not valid JSON"),
        (b"inputs=a", 400, "not valid JSON"),
        ({"decoding": {}}, 422, "inputs"),
        ({"inputs": []}, 422, "inputs"),
        ({"inputs": "abc"}, 422, "inputs"),
        ({"inputs": ["a"], "decodng": {}}, 422, "decodng"),
        ({"inputs": ["a"], "decoding": []}, 422, "decoding"),
        ({"inputs": ["a"] * 9}, 413, "max_inputs=8"),
        ({"inputs": ["a", "b" * 21]}, 413, "inputs[1] has 21 characters"),
        ({"inputs": ["a"], "decoding": {"beam_sise": 2}}, 422, "unknown decoding key 'beam_sise'"),
        ({"inputs": ["a"], "decoding": {"beam_size": 0}}, 422, "beam_size=0 must be >= 1"),
        ({"inputs": [3]}, 422, "inputs must be strings"),
    ],
)
def test_bad_requests_get_one_line_4xx_and_the_server_stays_up(client, body, status, words):
    kw = (
        {"content": body, "headers": {"Content-Type": "application/json"}}
        if isinstance(body, bytes)
        else {"json": body}
    )
    resp = client.post("/v1/predict", **kw)
    assert resp.status_code == status, resp.text
    message = resp.json()["error"]
    assert words in message and "\n" not in message
    assert client.post("/v1/predict", json={"inputs": ["ok"]}).json()["outputs"][0]["text"] == "ko"


def test_oversized_bodies_are_refused_before_they_are_read_and_model_errors_are_json(client):
    huge = json.dumps({"inputs": ["a" * 20] * 5000}).encode()
    resp = client.post("/v1/predict", content=huge, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and "bytes; at most" in resp.json()["error"]
    # The same body streamed in chunks with no Content-Length (Transfer-Encoding: chunked): counted as read.
    chunks = iter([huge[i : i + 65536] for i in range(0, len(huge), 65536)])
    resp = client.post("/v1/predict", content=chunks, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and "more than" in resp.json()["error"], resp.text
    assert client.post("/v1/predict", json={"inputs": ["ok"]}).json()["outputs"][0]["text"] == "ko"
    app = create_app(ReversingPredictor(), settings())
    app.state.batcher.predictor = None  # a broken model: every call raises
    with TestClient(app, raise_server_exceptions=False) as broken:
        resp = broken.post("/v1/predict", json={"inputs": ["a"]})
        assert resp.status_code == 500 and "internal error (AttributeError" in resp.json()["error"]
        assert broken.get("/health").status_code == 200


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    predictor = ReversingPredictor(delay=0.05)
    texts = [f"req{i}-" + "x" * (i % 7) for i in range(24)]
    app = create_app(predictor, settings(max_batch=16, max_wait_ms=20))
    with ServerThread(app) as url, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: post(url, {"inputs": [t, t + "!"]}), texts))
    assert all(status == 200 for status, _ in answers)
    for text, (_, body) in zip(texts, answers):
        assert [o["text"] for o in body["outputs"]] == [text[::-1], "!" + text[::-1]]
    sizes = [len(inputs) for inputs, _ in predictor.calls]
    assert sum(sizes) == 48 and max(sizes) > 2 and max(sizes) <= 16  # batched, never past max_batch


def test_different_decoding_options_and_seeded_requests_are_never_mixed():
    predictor = ReversingPredictor(delay=0.05)
    bodies = [{"inputs": [f"t{i}"], "decoding": {"beam_size": 1 + i % 2}} for i in range(8)]
    bodies += [{"inputs": [f"s{i}"], "decoding": {"seed": 7}} for i in range(3)]
    app = create_app(predictor, settings(max_batch=32, max_wait_ms=50))
    with ServerThread(app) as url, ThreadPoolExecutor(11) as pool:
        answers = list(pool.map(lambda b: post(url, b), bodies))
    for body, (status, out) in zip(bodies, answers):
        assert status == 200 and out["outputs"][0]["text"] == body["inputs"][0][::-1]
    for inputs, decoding in predictor.calls:
        assert all(b["decoding"] == decoding for b in bodies if b["inputs"][0] in inputs)
        assert len(inputs) == 1 or "seed" not in decoding


def test_a_lone_request_does_not_wait_for_company():
    with TestClient(create_app(ReversingPredictor(), settings(max_wait_ms=3000))) as c:
        start = time.monotonic()
        assert c.post("/v1/predict", json={"inputs": ["solo"]}).json()["outputs"][0]["text"] == "olos"
        assert time.monotonic() - start < 1.5  # nobody else queued or arriving: no 3 s wait


def test_a_request_larger_than_max_batch_is_split_and_answered_whole():
    predictor = ReversingPredictor()
    with TestClient(create_app(predictor, settings(max_batch=3))) as c:
        out = c.post("/v1/predict", json={"inputs": [str(i) * 2 for i in range(8)]}).json()["outputs"]
    assert [o["text"] for o in out] == [str(i) * 2 for i in range(8)]
    assert [len(inputs) for inputs, _ in predictor.calls] == [3, 3, 2]


def test_shutdown_answers_the_request_in_flight():
    predictor = ReversingPredictor()
    predictor.release.clear()
    server = ServerThread(create_app(predictor, settings()))
    with ThreadPoolExecutor(1) as pool:
        url = server.__enter__()
        pending = pool.submit(post, url, {"inputs": ["inflight"]})
        assert predictor.entered.wait(10)
        stopper = threading.Thread(target=server.stop)
        stopper.start()  # the SIGTERM path: stop accepting, wait for the in-flight request
        time.sleep(0.3)
        assert not pending.done()
        predictor.release.set()
        assert pending.result(10) == (200, {"outputs": [{"text": "thgilfni", "score": -8.0, "beam_size": 1}]})
        stopper.join(10)
    assert not server.thread.is_alive()


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"port": 70000}, "'port'=70000 is out of range"),
        ({"max_batch": 0}, "'max_batch'=0 is out of range"),
        ({"max_wait_ms": "soon"}, "'max_wait_ms' must be float"),
        ({"workers": True}, "'workers' must be int"),
        ({"max_bach": 4}, "did you mean 'max_batch'"),
        ({"ckpt_path": "???"}, "'ckpt_path' must be set"),
    ],
)
def test_serve_config_refuses_bad_values(overrides, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        serve_config({"ckpt_path": "a.ckpt", **overrides})
    assert serve_config({"ckpt_path": "a.ckpt", "max_wait_ms": 2}).max_wait_ms == 2.0


# -- a real checkpoint: the server's answers are the model's, alone or batched -------------------------------
@pytest.fixture(scope="module")
def translation_ckpt(tmp_path_factory):
    from conftest import compose_cfg, make_reversal_pairs

    from seq2seq.train import train

    tmp = tmp_path_factory.mktemp("serve")
    corpus = tmp / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")
    train(
        compose_cfg(
            "train",
            [
                f"data.path={corpus}",
                "data.valid_size=20",
                "data.test_size=20",
                "debug=fast",
                "data.batch_size=16",
                f"paths.output_dir={tmp / 'run'}",
                "paths.cache_dir=null",
                "trainer.accelerator=cpu",
                "trainer.devices=1",
                "test_after_fit=false",
            ],
        )
    )
    return tmp / "run" / "checkpoints" / "last.ckpt"


def mixed_requests(clients: int, per_client: int, seed: int = 0) -> list[list[dict]]:
    """Per client, its request bodies: 1-4 inputs of 1-12 characters, beam 2 or greedy."""
    import random

    rng = random.Random(seed)
    word = lambda: "".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 12)))
    return [
        [
            {
                "inputs": [word() for _ in range(rng.randint(1, 4))],
                "decoding": {"beam_size": rng.choice([1, 2])},
            }
            for _ in range(per_client)
        ]
        for _ in range(clients)
    ]


def test_concurrent_clients_get_exactly_what_each_input_decoded_alone_gives(translation_ckpt):
    from seq2seq.serve.run import build_app, load_predictor

    cfg = ServeConfig(ckpt_path=str(translation_ckpt), max_batch=16, max_wait_ms=5)
    app, alone = build_app(cfg), load_predictor(cfg)
    plan = mixed_requests(8, 20)
    with ServerThread(app) as url, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda bodies: [post(url, b) for b in bodies], plan))
    for bodies, replies in zip(plan, answers):
        for body, (status, reply) in zip(bodies, replies):
            assert status == 200 and len(reply["outputs"]) == len(body["inputs"])
            for text, out in zip(body["inputs"], reply["outputs"]):
                single = alone.predict([text], **body["decoding"])[0]
                assert out["text"] == single["text"] and out["score"] == pytest.approx(
                    single["score"], abs=1e-5
                )
    assert max(app.state.batcher.batch_sizes) > 4  # the clients' requests really were batched together


# -- the command line ----------------------------------------------------------------------------------------
def serve_cli(*args: str, wait_for: str = "Application startup complete"):
    """``python -m seq2seq.serve ...`` in a subprocess; returns it and its URL once it listens."""
    import os
    import queue
    import re
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "seq2seq.serve", *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HYDRA_FULL_ERROR": "0"},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in proc.stderr], daemon=True
    ).start()  # drains the pipe
    seen, url, ready = [], None, False
    while not (url and ready):
        try:
            line = lines.get(timeout=120)
        except queue.Empty:
            proc.kill()
            raise AssertionError("seq2seq.serve did not start:\n" + "".join(seen)) from None
        seen.append(line)
        found = re.search(r"running on (http://\S+)", line, re.IGNORECASE)
        url, ready = (found.group(1) if found else url), ready or wait_for in line
        if proc.poll() is not None:
            raise AssertionError(f"seq2seq.serve exited ({proc.returncode}):\n{''.join(seen)}")
    return proc, url


def test_cli_serves_then_sigterm_answers_the_request_in_flight(translation_ckpt):
    import signal

    proc, url = serve_cli(f"ckpt_path={translation_ckpt}", "port=0", "max_inputs=512", "max_wait_ms=0")
    try:
        assert json.loads(urllib.request.urlopen(f"{url}/health", timeout=10).read())["status"] == "ok"
        body = {"inputs": ["abcdefgh" * 16] * 512, "decoding": {"beam_size": 8}}  # long enough to be in flight
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(post, url, body, 120)
            time.sleep(0.5)
            assert not pending.done(), "the request finished before SIGTERM; make it longer"
            proc.send_signal(signal.SIGTERM)
            status, reply = pending.result(120)
        assert status == 200 and len(reply["outputs"]) == 512
        assert proc.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
    finally:
        proc.kill()


def test_cli_with_two_workers_answers(translation_ckpt):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc, _ = serve_cli(
        f"ckpt_path={translation_ckpt}", f"port={port}", "workers=2", wait_for="Started parent process"
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, reply = post(f"http://127.0.0.1:{port}", {"inputs": ["abc", "de"]})
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "no worker answered"
                time.sleep(0.2)
        assert status == 200 and len(reply["outputs"]) == 2
    finally:
        proc.terminate()
        proc.wait(60)


def test_cli_help_lists_only_the_serve_keys_and_errors_are_one_line(tmp_path):
    import subprocess
    import sys

    run = lambda *a: subprocess.run(
        [sys.executable, "-m", "seq2seq.serve", *a], capture_output=True, check=False, text=True, timeout=120
    )
    help_text = run("--help").stdout
    keys = [
        line.split(":")[0]
        for line in help_text.splitlines()
        if line and not line[0].isspace() and ":" in line
    ]
    assert keys[-9:] == [
        "ckpt_path",
        "host",
        "port",
        "device",
        "max_batch",
        "max_wait_ms",
        "max_inputs",
        "max_input_chars",
        "workers",
    ], help_text
    for args, words in (
        (["ckpt_path=x.ckpt", "port=99999"], "'port'=99999 is out of range"),
        ([f"ckpt_path={tmp_path / 'none.ckpt'}"], "no such checkpoint file"),
    ):
        done = run(*args)
        assert done.returncode == 2 and done.stderr.startswith("error: ") and words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
