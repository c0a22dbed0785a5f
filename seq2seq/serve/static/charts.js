// Canvas drawings of the web page: the attention heatmap and the forecast line chart. No libraries.
"use strict";

const Charts = (() => {
  function hiDpi(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    return ctx;
  }

  // weights: target rows × source columns (each row sums to 1); source/target: the pieces on each axis.
  function heatmap(canvas, weights, source, target) {
    const cell = 26, left = 12 + 7 * Math.max(1, ...target.map((t) => t.length)), top = 70;
    const ctx = hiDpi(canvas, left + cell * source.length + 10, top + cell * target.length + 10);
    ctx.font = "12px monospace";
    ctx.fillStyle = "#222";
    source.forEach((piece, j) => {
      ctx.save();
      ctx.translate(left + cell * j + cell / 2 + 4, top - 6);
      ctx.rotate(-Math.PI / 3);
      ctx.fillText(piece, 0, 0);
      ctx.restore();
    });
    target.forEach((piece, i) => {
      ctx.textAlign = "right";
      ctx.fillText(piece, left - 6, top + cell * i + cell / 2 + 4);
    });
    weights.forEach((row, i) => row.forEach((w, j) => {
      const shade = Math.round(255 * (1 - Math.min(1, Math.max(0, w))));
      ctx.fillStyle = `rgb(${shade}, ${shade}, 255)`;
      ctx.fillRect(left + cell * j, top + cell * i, cell - 1, cell - 1);
      ctx.strokeStyle = "#e3e5ec";  // a faint grid: cells without attention stay visible
      ctx.strokeRect(left + cell * j + 0.5, top + cell * i + 0.5, cell - 2, cell - 2);
    }));
  }

  // series: [{name, history: [numbers], forecast: [numbers]}]; the forecast continues after the history.
  function lines(canvas, series, width = 640, height = 280) {
    const ctx = hiDpi(canvas, width, height);
    const pad = {left: 56, right: 16, top: 16, bottom: 28};
    const steps = Math.max(...series.map((s) => s.history.length + s.forecast.length));
    const values = series.flatMap((s) => [...s.history, ...s.forecast]).filter(Number.isFinite);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (hi === lo) { hi += 1; lo -= 1; }
    const x = (t) => pad.left + (width - pad.left - pad.right) * t / Math.max(1, steps - 1);
    const y = (v) => height - pad.bottom - (height - pad.top - pad.bottom) * (v - lo) / (hi - lo);
    ctx.strokeStyle = "#999";
    ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
    ctx.fillStyle = "#444";
    ctx.font = "11px sans-serif";
    ctx.fillText(hi.toPrecision(4), 4, pad.top + 8);
    ctx.fillText(lo.toPrecision(4), 4, height - pad.bottom);
    const colors = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b"];
    series.forEach((s, k) => {
      const n = s.history.length;
      path(ctx, s.history.map((v, t) => [x(t), y(v)]), colors[k % colors.length], []);
      const joined = n ? [[x(n - 1), y(s.history[n - 1])]] : [];
      path(ctx, joined.concat(s.forecast.map((v, t) => [x(n + t), y(v)])), "#d62728", [6, 4]);
      ctx.fillStyle = colors[k % colors.length];
      ctx.fillText(`${s.name} (history)`, pad.left + 8, pad.top + 14 + 14 * k);
    });
    ctx.fillStyle = "#d62728";
    ctx.fillText("forecast", pad.left + 8, pad.top + 14 + 14 * series.length);
  }

  function path(ctx, points, color, dash) {
    if (points.length < 1) return;
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    points.forEach(([px, py], i) => (i ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
    ctx.stroke();
    ctx.setLineDash([]);
  }

  return {heatmap, lines};
})();
