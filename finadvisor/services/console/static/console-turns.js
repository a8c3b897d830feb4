/* finadvisor analyst console, a module of console.js.
 *
 * The transcript and sending a turn: messages, replies and their tags, retries, image and
 * voice attachments, recording from the microphone. */

import { $, api, el, MAX_RECORD_S, newRequestId, showError, ui } from "./console-core.js";
import { loadInfo, loadSessions, renderBanner, startSession } from "./console-sessions.js";
import { fillWhatIf, renderCredit, renderState } from "./console-panes.js";
import { renderAttention, renderFindings } from "./console-pictures.js";

// ------------------------------------------------------------------ transcript
export function scrollTranscript() {
  const t = $("transcript");
  t.scrollTop = t.scrollHeight;
}

export function addNote(text) {
  const empty = $("transcript-empty");
  if (empty) empty.remove();
  $("transcript").append(el("div", { class: "msg msg-note" }, el("div", { class: "bubble" }, text)));
  scrollTranscript();
}

export function addUserMessage(text, opts = {}) {
  const empty = $("transcript-empty");
  if (empty) empty.remove();
  const media = [];
  if (opts.imageUrl) {
    media.push(el("img", { class: "thumb", src: opts.imageUrl,
      alt: `Attached image ${opts.imageName || ""}` }));
  }
  if (opts.audioUrl) {
    media.push(el("audio", { controls: true, src: opts.audioUrl,
      "aria-label": `Attached voice note ${opts.audioName || ""}` }));
  }
  const meta = [];
  if (opts.turn !== undefined) meta.push(el("span", {}, `turn ${Number(opts.turn) + 1}`));
  if (opts.source === "audio") meta.push(el("span", { class: "tag tag-info" }, "from voice note"));
  if (opts.imageType) meta.push(el("span", { class: "tag tag-info" }, `image: ${opts.imageType}`));
  if (opts.imageName) meta.push(el("span", { class: "tag" }, opts.imageName));
  if (opts.audioName) meta.push(el("span", { class: "tag" }, opts.audioName));
  const node = el("div", { class: "msg msg-user" }, ...media,
    text ? el("div", { class: "bubble" }, text) : null,
    meta.length ? el("div", { class: "msg-meta" }, ...meta) : null);
  $("transcript").append(node);
  scrollTranscript();
  return node;
}

function addBusy() {
  const node = el("div", { class: "msg msg-advisor", "aria-label": "Waiting for the reply" },
    el("div", { class: "bubble" }, el("span", { class: "busy" }, el("i"), el("i"), el("i"))));
  $("transcript").append(node);
  scrollTranscript();
  return node;
}

function metaTags(r) {
  const tags = [];
  if (r.turn !== undefined) tags.push(el("span", {}, `turn ${Number(r.turn) + 1}`));
  const intent = r.intent || (r.state && r.state.active_intent);
  if (intent) tags.push(el("span", { class: "tag tag-info" }, intent));
  const changed = r.changed_slots || (r.state && r.state.changed_slots) || [];
  if (changed.length) tags.push(el("span", { class: "tag tag-wrap" }, `set ${changed.join(", ")}`));
  if (r.credit && r.credit.decision) {
    tags.push(el("span", { class: `tag ${r.credit.decision === "approve" ? "tag-ok"
      : r.credit.decision === "decline" ? "tag-bad" : "tag-warn"}` },
    `credit ${r.credit.decision}`));
  }
  // The dialogue manager's acts behind the reply, in the order the reply says them.
  for (const a of r.acts || []) {
    const args = Object.entries(a.args || {}).filter(([k]) => k !== "task")
      .map(([k, v]) => `${k}=${v}`).join(", ");
    tags.push(el("span", { class: "tag tag-act", title: "dialogue act" }, `${a.name}(${args})`));
  }
  for (const d of r.degraded || []) tags.push(el("span", { class: "tag tag-warn" }, `no ${d}`));
  if (r.fallback) tags.push(el("span", { class: "tag tag-warn" }, "template reply"));
  if (r.replayed) tags.push(el("span", { class: "tag" }, "replayed answer"));
  return tags;
}

