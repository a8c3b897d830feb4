/* finadvisor risk analyst console: plain JS, no build step, no network beyond this origin.
 *
 * The page talks only to the console's JSON API (/api/...), which maps one-to-one to the
 * gateway's public RPCs. Everything is drawn here: the attention heatmap on a canvas, the
 * findings and the credit scale as inline SVG, so the page works on an offline machine.
 *
 * ES modules, loaded by index.html from this entry point (the wiring):
 *   console-core.js      vocabulary, page state, helpers, the API call
 *   console-sessions.js  services banner and sessions
 *   console-turns.js     transcript, sending a turn, attachments, recording
 *   console-panes.js     state, credit and what-if panes
 *   console-pictures.js  attention heatmap and findings pictures */

import { $, toast, ui } from "./console-core.js";
import { endSession, loadInfo, loadSessions, replaySession, setSession, startSession } from "./console-sessions.js";
import { onSubmit, recordingSupported, setAttachment, toggleRecording } from "./console-turns.js";
import { fillSelects, fillWhatIf, onWhatIf } from "./console-panes.js";
import { bindHeatmap, renderAttention } from "./console-pictures.js";

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
