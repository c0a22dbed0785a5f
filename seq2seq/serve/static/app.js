// The web page: reads /v1/info, shows the controls of the loaded task, posts to /v1/predict, draws results.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {info: null, chat: []};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => (k === "class" ? (node.className = v) : node.setAttribute(k, v)));
  children.forEach((c) => node.append(c));
  return node;
}

async function predict(inputs, decoding) {
  const resp = await fetch("/v1/predict", {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({inputs, decoding}),
  });
  const body = await resp.json();
  if (!resp.ok) throw new Error(body.error || `HTTP ${resp.status}`);
  return body.outputs;
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

const lines = () => $("input").value.split("\n").map((s) => s.trim()).filter(Boolean);
const num = (id) => Number($(id).value);
const accepts = (key) => state.info.decoding_keys.includes(key);

// -- one renderer per task: what to send, and how to show what comes back --------------------------------
const TASKS = {
  translation: {
    label: "Sentences to translate, one per line",
    request: () => [lines(), {beam_size: num("beam-size"), n_best: Math.min(num("n-best"), num("beam-size")),
      ...(accepts("return_attention") ? {return_attention: true} : {})}],
    render: (outputs, inputs) => outputs.map((out, i) => {
      const nbest = (out.nbest || [[out.text, out.score]]).map(([text, score]) =>
        el("li", {}, el("span", {class: "score"}, score.toFixed(3)), " ", el("span", {class: "hyp"}, text)));
      const card = el("article", {class: "result"}, el("p", {class: "source"}, inputs[i]),
        el("p", {class: "translation"}, out.text), el("ol", {class: "nbest"}, ...nbest));
      if (out.attention) {
        const canvas = el("canvas", {class: "heatmap", "aria-label": "attention weights"});
        card.append(el("p", {class: "caption"}, "attention (rows: output pieces, columns: input pieces)"), canvas);
        Charts.heatmap(canvas, out.attention.weights, out.attention.source, out.attention.target);
      }
      return card;
    }),
  },
  ner: {
    label: "Sentences to tag, one per line",
    request: () => [lines(), {}],
    render: (outputs, inputs) => outputs.map((out, i) => el("p", {class: "result tagged"}, ...highlight(inputs[i], out))),
  },
  classify: {
    label: "Texts to classify, one per line",
    request: () => [lines(), {}],
    render: (outputs, inputs) => outputs.map((out, i) => {
      const probs = Object.entries(out.probabilities).sort((a, b) => b[1] - a[1]);
      const bars = probs.map(([label, p]) => el("div", {class: "bar-row"}, el("span", {class: "bar-label"}, label),
        el("span", {class: "bar-track"}, el("span", {class: "bar", style: `width:${(100 * p).toFixed(1)}%`})),
        el("span", {class: "bar-value"}, p.toFixed(3))));
      return el("article", {class: "result"}, el("p", {class: "source"}, inputs[i]),
        el("p", {class: "label"}, out.label), ...bars);
    }),
  },
  lm: {
    label: "Prompt",
    request: () => [[$("input").value], {temperature: num("temperature"), length: num("length")}],
    render: (outputs) => outputs.map((out) => el("p", {class: "result generated"},
      el("strong", {class: "prompt"}, out.text.slice(0, out.text.length - out.continuation.length)),
      el("span", {class: "continuation"}, out.continuation))),
  },
  forecast: {
    label: "Recent history as CSV (header line first)",
    request: () => [[$("input").value.trim()], {}],
    render: (outputs, inputs) => outputs.map((out, i) => forecastCard(out, inputs[i])),
  },
};
TASKS.chatbot = {label: "Your message", request: () => [[chatContext($("input").value.trim())], {
  beam_size: num("beam-size"), n_best: 1}], render: chatRender};

// -- NER: entity spans (character offsets into the sentence) become <mark> elements -----------------------
function highlight(sentence, out) {
  const parts = [];
  let at = 0;
  for (const ent of out.entities || []) {
    const start = ent.char_start, end = ent.char_end;
    if (start > at) parts.push(sentence.slice(at, start));
    parts.push(el("mark", {class: `entity type-${ent.type}`, "data-type": ent.type, title: ent.type},
      sentence.slice(start, end), el("span", {class: "entity-type"}, ent.type)));
    at = end;
  }
  parts.push(sentence.slice(at));
  return parts;
}

// -- chat: the conversation lives in the page; the model sees its last context_turns turns ----------------
function chatContext(message) {
  const turns = state.info.context_turns || 1, sep = state.info.separator ?? " <sep> ";
  state.pending = message;
  return [...state.chat.map((t) => t.text), message].slice(-turns).join(sep);
}

function chatRender(outputs) {
  state.chat.push({who: "you", text: state.pending}, {who: "bot", text: outputs[0].text});
  $("chat-log").replaceChildren(...state.chat.map((t) => el("p", {class: `turn ${t.who}`}, t.text)));
  $("input").value = "";
  return [];
}

// -- forecast: history columns from the CSV, the forecast after them ---------------------------------------
function forecastCard(out, csv) {
  const rows = csv.split("\n").filter(Boolean).map((r) => r.split(","));
  const header = rows.shift().map((h) => h.trim());
  const targets = out.targets, values = out.values;
  const series = targets.map((name, k) => ({name,
    history: rows.map((r) => Number(r[header.indexOf(name)])).filter(Number.isFinite),
    forecast: values.map((step) => Number(step[k]))}));
  const canvas = el("canvas", {class: "forecast-chart", "aria-label": "history and forecast"});
  const table = el("table", {class: "forecast-table"}, el("tr", {}, el("th", {}, "step"),
    ...targets.map((t) => el("th", {}, t))), ...values.map((step, s) => el("tr", {},
    el("td", {}, out.times ? out.times[s] : String(out.steps[s])), ...step.map((v) => el("td", {}, Number(v).toPrecision(5))))));
  const card = el("article", {class: "result"}, canvas, table);
  Charts.lines(canvas, series);
  return card;
}

// -- wiring ----------------------------------------------------------------------------------------------
async function submit(event) {
  event.preventDefault();
  const task = TASKS[state.info.task];
  showError("");
  const [inputs, decoding] = task.request();
  if (!inputs.length || inputs.every((x) => !x)) return showError("Type something first.");
  $("submit").disabled = true;
  $("status").textContent = "running…";
  try {
    const outputs = await predict(inputs, decoding);
    $("results").replaceChildren(...task.render(outputs, inputs));
    $("status").textContent = `${outputs.length} result${outputs.length === 1 ? "" : "s"}`;
  } catch (err) {
    showError(err.message);
    $("status").textContent = "";
  } finally {
    $("submit").disabled = false;
  }
}

function setUp(info) {
  state.info = info;
  const task = TASKS[info.task];
  $("task-name").textContent = info.task;
  $("info-text").textContent = JSON.stringify(info, null, 2);
  document.body.dataset.task = info.task;
  if (!task) return showError(`this page has no view for the task '${info.task}'; use POST /v1/predict`);
  $("input-label").textContent = task.label;
  document.querySelectorAll("[data-for]").forEach((node) => {
    node.hidden = !node.dataset.for.split(" ").includes(info.task);
  });
  const d = info.decoding || {};
  if (d.beam_size) $("beam-size").value = d.beam_size;
  if (d.length) $("length").value = d.length;
  if (info.task === "forecast") $("input").placeholder = `${info.input_columns.join(",")}\n… at least ${info.window} rows`;
  $("temperature").addEventListener("input", () => ($("temperature-value").value = $("temperature").value));
  $("reset").addEventListener("click", () => { state.chat = []; $("chat-log").replaceChildren(); });
  $("predict-form").addEventListener("submit", submit);
  $("predict-form").hidden = false;
  document.body.dataset.ready = "true";
}

fetch("/v1/info").then((r) => r.json()).then(setUp).catch((err) => showError(`cannot read /v1/info: ${err}`));
