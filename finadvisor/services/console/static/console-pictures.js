/* finadvisor analyst console, a module of console.js.
 *
 * Pictures drawn on the page: the attention heatmap (canvas) and the findings (inline
 * SVG: class probabilities, chart trend, gauges). */

import { $, clamp, el, icon, pct, svg, ui } from "./console-core.js";

// ------------------------------------------------------------------ attention heatmap
const BLUES = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
function blue(t) {
  const x = clamp(t, 0, 1) * (BLUES.length - 1);
  const i = Math.min(Math.floor(x), BLUES.length - 2);
  const f = x - i;
  const c = BLUES[i].map((v, k) => Math.round(v + (BLUES[i + 1][k] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderAttention(att) {
  const rows = att && att.rows ? att.rows : [];
  const ins = att && att.input_tokens ? att.input_tokens : [];
  const outs = att && att.output_tokens ? att.output_tokens : [];
  const ok = rows.length && ins.length && outs.length;
  $("attention-empty").hidden = !!ok;
  $("heatmap-wrap").hidden = !ok;
  $("heatmap-foot").hidden = !ok;
  $("attention-dims").textContent = ok ? `${outs.length} output × ${ins.length} input tokens` : "";
  if (!ok) { ui.heat = null; return; }
  const W = rows.map((r) => ins.map((_, j) => Number((r.weights || [])[j] || 0)));
  const max = Math.max(...W.flat(), 1e-9);
  ui.heat = { ins, outs, W, max, cur: { r: 0, c: 0 }, focus: false };
  const wrap = $("heatmap-wrap");
  const canvas = $("heatmap");
  const ctx = canvas.getContext("2d");
  ctx.font = "11px system-ui, 'DejaVu Sans', sans-serif";
  const left = Math.min(130, 12 + Math.max(...outs.map((t) => ctx.measureText(clip(t, 14)).width)));
  const top = Math.min(96, 14 + Math.max(...ins.map((t) => ctx.measureText(clip(t, 14)).width)) * 0.72);
  const avail = Math.max(200, (wrap.clientWidth || 480) - left - 12);
  const cw = clamp(Math.floor(avail / ins.length), 12, 30);
  const ch = clamp(cw, 14, 20);
  Object.assign(ui.heat, { left, top, cw, ch });
  const cssW = left + cw * ins.length + 10;
  const cssH = top + ch * outs.length + 10;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  canvas.setAttribute("aria-label",
    `Attention heatmap: ${outs.length} output tokens by ${ins.length} input tokens`);
  $("legend-max").textContent = max.toFixed(2);
  drawHeatmap();
  // The strongest links, in words, for a reader who cannot see the picture.
  const links = [];
  W.forEach((r, i) => r.forEach((w, j) => links.push([w, i, j])));
  links.sort((a, b) => b[0] - a[0]);
  $("heatmap-top").replaceChildren(...links.slice(0, 5).map(([w, i, j]) => el("li", {},
    el("span", { class: "tok" }, outs[i]), " ← ", el("span", { class: "tok" }, ins[j]),
    ` ${w.toFixed(2)}`)));
  readout();
}

function drawHeatmap() {
  const h = ui.heat;
  if (!h) return;
  const canvas = $("heatmap");
  const ctx = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < h.outs.length; i++) {
    for (let j = 0; j < h.ins.length; j++) {
      ctx.fillStyle = blue(h.W[i][j] / h.max);
      ctx.fillRect(h.left + j * h.cw, h.top + i * h.ch, h.cw - 1, h.ch - 1);
    }
  }
  ctx.fillStyle = "#4a5866";
  ctx.font = "11px system-ui, 'DejaVu Sans', sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  h.outs.forEach((t, i) => {
    ctx.fillStyle = i === h.cur.r && h.focus ? "#17212b" : "#4a5866";
    ctx.fillText(clip(t, 14), h.left - 6, h.top + i * h.ch + h.ch / 2);
  });
  ctx.textAlign = "left";
  h.ins.forEach((t, j) => {
    ctx.save();
    ctx.translate(h.left + j * h.cw + h.cw / 2 + 3, h.top - 6);
    ctx.rotate(-Math.PI / 4);
    ctx.fillStyle = j === h.cur.c && h.focus ? "#17212b" : "#4a5866";
    ctx.fillText(clip(t, 14), 0, 0);
    ctx.restore();
  });
  if (h.focus) {
    ctx.strokeStyle = "#f0a30a";
    ctx.lineWidth = 2.5;
    ctx.strokeRect(h.left + h.cur.c * h.cw - 1, h.top + h.cur.r * h.ch - 1, h.cw + 1, h.ch + 1);
  }
}

function readout() {
  const h = ui.heat;
  if (!h) return;
  const { r, c } = h.cur;
  $("heatmap-readout").textContent =
    `Output “${h.outs[r]}” (${r + 1}/${h.outs.length}) on input “${h.ins[c]}” (${c + 1}/${h.ins.length}): ${h.W[r][c].toFixed(3)}`;
}

function cellAt(ev) {
  const h = ui.heat;
  if (!h) return null;
  const rect = $("heatmap").getBoundingClientRect();
  const x = ev.clientX - rect.left - h.left;
  const y = ev.clientY - rect.top - h.top;
  const c = Math.floor(x / h.cw); const r = Math.floor(y / h.ch);
  if (r < 0 || c < 0 || r >= h.outs.length || c >= h.ins.length) return null;
  return { r, c, x: ev.clientX - rect.left, y: ev.clientY - rect.top };
}

export function bindHeatmap() {
  const canvas = $("heatmap");
  const tip = $("heatmap-tip");
  canvas.addEventListener("mousemove", (ev) => {
    const cell = cellAt(ev);
    if (!cell) { tip.hidden = true; return; }
    const h = ui.heat;
    tip.textContent = `${h.outs[cell.r]} ← ${h.ins[cell.c]}: ${h.W[cell.r][cell.c].toFixed(3)}`;
    tip.style.left = `${cell.x + 12}px`;
    tip.style.top = `${cell.y + 12}px`;
    tip.hidden = false;
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
  canvas.addEventListener("click", (ev) => {
    const cell = cellAt(ev);
    if (!cell) return;
    ui.heat.cur = { r: cell.r, c: cell.c };
    drawHeatmap(); readout();
  });
  canvas.addEventListener("focus", () => { if (ui.heat) { ui.heat.focus = true; drawHeatmap(); readout(); } });
  canvas.addEventListener("blur", () => { if (ui.heat) { ui.heat.focus = false; drawHeatmap(); } });
  canvas.addEventListener("keydown", (ev) => {
    const h = ui.heat;
    if (!h) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[ev.key]) {
      const [dr, dc] = moves[ev.key];
      h.cur = { r: clamp(h.cur.r + dr, 0, h.outs.length - 1), c: clamp(h.cur.c + dc, 0, h.ins.length - 1) };
    } else if (ev.key === "Home") h.cur.c = 0;
    else if (ev.key === "End") h.cur.c = h.ins.length - 1;
    else return;
    ev.preventDefault();
    drawHeatmap(); readout();
    // keep the cursor in view inside the scrolling frame
    const wrap = $("heatmap-wrap");
    const cx = h.left + h.cur.c * h.cw;
    if (cx < wrap.scrollLeft + h.left) wrap.scrollLeft = Math.max(0, cx - h.left);
    else if (cx + h.cw > wrap.scrollLeft + wrap.clientWidth) wrap.scrollLeft = cx + h.cw - wrap.clientWidth + 8;
  });
}

// ------------------------------------------------------------------ findings pictures
function barChart(probs, highlight, label, color) {
  const entries = Object.entries(probs || {}).map(([k, v]) => [k, Number(v)])
    .sort((a, b) => b[1] - a[1]);
  const rowH = 20; const w = 300; const labelW = 118; const valW = 44;
  const h = entries.length * rowH + 4;
  const rows = entries.map(([k, v], i) => {
    const y = i * rowH + 2;
    const bw = clamp(v, 0, 1) * (w - labelW - valW - 8);
    const hot = k === highlight;
    return svg("g", { "data-label": k, "data-p": v.toFixed(4) },
      svg("text", { x: labelW - 6, y: y + 13, "text-anchor": "end", "font-size": "11",
        fill: hot ? "#17212b" : "#4a5866", "font-weight": hot ? "700" : "400",
        text: k.replace(/_/g, " ") }),
      svg("rect", { x: labelW, y: y + 3, width: w - labelW - valW - 8, height: 12, rx: 3, fill: "#e9eef3" }),
      svg("rect", { x: labelW, y: y + 3, width: Math.max(bw, 1), height: 12, rx: 3,
        fill: hot ? color : "#9db0c4" }),
      svg("text", { x: w - 2, y: y + 13, "text-anchor": "end", "font-size": "11", fill: "#4a5866",
        text: pct(v, 0) }));
  });
  return svg("svg", { class: "bars", viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": `${label}: ${entries.map(([k, v]) => `${k} ${pct(v, 0)}`).join(", ")}` }, ...rows);
}

const TREND_SHAPES = {
  rising: [[4, 36], [20, 30], [34, 32], [50, 22], [64, 18], [80, 10], [92, 6]],
  falling: [[4, 6], [20, 12], [34, 10], [50, 20], [64, 24], [80, 32], [92, 38]],
  flat: [[4, 22], [20, 20], [34, 23], [50, 21], [64, 22], [80, 20], [92, 22]],
  volatile: [[4, 24], [14, 8], [26, 36], [38, 12], [50, 34], [62, 6], [74, 30], [86, 14], [92, 24]],
};
const TREND_COLORS = { rising: "#1c7c4d", falling: "#b42318", flat: "#6b7885", volatile: "#a55f00" };

function trendGlyph(trend) {
  const pts = TREND_SHAPES[trend] || TREND_SHAPES.flat;
  const color = TREND_COLORS[trend] || "#6b7885";
  const [x1, y1] = pts[pts.length - 2]; const [x2, y2] = pts[pts.length - 1];
  const ang = Math.atan2(y2 - y1, x2 - x1);
  const a = (d) => `${x2 - 7 * Math.cos(ang + d)},${y2 - 7 * Math.sin(ang + d)}`;
  return svg("svg", { viewBox: "0 0 96 44", role: "img", "aria-label": `Trend: ${trend}`,
    "data-trend": trend },
  svg("path", { d: "M2 42H94", stroke: "#c5cfda", "stroke-width": "1" }),
  svg("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: color,
    "stroke-width": "2.5", "stroke-linejoin": "round", "stroke-linecap": "round" }),
  trend === "flat" || trend === "volatile" ? null
    : svg("polygon", { points: `${x2},${y2} ${a(0.5)} ${a(-0.5)}`, fill: color }));
}

function gauge(label, value, frac, text) {
  const fill = el("span", { class: "meter-fill" });
  fill.style.width = `${clamp(frac, 0, 1) * 100}%`;
  return el("div", { class: "gauge" }, el("span", { class: "muted" }, label),
    el("span", { class: "meter", role: "img", "aria-label": `${label} ${text}` }, fill),
    el("span", { class: "num" }, text));
}

export function renderFindings(f, urls, turn) {
  const body = $("findings-body");
  $("findings-turn").textContent = turn === undefined ? "" : `from turn ${turn + 1}`;
  const img = f && f.image && f.image.image_type ? f.image : null;
  const voice = f && f.voice && (f.voice.transcript || (f.voice.prosody && Number(f.voice.prosody.duration_seconds))) ? f.voice : null;
  $("findings-empty").hidden = !!(img || voice);
  const cards = [];
  if (img) {
    const probs = img.type_probabilities || {};
    const typeP = Number(probs[img.image_type] || 0);
    const card = el("div", { class: "finding finding-image" },
      el("h3", {}, icon("image"), "Image"),
      urls && urls.imageUrl ? el("img", { class: "thumb", src: urls.imageUrl, alt: "The image of this turn" }) : null,
      el("div", { class: "finding-type", "data-image-type": img.image_type },
        img.image_type.replace(/_/g, " "), typeP ? el("span", { class: "muted small" }, ` ${pct(typeP, 0)}`) : null),
      Object.keys(probs).length ? barChart(probs, img.image_type, "Document type probabilities", "#6b3fa0") : null);
    if (img.chart_trend) {
      card.append(el("div", { class: "trend" }, trendGlyph(img.chart_trend),
        el("div", {}, el("div", { class: "small muted" }, "Chart trend"),
          el("strong", {}, img.chart_trend))));
      if (Object.keys(img.trend_probabilities || {}).length) {
        card.append(barChart(img.trend_probabilities, img.chart_trend, "Trend probabilities",
          TREND_COLORS[img.chart_trend] || "#1f5fbf"));
      }
    }
    if ((img.fields || []).length) {
      card.append(el("ul", { class: "fields", "aria-label": "Fields read from the document" },
        img.fields.map((fd) => el("li", { "data-field": fd.name },
          el("span", { class: "f-name" }, fd.name),
          el("span", { class: "f-value" }, fd.value),
          el("span", { class: "f-slot" }, `${pct(fd.confidence, 0)} sure${fd.slot ? ` · fills ${fd.slot}` : ""}`)))));
    }
    cards.push(card);
  }
  if (voice) {
    const p = voice.prosody || {};
    cards.push(el("div", { class: "finding finding-voice" },
      el("h3", {}, icon("audio"), "Voice note"),
      urls && urls.audioUrl ? el("audio", { controls: true, src: urls.audioUrl, "aria-label": "The voice note of this turn" }) : null,
      voice.transcript ? el("blockquote", { class: "transcript-quote" }, `“${voice.transcript}”`)
        : el("p", { class: "small muted" }, "No transcript."),
      el("div", { class: "gauges" },
        gauge("Transcript", voice.transcript_confidence, Number(voice.transcript_confidence || 0), pct(voice.transcript_confidence, 0)),
        gauge("Duration", p.duration_seconds, Number(p.duration_seconds || 0) / 30, `${Number(p.duration_seconds || 0).toFixed(1)} s`),
        gauge("Speech rate", p.speech_rate, Number(p.speech_rate || 0) / 5, `${Number(p.speech_rate || 0).toFixed(1)} w/s`),
        gauge("Pauses", p.pause_ratio, Number(p.pause_ratio || 0), pct(p.pause_ratio, 0)),
        gauge("Energy", p.energy_db, (Number(p.energy_db || -60) + 60) / 60, `${Number(p.energy_db || 0).toFixed(0)} dB`),
        gauge("Pitch", p.pitch_mean_hz, (Number(p.pitch_mean_hz || 0) - 50) / 300, `${Number(p.pitch_mean_hz || 0).toFixed(0)} Hz`)),
      voice.intent ? el("p", { class: "small", }, "Acoustic intent guess: ",
        el("span", { class: "tag tag-info" }, voice.intent), ` ${pct(voice.intent_confidence, 0)}`) : null));
  }
  body.replaceChildren(...cards);
}
