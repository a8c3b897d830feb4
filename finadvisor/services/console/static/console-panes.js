/* finadvisor analyst console, a module of console.js.
 *
 * The state pane, the credit pane (decision, PD scale, reasons) and the what-if form. */

import { $, api, CHOICES, clamp, el, icon, money, MONEY_SLOTS, pct, PROFILE_FIELDS, showError,
  slotDisplay, SLOTS, svg, ui, WHATIF_FIELDS } from "./console-core.js";

// ------------------------------------------------------------------ state pane
export function renderState(state) {
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

export function renderCredit(c, origin) {
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
export function applyOntology(o) {
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

export function fillSelects() {
  for (const [name, values] of Object.entries(CHOICES)) {
    const sel = $(`wi-${name}`);
    if (!sel) continue;
    sel.replaceChildren(el("option", { value: "" }, "unknown"),
      ...values.map((v) => el("option", { value: v }, v.replace(/_/g, " "))));
  }
}

export function fillWhatIf() {
  const slots = (ui.state && ui.state.slots) || {};
  const profile = (ui.session && ui.session.profile) || {};
  for (const name of WHATIF_FIELDS) {
    const input = $(`wi-${name}`);
    input.value = slots[name] ? slots[name].value : (profile[name] || "");
  }
  for (const name of PROFILE_FIELDS) $(`wi-${name}`).value = profile[name] || "";
}

export async function onWhatIf(ev) {
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