export function addStoredReply(h) {
  if (!h.reply) return;
  $("transcript").append(el("div", { class: "msg msg-advisor" },
    el("div", { class: "bubble" }, h.reply),
    el("div", { class: "msg-meta" }, ...metaTags(h))));
}

function addReply(resp, stored) {
  const alts = resp.alternatives || [];
  // Only the latest reply keeps its alternatives open; earlier ones fold away.
  for (const d of document.querySelectorAll("#transcript details.alts[open]")) d.open = false;
  const node = el("div", { class: "msg msg-advisor", "data-turn": resp.turn },
    el("div", { class: "bubble reply-text" }, resp.reply || "(empty reply)"),
    el("div", { class: "msg-meta" }, ...metaTags(resp)),
    stored && stored.reply ? el("div", { class: "msg-stored" },
      el("span", { class: "muted" }, "Stored reply: "), stored.reply) : null,
    alts.length ? el("details", { class: "alts", open: true },
      el("summary", {}, `${alts.length} alternative${alts.length === 1 ? "" : "s"} (n-best)`),
      el("ol", { class: "alt-list" }, alts.map((a) => el("li", {},
        el("span", { class: "alt-reply" }, a.reply),
        el("span", { class: "alt-score" }, `(${Number(a.score).toFixed(2)})`))))) : null);
  $("transcript").append(node);
  scrollTranscript();
}

// ------------------------------------------------------------------ sending a turn
function signature(text, files) {
  const f = (x) => (x ? `${x.name}:${x.size}:${x.lastModified}` : "");
  return `${ui.session ? ui.session.session_id : ""}|${text}|${f(files.image)}|${f(files.audio)}`;
}

export async function sendTurn({ text, files, stored }) {
  if (!ui.session) {
    try { await startSession(); } catch (err) { showError("composer-error", err); return false; }
  }
  const sig = signature(text, files);
  const requestId = ui.retry && ui.retry.signature === sig ? ui.retry.request_id : newRequestId();
  const form = new FormData();
  form.append("text", text);
  form.append("request_id", requestId);
  form.append("n_best", $("nbest").value);
  form.append("assess_credit", $("assess").checked ? "true" : "false");
  if (files.image) form.append("image", files.image, files.image.name);
  if (files.audio) form.append("audio", files.audio, files.audio.name);

  const imageUrl = files.image ? URL.createObjectURL(files.image) : null;
  const audioUrl = files.audio ? URL.createObjectURL(files.audio) : null;
  addUserMessage(text, {
    imageUrl, audioUrl, imageName: files.image && files.image.name,
    audioName: files.audio && files.audio.name,
  });
  const busy = addBusy();
  ui.sending = true;
  $("send-btn").disabled = true;
  try {
    const resp = await api("POST",
      `/api/sessions/${encodeURIComponent(ui.session.session_id)}/turns`, form);
    busy.remove();
    ui.retry = null;
    addReply(resp, stored);
    applyTurn(resp, { imageUrl, audioUrl });
    return true;
  } catch (err) {
    busy.remove();
    if ([0, 409, 429, 502, 503, 504].includes(err.status)) {
      ui.retry = { signature: sig, request_id: requestId };
    }
    showError("composer-error", err);
    if (err.status === 503 || err.status === 0) loadInfo();
    return false;
  } finally {
    ui.sending = false;
    $("send-btn").disabled = false;
  }
}

function applyTurn(resp, urls) {
  ui.turnDegraded = resp.degraded || [];
  renderBanner();
  renderState(resp.state);
  if (resp.credit && resp.credit.decision) renderCredit(resp.credit, `turn ${Number(resp.turn) + 1}`);
  renderAttention(resp.attention);
  // Findings stay on screen until a later turn brings new ones (a text turn has none).
  const f = resp.findings || {};
  if ((f.image && f.image.image_type) || (f.voice && f.voice.transcript)) {
    renderFindings(f, urls, Number(resp.turn));
  }
  if (ui.session) {
    ui.session.history = null;  // stale: refetched for a replay
  }
  $("chat-sub").textContent = `turn ${Number(resp.turn) + 1}`;
  fillWhatIf();
  loadSessions();
}

