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
from fastapi.testclient import TestClient  # noqa: E402

from seq2seq.errors import ConfigError  # noqa: E402
from seq2seq.serve.app import create_app  # noqa: E402
from seq2seq.serve.background import ServerThread  # noqa: E402
from seq2seq.serve.config import ServeConfig, serve_config  # noqa: E402


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
        return [{"text": x[::-1], "score": -float(len(x)), "beam_size": decoding.get("beam_size", 1)}
                for x in inputs]


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
    assert client.get("/").status_code == 200 and "<canvas" in client.get("/").text
    assert client.get("/static/app.js").status_code == 200


@pytest.mark.parametrize("body, status, words", [
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
])
def test_bad_requests_get_one_line_4xx_and_the_server_stays_up(client, body, status, words):
    kw = {"content": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, bytes) else {"json": body}
    resp = client.post("/v1/predict", **kw)
    assert resp.status_code == status, resp.text
    message = resp.json()["error"]
    assert words in message and "\n" not in message
    assert client.post("/v1/predict", json={"inputs": ["ok"]}).json()["outputs"][0]["text"] == "ko"


def test_concurrent_requests_share_batches_and_get_their_own_answers():
    predictor = ReversingPredictor(delay=0.05)
    texts = [f"req{i}-" + "x" * (i % 7) for i in range(24)]
    with ServerThread(create_app(predictor, settings(max_batch=16, max_wait_ms=20))) as url:
        with ThreadPoolExecutor(8) as pool:
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
    with ServerThread(create_app(predictor, settings(max_batch=32, max_wait_ms=50))) as url:
        with ThreadPoolExecutor(11) as pool:
            answers = list(pool.map(lambda b: post(url, b), bodies))
    for body, (status, out) in zip(bodies, answers):
        assert status == 200 and out["outputs"][0]["text"] == body["inputs"][0][::-1]
    for inputs, decoding in predictor.calls:
        assert all(b["decoding"] == decoding for b in bodies if b["inputs"][0] in inputs)
        assert len(inputs) == 1 or "seed" not in decoding


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


@pytest.mark.parametrize("overrides, words", [
    ({"port": 70000}, "'port'=70000 is out of range"),
    ({"max_batch": 0}, "'max_batch'=0 is out of range"),
    ({"max_wait_ms": "soon"}, "'max_wait_ms' must be float"),
    ({"workers": True}, "'workers' must be int"),
    ({"max_bach": 4}, "did you mean 'max_batch'"),
    ({"ckpt_path": "???"}, "'ckpt_path' must be set"),
])
def test_serve_config_refuses_bad_values(overrides, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        serve_config({"ckpt_path": "a.ckpt", **overrides})
    assert serve_config({"ckpt_path": "a.ckpt", "max_wait_ms": 2}).max_wait_ms == 2.0
