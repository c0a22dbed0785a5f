"""The web page in a real browser: headless Chromium (the distribution's package) driven by Selenium against
``python -m seq2seq.serve``'s app on 127.0.0.1, one tiny checkpoint per task trained here (issue 15).

Each test types into the page, submits, and checks what a user sees against what the model answers
(``predictor.predict`` on the same inputs). Screenshots go to outputs/test-artifacts/serve/ (git-ignored).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, compose_cfg, make_reversal_pairs

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'"
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from seq2seq.serve.background import ServerThread
from seq2seq.serve.config import ServeConfig
from seq2seq.serve.run import build_app, load_predictor

pytestmark = pytest.mark.slow
CHROMIUM, DRIVER = (
    shutil.which("chromium") or "/usr/bin/chromium",
    shutil.which("chromedriver") or "/usr/bin/chromedriver",
)
SHOTS = ROOT / "outputs" / "test-artifacts" / "serve"
# Without the background-networking flags chromium's own connections are refused here and it stalls.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,1000",
]
COMMON = ["trainer.accelerator=cpu", "trainer.devices=1", "test_after_fit=false", "paths.cache_dir=null"]
TRAININGS = {
    "translation": [
        "debug=fast",
        "data.valid_size=20",
        "data.test_size=20",
        "data.batch_size=16",
        "trainer.max_epochs=4",
        "trainer.limit_train_batches=null",
        "optim.lr=0.01",
    ],
    "ner": [
        "task=ner",
        "debug=ner_fast",
        "trainer.max_epochs=3",
        "trainer.limit_train_batches=null",
        "trainer.limit_val_batches=1",
        "optim.lr=0.02",
    ],
    "classify": [
        "task=classify",
        "debug=fast",
        "data.limit=400",
        "data.valid_size=60",
        "data.test_size=60",
        "model.embedding_dim=16",
        "model.hidden_size=16",
    ],
    "lm": ["task=lm", "debug=fast", "model.embedding_dim=16", "model.hidden_size=16", "decoding.length=30"],
    "forecast": ["task=forecast", "debug=forecast_fast"],
    "chatbot": [
        "task=chatbot",
        "debug=fast",
        "tokenizer.vocab_size=300",
        "model.embedding_dim=16",
        "model.hidden_size=16",
        "data.valid_size=20",
        "data.test_size=20",
    ],
}


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).is_file() and Path(DRIVER).is_file()):
        pytest.skip(
            f"no headless browser: {CHROMIUM} or {DRIVER} is missing "
            "(apt-get install chromium chromium-driver, as .ci/run does)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="seq2seq-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """``checkpoint(task)`` → a tiny trained checkpoint of that task (trained once per module)."""
    from seq2seq.train import train

    root, done = tmp_path_factory.mktemp("serve_ckpts"), {}
    corpus = root / "pairs.tsv"
    corpus.write_text("".join(f"{s}\t{t}\n" for s, t in make_reversal_pairs(120)), encoding="utf-8")

    def get(task: str) -> Path:
        if task not in done:
            data = [f"data.path={corpus}"] if task == "translation" else []
            train(compose_cfg("train", [*TRAININGS[task], *data, *COMMON, f"paths.output_dir={root / task}"]))
            done[task] = root / task / "checkpoints" / "last.ckpt"
        return done[task]

    return get


class Page:
    """The page of a server for one checkpoint, with the predictor that answers for it."""

    def __init__(self, driver, ckpt: Path):
        self.settings = ServeConfig(ckpt_path=str(ckpt), max_input_chars=20_000)
        self.driver, self.predictor = driver, load_predictor(self.settings)
        self.server = ServerThread(build_app(self.settings))

    def __enter__(self):
        self.driver.get(self.server.__enter__())
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def wait(self, condition, timeout: float = 30):
        return WebDriverWait(self.driver, timeout).until(condition)

    def type(self, element_id: str, text: str) -> None:
        box = self.driver.find_element(By.ID, element_id)
        box.clear()
        box.send_keys(text)

    def submit(self, text: str, results: str) -> list:
        if len(text) < 200:
            self.type("input", text)
        else:  # pasted: typing thousands of keys one by one takes many seconds
            self.driver.execute_script(
                "arguments[0].value = arguments[1];", self.driver.find_element(By.ID, "input"), text
            )
        self.driver.find_element(By.ID, "submit").click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, results) or d.find_element(By.ID, "error").text)
        assert not self.driver.find_element(By.ID, "error").text, self.driver.find_element(
            By.ID, "error"
        ).text
        return self.driver.find_elements(By.CSS_SELECTOR, results)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SHOTS / f"{name}.png"))
        return SHOTS / f"{name}.png"

    def inked_pixels(self, canvas) -> int:
        """Pixels of the canvas that are not transparent or white: what was drawn."""
        return self.driver.execute_script(
            "const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && (d[i] < 250 || d[i+1] < 250 ||"
            " d[i+2] < 250)) n++; return n;",
            canvas,
        )


def test_translation_shows_nbest_scores_and_attention(browser, checkpoint):
    with Page(browser, checkpoint("translation")) as page:
        sources = ["abcd", "hgfeab"]
        page.type("beam-size", "4")
        page.type("n-best", "3")
        cards = page.submit("\n".join(sources), "article.result")
        page.shot("translation")
        expected = page.predictor.predict(sources, beam_size=4, n_best=3, return_attention=True)
        assert all(e["text"] for e in expected), "the tiny model translates to nothing; train it longer"
        assert [c.find_element(By.CLASS_NAME, "translation").text for c in cards] == [
            e["text"] for e in expected
        ]
        for card, exp in zip(cards, expected):
            items = card.find_elements(By.CSS_SELECTOR, ".nbest li")
            assert [i.find_element(By.CLASS_NAME, "hyp").text for i in items] == [t for t, _ in exp["nbest"]]
            assert [float(i.find_element(By.CLASS_NAME, "score").text) for i in items] == pytest.approx(
                [s for _, s in exp["nbest"]], abs=1e-3
            )
            assert page.inked_pixels(card.find_element(By.CSS_SELECTOR, "canvas.heatmap")) > 100


def test_ner_highlights_entities_inline_with_their_type(browser, checkpoint):
    with Page(browser, checkpoint("ner")) as page:
        sentence = "Yuki Okafor told reporters in Ulcor on Tuesday ."
        expected = page.predictor.predict([sentence])[0]["entities"]
        assert expected, "the tiny NER model found no entity to show"
        (para,) = page.submit(sentence, ".tagged")
        page.shot("ner")
        marks = para.find_elements(By.CSS_SELECTOR, "mark.entity")
        assert [
            (m.get_attribute("data-type"), m.text.rsplit("\n", 1)[0].removesuffix(e["type"]).strip())
            for m, e in zip(marks, expected)
        ] == [(e["type"], e["text"]) for e in expected]
        assert len(marks) == len(expected) and para.text.replace("\n", " ").split()[0] == "Yuki"


def test_forecast_draws_history_and_forecast(browser, checkpoint):
    with Page(browser, checkpoint("forecast")) as page:
        csv = "\n".join((ROOT / "data" / "series.csv").read_text().splitlines()[:200])
        (card,) = page.submit(csv, "article.result")
        page.shot("forecast")
        expected = page.predictor.predict([csv])[0]
        rows = card.find_elements(By.CSS_SELECTOR, ".forecast-table tr")[1:]
        assert len(rows) == len(expected["values"]) > 0
        shown = [float(td.text) for td in rows[0].find_elements(By.TAG_NAME, "td")[1:]]
        assert shown == pytest.approx(expected["values"][0], rel=1e-4)
        assert page.inked_pixels(card.find_element(By.CSS_SELECTOR, "canvas.forecast-chart")) > 500


def test_classification_shows_probability_bars(browser, checkpoint):
    with Page(browser, checkpoint("classify")) as page:
        (card,) = page.submit("The delivery was forgettable.", "article.result")
        page.shot("classify")
        expected = page.predictor.predict(["The delivery was forgettable."])[0]
        assert card.find_element(By.CLASS_NAME, "label").text == expected["label"]
        bars = card.find_elements(By.CLASS_NAME, "bar-row")
        assert len(bars) == len(expected["probabilities"]) >= 2
        widths = {
            b.find_element(By.CLASS_NAME, "bar-label").text: b.find_element(By.CLASS_NAME, "bar").size[
                "width"
            ]
            for b in bars
        }
        assert max(widths, key=widths.get) == expected["label"]


def test_lm_generates_from_the_prompt(browser, checkpoint):
    with Page(browser, checkpoint("lm")) as page:
        (para,) = page.submit("The boy", ".generated")
        page.shot("lm")
        assert para.find_element(By.CLASS_NAME, "prompt").text == "The boy"
        assert len(para.find_element(By.CLASS_NAME, "continuation").text) > 0


def test_chat_keeps_a_conversation_and_resets(browser, checkpoint):
    with Page(browser, checkpoint("chatbot")) as page:
        page.type("beam-size", "3")
        page.submit("hello", "#chat-log .turn.bot")
        turns = page.submit("how are you?", "#chat-log .turn:nth-child(4)")
        page.shot("chat")
        log = page.driver.find_elements(By.CSS_SELECTOR, "#chat-log .turn")
        assert [t.get_attribute("class") for t in log] == ["turn you", "turn bot"] * 2 and turns
        session = page.predictor.chat(beam_size=3)  # the Python API's conversation: same context window
        expected = ["hello", session.reply("hello"), "how are you?", session.reply("how are you?")]
        assert [t.get_attribute("textContent") for t in log] == expected
        page.driver.find_element(By.ID, "reset").click()
        assert page.driver.find_elements(By.CSS_SELECTOR, "#chat-log .turn") == []
