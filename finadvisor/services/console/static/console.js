/* finadvisor risk analyst console: plain JS, no build step, no network beyond this origin.
 *
 * The page talks only to the console's JSON API (/api/...), which maps one-to-one to the
 * gateway's public RPCs. Everything is drawn here: the attention heatmap on a canvas, the
 * findings and the credit scale as inline SVG, so the page works on an offline machine. */
"use strict";

(() => {
  // ------------------------------------------------------------------ ontology (DESIGN.md v1)
  // The server's vocabulary (finadvisor/ontology.py) replaces these lists as soon as /api/info
  // answers (applyOntology); they only stand in while the gateway cannot be reached.
  const SLOTS = ["product", "loan_amount", "currency", "loan_term_months", "loan_purpose",
    "monthly_income", "monthly_debt", "employment_status", "employment_years", "age",
    "dependents", "housing", "investment_amount", "investment_horizon_years", "risk_tolerance"];
  const CHOICES = {
    loan_purpose: ["car", "home", "education", "business", "debt_consolidation", "renovation",
      "travel", "medical", "other"],
    employment_status: ["employed", "self_employed", "unemployed", "retired", "student"],
    housing: ["own", "rent", "living_with_family"],
    checking_status: ["no_account", "negative", "low", "high"],
    credit_history: ["no_credits", "all_paid_here", "existing_paid", "past_delay", "critical"],
    savings_status: ["none", "low", "medium", "high", "very_high"],
  };
  const MONEY_SLOTS = new Set(["loan_amount", "monthly_income", "monthly_debt",
    "investment_amount"]);
  const WHATIF_FIELDS = ["loan_amount", "currency", "loan_term_months", "loan_purpose",
    "monthly_income", "monthly_debt", "employment_status", "employment_years", "age",
    "dependents", "housing"];
  const PROFILE_FIELDS = ["checking_status", "credit_history", "savings_status",
    "existing_credits"];
  const MAX_RECORD_S = 60;

  // ------------------------------------------------------------------ page state
  const ui = {
    session: null,          // {session_id, profile, history}
    state: null,            // last DialogueState
    credit: null,           // last CreditAssessment shown
    limits: { max_image_bytes: 10 * 1024 * 1024, max_audio_bytes: 5 * 1024 * 1024,
              max_text_chars: 2000 },
    infoDegraded: [],
    turnDegraded: [],
    gatewayDown: false,
    pending: { image: null, audio: null },   // File objects waiting to be sent
    retry: null,            // {signature, request_id} of a turn that failed retryably
    sending: false,
    heat: null,             // attention drawn now
  };

  // ------------------------------------------------------------------ helpers
  const $ = (id) => document.getElementById(id);
  const SVG_NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined) continue;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c) node.append(c);
    return node;
  }

  const pct = (x, digits = 1) => `${(Number(x || 0) * 100).toFixed(digits)}%`;
  const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));

  function money(value, currency) {
    if (value === undefined || value === null || value === "") return "—";
    const n = Number(value);
    const s = Number.isFinite(n)
      ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : String(value);
    return currency ? `${s} ${currency}` : s;
  }

  function slotDisplay(name, value, slots) {
    if (MONEY_SLOTS.has(name)) {
      const cur = slots && slots.currency ? slots.currency.value : "";
      return money(value, cur);
    }
    return value;
  }

  function timeAgo(ms) {
    const t = Number(ms);
    if (!t) return "";
    const s = Math.max(0, (Date.now() - t) / 1000);
    if (s < 60) return "just now";
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    return new Date(t).toLocaleDateString();
  }

  function newRequestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  function shortId(id) { return id ? `${id.slice(0, 8)}…` : ""; }

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, url, body) {
    const opts = { method, headers: {} };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) {
      opts.body = JSON.stringify(body);
      opts.headers["Content-Type"] = "application/json";
    }
    let resp;
    try {
      resp = await fetch(url, opts);
    } catch (err) {
      throw new ApiError(0, "NETWORK", "the console does not answer (network error)");
    }
    let data = null;
    try { data = await resp.json(); } catch (_) { data = null; }
    if (!resp.ok) {
      const e = (data && data.error) || {};
      throw new ApiError(resp.status, e.code || `HTTP_${resp.status}`,
        e.message || resp.statusText || "request failed");
    }
    return data;
  }

  let toastTimer = null;
  function toast(msg) {
    const t = $("toast");
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  function showError(id, err) {
    const box = $(id);
    if (!err) { box.hidden = true; box.textContent = ""; return; }
    const status = err.status ? ` (HTTP ${err.status}${err.code ? ` ${err.code}` : ""})` : "";
    box.textContent = `${err.message || err}${status}`;
    box.hidden = false;
  }

  // ------------------------------------------------------------------ icons
  const ICONS = {
    text: "M3 4h10M3 8h10M3 12h6",
    image: "M2.5 3.5h11v9h-11zM2.5 11l3.5-3.5 3 3 2-2 2.5 2.5",
    audio: "M3 6v4M6 4v8M9 2v12M12 5v6",
    backend: "M3 3.5h10v3H3zM3 9.5h10v3H3z",
  };
  function icon(kind) {
    return svg("svg", { viewBox: "0 0 16 16", "aria-hidden": "true" },
      svg("path", { d: ICONS[kind] || ICONS.text }));
  }

  // ------------------------------------------------------------------ info + degraded banner
  async function loadInfo() {
    const pill = $("gateway-status");
    try {
      const info = await api("GET", "/api/info");
      ui.gatewayDown = false;
      ui.infoDegraded = info.degraded || [];
      if (info.limits) Object.assign(ui.limits, info.limits);
      if (info.ontology && !ui.ontologyLoaded) applyOntology(info.ontology);
      pill.dataset.state = ui.infoDegraded.length ? "degraded" : "ok";
      const gw = info.gateway || {};
      $("gateway-status-text").textContent = ui.infoDegraded.length
        ? `Gateway up · ${ui.infoDegraded.length} degraded`
        : `Gateway up${gw.version ? ` · v${gw.version}` : ""}`;
      renderServices(info);
    } catch (err) {
      ui.gatewayDown = true;
      ui.infoDegraded = [];
      pill.dataset.state = "down";
      $("gateway-status-text").textContent = "Gateway unreachable";
      $("services-list").replaceChildren(el("p", { class: "small" }, err.message));
    }
    renderBanner();
  }

  function renderServices(info) {
    const box = $("services-list");
    const rows = [];
    const entries = [["gateway", info.gateway || {}],
      ...Object.entries(info.services || {}).sort(([a], [b]) => a.localeCompare(b))];
    for (const [name, svc] of entries) {
      const versions = Object.entries(svc.model_versions || {})
        .map(([m, v]) => `${m} ${v}`).join(", ");
      rows.push(el("div", { class: "svc" },
        el("div", { class: "svc-name" }, name, " ",
          el("span", { class: "muted" }, svc.version ? `v${svc.version}` : "")),
        versions ? el("div", { class: "muted" }, versions) : null,
        (svc.capabilities || []).length ? el("div", { class: "svc-caps" },
          svc.capabilities.map((c) => el("span", {
            class: `tag ${c.available ? "tag-ok" : "tag-warn"}`,
            title: c.detail || "",
          }, `${c.name}${c.available ? "" : " off"}`))) : null));
    }
    for (const name of ["state", "generator", "vision", "voice"]) {
      if (!(info.services || {})[name]) {
        rows.push(el("div", { class: "svc" }, el("div", { class: "svc-name" }, name, " "),
          el("span", { class: "tag tag-bad" }, "not answering")));
      }
    }
    box.replaceChildren(...rows);
  }

  function renderBanner() {
    const parts = [];
    if (ui.gatewayDown) parts.push("The gateway does not answer; turns cannot be sent.");
    if (ui.turnDegraded.length) {
      parts.push(`Last turn ran without: ${ui.turnDegraded.join(", ")}.`);
    }
    const now = ui.infoDegraded.filter((n) => !ui.turnDegraded.includes(n));
    if (now.length) parts.push(`Not available now: ${now.join(", ")}.`);
    $("degraded-text").textContent = parts.join(" ");
    $("degraded-banner").hidden = parts.length === 0;
  }

  // ------------------------------------------------------------------ sessions
  async function loadSessions() {
    try {
      const data = await api("GET", "/api/sessions?limit=50");
      renderSessions(data.sessions || []);
    } catch (err) {
      $("session-list").replaceChildren(el("li", { class: "small muted" },
        `Sessions unavailable: ${err.message}`));
    }
  }

  function renderSessions(list) {
    const ul = $("session-list");
    $("sessions-empty").hidden = list.length > 0;
    ul.replaceChildren(...list.map((s) => {
      const current = ui.session && ui.session.session_id === s.session_id;
      const turns = Number(s.turn_count || 0);
      return el("li", {},
        el("button", {
          type: "button", class: "session-item", "data-session": s.session_id,
          "aria-current": current ? "true" : null,
          "aria-label": `Open session ${s.session_id}, ${turns} turns`,
          onclick: () => openSession(s.session_id),
        },
        el("span", { class: "session-id" }, shortId(s.session_id)),
        el("span", { class: "session-meta" },
          `${turns} turn${turns === 1 ? "" : "s"}`,
          s.active_intent ? ` · ${s.active_intent}` : "",
          s.updated_ms ? ` · ${timeAgo(s.updated_ms)}` : "")));
    }));
  }

  function setSession(session) {
    ui.session = session;
    const id = session ? session.session_id : "";
    $("session-meta").replaceChildren(session
      ? el("span", {}, "Session ", el("code", { title: id }, id))
      : "No session open");
    const exp = $("export-link");
    if (session) {
      exp.href = `/api/sessions/${encodeURIComponent(id)}/export`;
      exp.setAttribute("download", `finadvisor-session-${id}.json`);
      exp.removeAttribute("aria-disabled");
      exp.removeAttribute("tabindex");
    } else {
      exp.href = "#";
      exp.setAttribute("aria-disabled", "true");
      exp.setAttribute("tabindex", "-1");
    }
    $("replay-btn").disabled = !session;
    $("end-btn").disabled = !session;
    for (const b of document.querySelectorAll(".session-item")) {
      if (b.dataset.session === id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    }
  }

  function clearPanes() {
    const t = $("transcript");
    t.replaceChildren($("transcript-empty") || el("div"));
    renderState(null);
    renderCredit(null);
    renderAttention(null);
    renderFindings(null, {});
    $("whatif-result").replaceChildren();
    ui.turnDegraded = [];
    renderBanner();
  }

  async function startSession(profile) {
    const body = profile && Object.keys(profile).length ? { profile } : {};
    const resp = await api("POST", "/api/sessions", body);
    clearPanes();
    setSession({ session_id: resp.session_id, profile: profile || {}, history: [] });
    renderState(resp.state);
    $("chat-sub").textContent = `new · expires after ${Math.round(Number(resp.ttl_seconds || 0) / 3600)} h idle`;
    loadSessions();
    return resp;
  }

  async function openSession(id) {
    try {
      const [data, audit] = await Promise.all([
        api("GET", `/api/sessions/${encodeURIComponent(id)}`),
        api("GET", `/api/sessions/${encodeURIComponent(id)}/audit?limit=200`)
          .catch(() => ({ records: [] })),
      ]);
      clearPanes();
      setSession({ session_id: id, profile: data.profile || {}, history: data.history || [] });
      const empty = $("transcript-empty");
      if (empty) empty.remove();
      const history = data.history || [];
      addNote(`Stored session · ${history.length} turn${history.length === 1 ? "" : "s"} · ` +
        `opened ${new Date(Number(data.created_ms || Date.now())).toLocaleString()}`);
      for (const h of history) {
        addUserMessage(h.text || "", {
          source: h.text_source, imageType: h.image_type, turn: h.turn,
        });
        addStoredReply(h);
      }
      renderState(data.state);
      const decisions = (audit.records || []).filter((r) => r.kind === "credit_decision");
      if (decisions.length) {
        const last = decisions[decisions.length - 1];
        renderCredit({
          probability_of_default: last.probability_of_default, decision: last.decision,
          reasons: (last.reasons || []).map((code) => ({ code, description: "", contribution: 0 })),
          model_version: (last.model_versions || {}).credit || "",
        }, `from the audit record of request ${shortId(last.request_id)}`);
      }
      $("chat-sub").textContent = `stored · ${history.length} turns`;
      fillWhatIf();
      scrollTranscript();
    } catch (err) {
      toast(`Cannot open the session: ${err.message}`);
    }
  }

  async function endSession() {
    if (!ui.session) return;
    try {
      await api("DELETE", `/api/sessions/${encodeURIComponent(ui.session.session_id)}`);
      toast("Session closed; it expires after its idle time.");
      setSession(null);
      clearPanes();
      $("chat-sub").textContent = "";
      loadSessions();
    } catch (err) {
      toast(`Cannot end the session: ${err.message}`);
    }
  }

  /* Replay: the stored customer turns, in order, into a fresh session with the same profile,
   * so an analyst sees how today's models answer the same dialogue (stored reply shown under
   * each new one). Images and voice notes are not kept by the gateway, only their kind. */
  async function replaySession() {
    if (!ui.session || ui.sending) return;
    const source = ui.session;
    let history = source.history;
    if (!history || !history.length) {
      const data = await api("GET", `/api/sessions/${encodeURIComponent(source.session_id)}`);
      history = data.history || [];
      source.profile = data.profile || {};
    }
    if (!history.length) { toast("Nothing to replay: the session has no turns."); return; }
    try {
      await startSession(source.profile);
    } catch (err) { toast(`Cannot start the replay: ${err.message}`); return; }
    const empty = $("transcript-empty");
    if (empty) empty.remove();
    addNote(`Replay of ${shortId(source.session_id)} · ${history.length} turns`);
    for (const h of history) {
      if (!h.text) {
        addNote(`Turn ${h.turn + 1} had only ${h.image_type ? `an image (${h.image_type})` : "an attachment"}; attachments are not stored, skipped.`);
        continue;
      }
      const ok = await sendTurn({ text: h.text, stored: h, files: {} });
      if (!ok) break;
    }
    $("chat-sub").textContent = `replay of ${shortId(source.session_id)}`;
  }

  // ------------------------------------------------------------------ transcript
  function scrollTranscript() {
    const t = $("transcript");
    t.scrollTop = t.scrollHeight;
  }

  function addNote(text) {
    const empty = $("transcript-empty");
    if (empty) empty.remove();
    $("transcript").append(el("div", { class: "msg msg-note" }, el("div", { class: "bubble" }, text)));
    scrollTranscript();
  }

  function addUserMessage(text, opts = {}) {
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

  function addStoredReply(h) {
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

  async function sendTurn({ text, files, stored }) {
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

  async function onSubmit(ev) {
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
  function setAttachment(kind, file) {
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

  function recordingSupported() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  }

  function pickRecordingType() {
    for (const t of ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm"]) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t)) return t;
    }
    return "";
  }

  async function toggleRecording() {
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

  // ------------------------------------------------------------------ state pane
  function renderState(state) {
    ui.state = state;
    const body = $("slots-body");
    const slots = (state && state.slots) || {};
    const changed = new Set((state && state.changed_slots) || []);
    const names = Object.keys(slots).sort((a, b) => {
      const ia = SLOTS.indexOf(a); const ib = SLOTS.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    $("active-intent").textContent = (state && state.active_intent) || "—";
    const ic = state ? Number(state.intent_confidence || 0) : 0;
    $("intent-meter").style.width = `${clamp(ic, 0, 1) * 100}%`;
    $("intent-confidence").textContent = state && state.active_intent ? pct(ic, 0) : "";
    $("state-turns").textContent = state ? `${Number(state.turn_count || 0)} turn${Number(state.turn_count) === 1 ? "" : "s"} applied` : "";
    if (!names.length) {
      body.replaceChildren(el("tr", { class: "placeholder" }, el("td", { colspan: "5" }, "No slot filled yet.")));
    } else {
      body.replaceChildren(...names.map((name) => {
        const s = slots[name];
        const conf = clamp(Number(s.confidence || 0), 0, 1);
        const fill = el("span", { class: "meter-fill" });
        fill.style.width = `${conf * 100}%`;
        const src = s.source || "text";
        return el("tr", { class: changed.has(name) ? "changed" : "", "data-slot": name },
          el("td", {}, el("span", { class: "slot-name" }, name),
            changed.has(name) ? el("span", { class: "changed-dot", title: "changed this turn" }) : null,
            changed.has(name) ? el("span", { class: "visually-hidden" }, " (changed this turn)") : null),
          el("td", { class: "slot-value", "data-value": s.value, title: s.value },
            slotDisplay(name, s.value, slots)),
          el("td", {}, el("span", { class: "conf" },
            el("span", { class: "meter", role: "img", "aria-label": `confidence ${pct(conf, 0)}` }, fill),
            el("span", { class: "small num" }, pct(conf, 0)))),
          el("td", {}, el("span", { class: `src src-${src}` }, icon(src), src),
            el("span", { class: "src-turn", "aria-hidden": "true" }, `turn ${Number(s.turn || 0) + 1}`)),
          el("td", { class: "num" }, String(Number(s.turn || 0) + 1)));
      }));
    }
    const missing = SLOTS.filter((n) => !(n in slots) && !n.startsWith("investment") && n !== "risk_tolerance");
    $("slots-missing").textContent = state && missing.length ? `Not known yet: ${missing.join(", ")}.` : "";
  }

  // ------------------------------------------------------------------ credit pane
  function decisionClass(d) { return `decision decision-${["approve", "refer", "decline"].includes(d) ? d : "refer"}`; }

  function pdScale(pd) {
    // A 0-100 % scale, green to red, with the applicant's PD marked.
    const w = 320; const h = 34; const x = 8 + clamp(pd, 0, 1) * (w - 16);
    const grad = svg("linearGradient", { id: `pdgrad-${Math.random().toString(36).slice(2, 8)}` },
      svg("stop", { offset: "0", "stop-color": "#2e9e62" }),
      svg("stop", { offset: "0.35", "stop-color": "#f0b429" }),
      svg("stop", { offset: "1", "stop-color": "#c2362b" }));
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => svg("text", {
      x: 8 + t * (w - 16), y: 32, "font-size": "9", fill: "#6b7885",
      "text-anchor": t === 0 ? "start" : t === 1 ? "end" : "middle", text: `${t * 100}%` }));
    return svg("svg", { class: "pd-scale", viewBox: `0 0 ${w} ${h}`, role: "img",
      "aria-label": `Probability of default ${pct(pd)} on a 0 to 100 percent scale` },
    svg("defs", {}, grad),
    svg("rect", { x: 8, y: 8, width: w - 16, height: 8, rx: 4, fill: `url(#${grad.id})` }),
    svg("path", { d: `M${x} 4 L${x - 5} -2 L${x + 5} -2 Z`, fill: "#17212b",
      transform: "translate(0 4)" }),
    svg("rect", { x: x - 1.5, y: 5, width: 3, height: 14, rx: 1, fill: "#17212b" }),
    ...ticks);
  }

  function creditView(c, compact) {
    const pd = Number(c.probability_of_default || 0);
    const aff = c.affordability || null;
    const cur = aff && aff.currency ? aff.currency : "";
    const nodes = [
      el("div", { class: "credit-summary" },
        el("div", {}, el("div", { class: "pd-figure", "data-pd": pd.toFixed(6) }, pct(pd)),
          el("div", { class: "pd-label" }, "Probability of default")),
        el("div", {}, el("span", { class: decisionClass(c.decision), "data-decision": c.decision },
          c.decision || "—"),
          c.decided_by ? el("span", { class: "tag decided-by", "data-decided-by": c.decided_by },
            `decided by ${c.decided_by.replace("_", " ")}`) : null, pdScale(pd))),
    ];
    if ((c.needs || []).length) {
      nodes.push(el("div", { class: "credit-section" }, el("h3", {}, "Still needed"),
        el("div", { class: "chips needs" }, c.needs.map((n) => el("span", { class: "tag" }, n)))));
    }
    const reasons = c.reasons || [];
    if (reasons.length) {
      const maxC = Math.max(...reasons.map((r) => Math.abs(Number(r.contribution || 0))), 1e-9);
      nodes.push(el("div", { class: "credit-section" }, el("h3", {}, "Reason codes (toward decline)"),
        el("ul", { class: "reasons" }, reasons.map((r) => {
          const bar = el("span");
          bar.style.width = `${clamp(Math.abs(Number(r.contribution || 0)) / maxC, 0, 1) * 100}%`;
          return el("li", { class: "reason" },
            el("span", { class: "reason-code" }, r.code),
            r.source ? el("span", { class: "tag reason-source", "data-source": r.source }, r.source) : null,
            Number(r.contribution) ? el("span", { class: "bar", role: "img",
              "aria-label": `contribution ${Number(r.contribution).toFixed(3)}` }, bar) : null,
            r.description ? el("span", { class: "reason-desc" }, r.description) : null);
        }))));
    } else if (!compact) {
      nodes.push(el("p", { class: "small muted credit-section" }, "No reason codes (none given on an approval)."));
    }
    if (aff && (aff.monthly_instalment || aff.max_affordable_amount)) {
      nodes.push(el("div", { class: "credit-section" }, el("h3", {}, "Affordability"),
        el("dl", { class: "kv affordability" },
          el("div", {}, el("dt", {}, "Monthly instalment"), el("dd", {}, money(aff.monthly_instalment, cur))),
          el("div", {}, el("dt", {}, "Debt-to-income"), el("dd", {}, pct(aff.debt_to_income))),
          el("div", {}, el("dt", {}, "Max affordable"), el("dd", {}, money(aff.max_affordable_amount, cur))),
          el("div", {}, el("dt", {}, "Rate"), el("dd", {}, `${Number(aff.annual_rate_percent || 0).toFixed(2)}% p.a.`)),
          el("div", {}, el("dt", {}, "Affordable"), el("dd", {},
            el("span", { class: `tag ${aff.affordable ? "tag-ok" : "tag-bad"}` }, aff.affordable ? "yes" : "no"))))));
    }
    if ((c.missing_features || []).length && !compact) {
      nodes.push(el("div", { class: "credit-section" }, el("h3", {}, "Treated as missing"),
        el("div", { class: "chips" }, c.missing_features.map((m) => el("span", { class: "tag" }, m)))));
    }
    return nodes;
  }

  function renderCredit(c, origin) {
    ui.credit = c;
    const body = $("credit-body");
    if (!c) {
      body.replaceChildren(el("p", { class: "muted small", id: "credit-empty" },
        "No assessment yet. The gateway scores once the state holds enough facts, or tick “Assess credit” before sending a turn."));
      $("credit-model").textContent = "";
      return;
    }
    $("credit-model").textContent = [c.model_version ? `model ${c.model_version}` : "", origin || ""]
      .filter(Boolean).join(" · ");
    body.replaceChildren(...creditView(c, false));
  }

  /* Current assessment next to the what-if one, row by row, with both PDs on one scale. */
  function compareView(base, c) {
    const pdNew = Number(c.probability_of_default || 0);
    const pdOld = base ? Number(base.probability_of_default || 0) : null;
    const delta = pdOld === null ? null : pdNew - pdOld;
    const affNew = c.affordability || {};
    const affOld = (base && base.affordability) || {};
    const codes = (x) => el("div", { class: "codes" },
      ((x && x.reasons) || []).length ? x.reasons.map((r) => el("span", {}, r.code)) : el("span", { class: "muted" }, "none"));
    const badge = (x) => el("span", { class: decisionClass(x.decision), "data-decision": x.decision }, x.decision || "—");
    const row = (label, a, b) => el("tr", {}, el("th", { scope: "row" }, label),
      base ? el("td", {}, a) : null, el("td", {}, b));
    const curr = affNew.currency || affOld.currency || "";
    const scale = pdScale(pdNew);
    if (pdOld !== null) {
      // the current PD as a hollow marker on the same scale
      const x = 8 + clamp(pdOld, 0, 1) * (320 - 16);
      scale.append(svg("circle", { cx: x, cy: 12, r: 5, fill: "#ffffff", stroke: "#4a5866", "stroke-width": "2" }));
      scale.setAttribute("aria-label", `What-if PD ${pct(pdNew)} against the current ${pct(pdOld)}`);
    }
    return el("div", { class: "compare-wrap" },
      el("table", { class: "compare" },
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""),
          base ? el("th", { scope: "col" }, "Current") : null, el("th", { scope: "col" }, "What-if"))),
        el("tbody", {},
          row("Probability of default",
            base ? el("span", { class: "pd-cell" }, pct(pdOld)) : null,
            el("span", {}, el("span", { class: "pd-cell pd-figure", "data-pd": pdNew.toFixed(6) }, pct(pdNew)),
              delta === null ? null : el("span", { class: delta > 0 ? "delta-up" : "delta-down" },
                ` ${delta > 0 ? "+" : "−"}${Math.abs(delta * 100).toFixed(1)} pts`))),
          row("Decision", base ? badge(base) : null, badge(c)),
          row("Reason codes", codes(base), codes(c)),
          row("Monthly instalment", money(affOld.monthly_instalment, curr), money(affNew.monthly_instalment, curr)),
          row("Debt-to-income", affOld.monthly_instalment ? pct(affOld.debt_to_income) : "—",
            affNew.monthly_instalment ? pct(affNew.debt_to_income) : "—"),
          row("Max affordable", money(affOld.max_affordable_amount, curr), money(affNew.max_affordable_amount, curr)))),
      el("div", { class: "whatif-scale" }, scale,
        pdOld !== null ? el("p", { class: "small muted" }, "Filled marker: what-if · hollow marker: current") : null));
  }

  /** The lists of the ontology from /api/info, in place (the page keeps the same objects). */
  function applyOntology(o) {
    ui.ontologyLoaded = true;
    if (Array.isArray(o.slots)) {  // the ontology says which slots; the page keeps its order
      const shown = SLOTS.filter((s) => o.slots.includes(s));
      SLOTS.splice(0, SLOTS.length, ...shown, ...o.slots.filter((s) => !shown.includes(s)));
    }
    for (const [slot, values] of Object.entries(o.categorical_values || {})) {
      if (slot in CHOICES) CHOICES[slot] = values;  // the selects the page has
    }
    if (Array.isArray(o.amount_slots)) {
      MONEY_SLOTS.clear();
      o.amount_slots.forEach((s) => MONEY_SLOTS.add(s));
    }
    fillSelects();
  }

  function fillSelects() {
    for (const [name, values] of Object.entries(CHOICES)) {
      const sel = $(`wi-${name}`);
      if (!sel) continue;
      sel.replaceChildren(el("option", { value: "" }, "unknown"),
        ...values.map((v) => el("option", { value: v }, v.replace(/_/g, " "))));
    }
  }

  function fillWhatIf() {
    const slots = (ui.state && ui.state.slots) || {};
    const profile = (ui.session && ui.session.profile) || {};
    for (const name of WHATIF_FIELDS) {
      const input = $(`wi-${name}`);
      input.value = slots[name] ? slots[name].value : (profile[name] || "");
    }
    for (const name of PROFILE_FIELDS) $(`wi-${name}`).value = profile[name] || "";
  }

  async function onWhatIf(ev) {
    ev.preventDefault();
    showError("whatif-error", null);
    const applicant = { profile: {} };
    for (const name of WHATIF_FIELDS) {
      const v = $(`wi-${name}`).value.trim();
      if (v !== "") applicant[name] = name === "currency" ? v.toUpperCase() : v;
    }
    for (const name of PROFILE_FIELDS) {
      const v = $(`wi-${name}`).value.trim();
      if (v !== "") applicant.profile[name] = v;
    }
    const btn = $("whatif-submit");
    btn.disabled = true;
    try {
      const resp = await api("POST", "/api/credit", { applicant });
      const c = resp.credit || {};
      $("whatif-result").replaceChildren(compareView(ui.credit, c));
    } catch (err) {
      showError("whatif-error", err);
    } finally {
      btn.disabled = false;
    }
  }

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

  function renderAttention(att) {
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

  function bindHeatmap() {
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

  function renderFindings(f, urls, turn) {
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

  // ------------------------------------------------------------------ wiring
  function init() {
    fillSelects();
    bindHeatmap();
    $("composer").addEventListener("submit", onSubmit);
    $("composer-text").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("image-input").addEventListener("change", (ev) => setAttachment("image", ev.target.files[0] || null));
    $("audio-input").addEventListener("change", (ev) => setAttachment("audio", ev.target.files[0] || null));
    const rec = $("record-btn");
    if (recordingSupported()) rec.addEventListener("click", toggleRecording);
    else {
      rec.disabled = true;
      rec.title = "Recording needs MediaRecorder and a microphone (use “Voice file” instead)";
    }
    $("new-session").addEventListener("click", async () => {
      try {
        await startSession();
        toast("New session started.");
        $("composer-text").focus();
      } catch (err) { toast(`Cannot start a session: ${err.message}`); }
    });
    $("sessions-refresh").addEventListener("click", loadSessions);
    $("sessions-toggle").addEventListener("click", (ev) => {
      const open = $("sessions-body").classList.toggle("open");
      ev.currentTarget.setAttribute("aria-expanded", String(open));
      ev.currentTarget.textContent = open ? "Hide" : "Show";
    });
    $("end-btn").addEventListener("click", endSession);
    $("replay-btn").addEventListener("click", replaySession);
    $("export-link").addEventListener("click", (ev) => { if (!ui.session) ev.preventDefault(); });
    $("whatif-form").addEventListener("submit", onWhatIf);
    $("whatif-reset").addEventListener("click", fillWhatIf);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") {
        const d = $("services");
        if (d.open) { d.open = false; $("gateway-status").focus(); }
      }
    });
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (ui.heat) {
          const last = { input_tokens: ui.heat.ins, output_tokens: ui.heat.outs,
            rows: ui.heat.W.map((w) => ({ weights: w })) };
          renderAttention(last);
        }
      }, 150);
    });
    setSession(null);
    loadInfo();
    loadSessions();
    setInterval(loadInfo, 20000);
    window.finadvisorConsole = ui;  // for tests and the browser devtools
  }

  document.addEventListener("DOMContentLoaded", init);
})();
