/* finadvisor analyst console, a module of console.js.
 *
 * The page's vocabulary (until /api/info answers), its state (`ui`) and the helpers every
 * part uses: DOM and SVG builders, formatting, the JSON API call, toasts and icons. */

// ------------------------------------------------------------------ ontology (DESIGN.md v1)
// The server's vocabulary (finadvisor/ontology.py) replaces these lists as soon as /api/info
// answers (applyOntology); they only stand in while the gateway cannot be reached.
export const SLOTS = ["product", "loan_amount", "currency", "loan_term_months", "loan_purpose",
  "monthly_income", "monthly_debt", "employment_status", "employment_years", "age",
  "dependents", "housing", "investment_amount", "investment_horizon_years", "risk_tolerance"];
export const CHOICES = {
  loan_purpose: ["car", "home", "education", "business", "debt_consolidation", "renovation",
    "travel", "medical", "other"],
  employment_status: ["employed", "self_employed", "unemployed", "retired", "student"],
  housing: ["own", "rent", "living_with_family"],
  checking_status: ["no_account", "negative", "low", "high"],
  credit_history: ["no_credits", "all_paid_here", "existing_paid", "past_delay", "critical"],
  savings_status: ["none", "low", "medium", "high", "very_high"],
};
export const MONEY_SLOTS = new Set(["loan_amount", "monthly_income", "monthly_debt",
  "investment_amount"]);
export const WHATIF_FIELDS = ["loan_amount", "currency", "loan_term_months", "loan_purpose",
  "monthly_income", "monthly_debt", "employment_status", "employment_years", "age",
  "dependents", "housing"];
export const PROFILE_FIELDS = ["checking_status", "credit_history", "savings_status",
  "existing_credits"];
export const MAX_RECORD_S = 60;

// ------------------------------------------------------------------ page state
export const ui = {
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
export const $ = (id) => document.getElementById(id);
const SVG_NS = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, ...children) {
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

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) node.append(c);
  return node;
}

export const pct = (x, digits = 1) => `${(Number(x || 0) * 100).toFixed(digits)}%`;
export const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));

export function money(value, currency) {
  if (value === undefined || value === null || value === "") return "—";
  const n = Number(value);
  const s = Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : String(value);
  return currency ? `${s} ${currency}` : s;
}

export function slotDisplay(name, value, slots) {
  if (MONEY_SLOTS.has(name)) {
    const cur = slots && slots.currency ? slots.currency.value : "";
    return money(value, cur);
  }
  return value;
}

export function timeAgo(ms) {
  const t = Number(ms);
  if (!t) return "";
  const s = Math.max(0, (Date.now() - t) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export function newRequestId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function shortId(id) { return id ? `${id.slice(0, 8)}…` : ""; }

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export async function api(method, url, body) {
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
export function toast(msg) {
  const t = $("toast");
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
}

export function showError(id, err) {
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
export function icon(kind) {
  return svg("svg", { viewBox: "0 0 16 16", "aria-hidden": "true" },
    svg("path", { d: ICONS[kind] || ICONS.text }));
}
