/* finadvisor analyst console, a module of console.js.
 *
 * The services and degraded banner (/api/info) and the sessions: list, start, open, end,
 * replay. */

import { $, api, el, shortId, timeAgo, toast, ui } from "./console-core.js";
import { addNote, addStoredReply, addUserMessage, scrollTranscript, sendTurn } from "./console-turns.js";
import { applyOntology, fillWhatIf, renderCredit, renderState } from "./console-panes.js";
import { renderAttention, renderFindings } from "./console-pictures.js";

// ------------------------------------------------------------------ info + degraded banner
export async function loadInfo() {
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

export function renderBanner() {
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
export async function loadSessions() {
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

export function setSession(session) {
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

export async function startSession(profile) {
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

export async function endSession() {
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
export async function replaySession() {
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
