/* Sign-in for the analyst console (see finadvisor/services/console/login.py).
   Runs before console.js: asks /api/me, shows the sign-in form when nobody is signed in, and
   reloads the page once signed in, so the console starts with a login cookie (HttpOnly: this
   script never sees it). */
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function showForm() {
    var overlay = byId("login-overlay");
    overlay.hidden = false;
    document.body.classList.add("signed-out");
    byId("login-user").focus();
  }

  async function submit(event) {
    event.preventDefault();
    var key = byId("login-key").value.trim();
    var body = key ? { key: key }
                   : { user: byId("login-user").value.trim(),
                       password: byId("login-password").value };
    var error = byId("login-error");
    error.textContent = "";
    byId("login-submit").disabled = true;
    try {
      var resp = await fetch("/api/login", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
      });
      if (resp.ok) {
        window.location.reload();
        return;
      }
      var data = await resp.json().catch(function () { return {}; });
      error.textContent = (data.error && data.error.message) || ("sign-in failed (" + resp.status + ")");
    } catch (e) {
      error.textContent = "the console does not answer";
    } finally {
      byId("login-submit").disabled = false;
    }
  }

  async function check() {
    byId("login-form").addEventListener("submit", submit);
    try {
      var resp = await fetch("/api/me", { credentials: "same-origin" });
      document.body.dataset.login = resp.status === 401 ? "out" : "in";
      if (resp.status === 401) showForm();
    } catch (e) { /* the console itself is down: console.js says so */ }
  }

  document.addEventListener("DOMContentLoaded", check);
})();