export async function onSubmit(ev) {
  ev.preventDefault();
  if (ui.sending) return;
  showError("composer-error", null);
  const box = $("composer-text");
  const text = box.value.trim();
  const files = { ...ui.pending };
  if (!text && !files.image && !files.audio) {
    showError("composer-error", new Error("Type a turn or attach an image or a voice note."));
    box.focus();
    return;
  }
  if (text.length > ui.limits.max_text_chars) {
    showError("composer-error", new Error(`The turn is longer than ${ui.limits.max_text_chars} characters.`));
    return;
  }
  const ok = await sendTurn({ text, files });
  if (ok) {
    box.value = "";
    setAttachment("image", null);
    setAttachment("audio", null);
  }
  box.focus();
}

// ------------------------------------------------------------------ attachments
export function setAttachment(kind, file) {
  if (file) {
    const limit = kind === "image" ? ui.limits.max_image_bytes : ui.limits.max_audio_bytes;
    if (file.size > limit) {
      showError("composer-error", new Error(`The ${kind} is larger than ${(limit / 1048576).toFixed(0)} MiB.`));
      $(`${kind}-input`).value = "";
      return;
    }
    showError("composer-error", null);
  }
  ui.pending[kind] = file;
  if (!file) $(`${kind}-input`).value = "";
  const box = $("attachments");
  box.replaceChildren(...["image", "audio"].filter((k) => ui.pending[k]).map((k) => {
    const f = ui.pending[k];
    return el("span", { class: "chip", "data-kind": k },
      el("span", { class: "chip-name" }, `${k === "image" ? "Image" : "Voice"}: ${f.name} · ${(f.size / 1024).toFixed(0)} KiB`),
      el("button", { type: "button", "aria-label": `Remove the ${k === "image" ? "image" : "voice note"} ${f.name}`,
        onclick: () => { setAttachment(k, null); $("composer-text").focus(); } }, "×"));
  }));
}

// Recording a voice note in the browser (MediaRecorder).
const recorder = { mr: null, chunks: [], timer: null, started: 0, stream: null };

export function recordingSupported() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
}

function pickRecordingType() {
  for (const t of ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"]) {
    if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t)) return t;
  }
  return "";
}

export async function toggleRecording() {
  const btn = $("record-btn");
  if (recorder.mr && recorder.mr.state === "recording") { recorder.mr.stop(); return; }
  try {
    recorder.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) {
    showError("composer-error", new Error(`No microphone: ${err.message || err.name}`));
    return;
  }
  const type = pickRecordingType();
  recorder.mr = new MediaRecorder(recorder.stream, type ? { mimeType: type } : {});
  recorder.chunks = [];
  recorder.mr.ondataavailable = (e) => { if (e.data && e.data.size) recorder.chunks.push(e.data); };
  recorder.mr.onstop = () => {
    clearInterval(recorder.timer);
    recorder.stream.getTracks().forEach((t) => t.stop());
    const base = (recorder.mr.mimeType || type || "audio/webm").split(";")[0];
    const ext = base.includes("ogg") ? "ogg" : "webm";
    const blob = new Blob(recorder.chunks, { type: base });
    btn.setAttribute("aria-pressed", "false");
    $("record-label").textContent = "Record";
    if (blob.size) setAttachment("audio", new File([blob], `voice-note.${ext}`, { type: base }));
  };
  recorder.mr.start(250);
  recorder.started = Date.now();
  btn.setAttribute("aria-pressed", "true");
  $("record-label").textContent = "Stop 0:00";
  recorder.timer = setInterval(() => {
    const s = Math.floor((Date.now() - recorder.started) / 1000);
    $("record-label").textContent = `Stop ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    if (s >= MAX_RECORD_S) recorder.mr.stop();
  }, 250);
}
