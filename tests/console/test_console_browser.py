"""The analyst console in headless Chromium against the real stack (`finadvisor up`).

A whole loan dialogue with a payslip upload is played through the page. What the page shows is
checked against what the gateway answered (the console API's responses, recorded in the page)
and against independent reads (GetSession, the audit records, AssessCredit); screenshots of
each pane go to test-artifacts/console/. Layout at 1280×800 and 390×844 and keyboard-only use
are checked too."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(900)]

DIALOGUE = [
    ("Hello, I'd like to borrow 15,000 dollars to buy a car", False, False),
    ("I would like to repay it over 36 months", False, False),
    ("Here is my latest payslip", True, False),
    ("I'm employed, for 6 years now, I'm 34 years old and I rent my flat", False, False),
    ("I have no other debts and no dependents", False, True),
]
#: Records every JSON answer of the turns route, so the test compares the page to the gateway.
RECORD_TURNS = """
window.__turns = window.__turns || [];
if (!window.__recording) {
  window.__recording = true;
  const orig = window.fetch;
  window.fetch = async (...args) => {
    const resp = await orig(...args);
    if (String(args[0]).endsWith('/turns') && resp.ok) {
      const body = await resp.clone().json();
      window.__turns.push(body);
    }
    return resp;
  };
}
"""


# -- helpers ----------------------------------------------------------------------------------
def wait(drv: Any, cond: Any, what: str, timeout: float = 90) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(drv, timeout, poll_frequency=0.1).until(cond)
    except TimeoutException:
        errors = drv.execute_script(
            "return Array.from(document.querySelectorAll('.form-error:not([hidden])'))"
            ".map(e => e.textContent)")
        raise AssertionError(f"page never showed: {what}; errors on the page: {errors}") from None


def by_id(drv: Any, id_: str) -> Any:
    from selenium.webdriver.common.by import By

    return drv.find_element(By.ID, id_)


def css(drv: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, selector)


def sign_in(drv: Any, console: Any) -> None:
    """Through the page's own sign-in form (once per browser: the cookie stays)."""
    wait(drv, lambda d: d.execute_script("return document.body.dataset.login || ''"),
         "the sign-in check")
    if drv.execute_script("return document.body.dataset.login") == "in":
        return
    by_id(drv, "login-user").send_keys(console.user)
    by_id(drv, "login-password").send_keys(console.password)
    by_id(drv, "login-submit").click()
    wait(drv, lambda d: d.execute_script("return document.body.dataset.login") == "in",
         "the console after signing in")


def open_page(drv: Any, console: Any) -> None:
    drv.get(console.url)
    sign_in(drv, console)
    wait(drv, lambda d: by_id(d, "gateway-status").get_attribute("data-state") != "unknown",
         "the gateway status")
    drv.execute_script(RECORD_TURNS)


def send_turn(drv: Any, text: str, image: Path | None = None, assess: bool = False,
              ) -> dict[str, Any]:
    from selenium.webdriver.common.keys import Keys

    before = drv.execute_script("return window.__turns.length")
    box = by_id(drv, "composer-text")
    box.clear()
    box.send_keys(text)
    if image is not None:
        by_id(drv, "image-input").send_keys(str(image))
        wait(drv, lambda d: css(d, '.chip[data-kind="image"]'), "the image chip")
    checkbox = by_id(drv, "assess")
    if checkbox.is_selected() != assess:
        checkbox.click()
    box.send_keys(Keys.ENTER)
    wait(drv, lambda d: d.execute_script("return window.__turns.length") > before
         and by_id(d, "send-btn").is_enabled(), f"the reply to {text!r}")
    return drv.execute_script("return window.__turns[window.__turns.length - 1]")


def shown_slots(drv: Any) -> dict[str, dict[str, Any]]:
    return drv.execute_script("""
      const out = {};
      for (const tr of document.querySelectorAll('#slots-body tr[data-slot]')) {
        const td = tr.querySelectorAll('td');
        out[tr.dataset.slot] = {value: td[1].dataset.value, source: td[3].querySelector('.src').textContent.trim(),
          turn: Number(td[4].textContent), changed: tr.classList.contains('changed')};
      }
      return out;""")


def check_state_pane(drv: Any, state: dict[str, Any]) -> None:
    """Every slot of the gateway's state is on the page with its value, source and turn; the
    changed ones (and only those) are highlighted."""
    shown = shown_slots(drv)
    slots = state.get("slots", {})
    assert set(shown) == set(slots), (shown, slots)
    changed = set(state.get("changed_slots", []))
    for name, slot in slots.items():
        assert shown[name]["value"] == slot["value"], name
        assert shown[name]["source"] == slot["source"], name
        assert shown[name]["turn"] == slot["turn"] + 1, name
        assert shown[name]["changed"] == (name in changed), name
    assert by_id(drv, "active-intent").text == (state.get("active_intent") or "—")


def pane_screenshots(drv: Any, viewport: Any, out: Path, prefix: str) -> None:
    """Each pane as its own picture; a tall viewport so no pane is cut by its scroller."""
    viewport(1280, 2200)
    for pane in ("chat-pane", "state-pane", "credit-pane", "attention-pane", "findings-pane"):
        el = by_id(drv, pane)
        drv.execute_script("arguments[0].scrollIntoView({block: 'start'})", el)
        el.screenshot(str(out / f"{prefix}{pane}.png"))
    viewport(1280, 800)


@pytest.fixture(scope="module")
def payslip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A payslip as the vision model was trained to read: the project's own renderer."""
    from finadvisor.services.vision.render import render_sample

    path = tmp_path_factory.mktemp("upload") / "payslip.png"
    render_sample("payslip", 5, split="heldout", degrade=0.0).image.save(path, format="PNG")
    return path


# -- the loan dialogue ------------------------------------------------------------------------
def test_loan_dialogue_with_a_payslip_through_the_page(
        driver: Any, stack_console: Any, payslip: Path, artifacts_dir: Path,
        viewport: Any) -> None:
    drv, console = driver, stack_console
    viewport(1280, 800)
    open_page(drv, console)
    answers = []
    for text, with_image, assess in DIALOGUE:
        resp = send_turn(drv, text, payslip if with_image else None, assess)
        answers.append(resp)
        assert resp["reply"], text
        check_state_pane(drv, resp["state"])
        replies = [e.text for e in css(drv, ".reply-text")]
        assert replies[-1] == resp["reply"]
        alts = [e.text for e in css(drv, ".msg-advisor:last-child .alt-reply")]
        assert alts == [a["reply"] for a in resp["alternatives"]]
    sid = answers[0]["session_id"]
    assert all(a["session_id"] == sid for a in answers)
    assert [a["turn"] for a in answers] == list(range(len(DIALOGUE)))

    # The state the page shows last is the one the gateway keeps.
    status, stored = console.api("GET", f"/api/sessions/{sid}")
    assert status == 200
    assert {k: v["value"] for k, v in stored["state"]["slots"].items()} == \
        {k: v["value"] for k, v in shown_slots(drv).items()}
    assert [h["text"] for h in stored["history"]] == [t for t, _, _ in DIALOGUE]

    # The payslip turn: the exact bytes reached the gateway; findings drawn as pictures.
    image_turn = answers[2]
    status, audit = console.api("GET", f"/api/sessions/{sid}/audit?limit=100")
    assert status == 200
    turn_records = [r for r in audit["records"] if r["kind"] == "turn"]
    by_request = {r["request_id"]: r for r in turn_records}
    assert by_request[image_turn["request_id"]]["input_hashes"]["image"] == \
        hashlib.sha256(payslip.read_bytes()).hexdigest()
    assert "vision" not in image_turn["degraded"], image_turn["degraded"]
    img = image_turn["findings"]["image"]
    assert img["image_type"], "vision found no image type"
    assert by_id(drv, "findings-turn").text == "from turn 3"
    assert css(drv, "[data-image-type]")[0].get_attribute("data-image-type") == img["image_type"]
    bars = drv.execute_script(
        "return Array.from(document.querySelectorAll('.finding-image svg.bars')[0]"
        ".querySelectorAll('g[data-label]')).map(g => [g.dataset.label, Number(g.dataset.p)])")
    assert {k for k, _ in bars} == set(img["type_probabilities"])
    for label, p in bars:
        assert p == pytest.approx(img["type_probabilities"][label], abs=1e-4)
    assert bars[0][0] == img["image_type"] or \
        img["type_probabilities"][bars[0][0]] >= img["type_probabilities"][img["image_type"]]
    fields = drv.execute_script(
        "return Array.from(document.querySelectorAll('.fields li')).map(li => "
        "[li.dataset.field, li.querySelector('.f-value').textContent])")
    assert fields == [[f["name"], f["value"]] for f in img["fields"]]
    assert css(drv, ".msg-user img.thumb"), "the uploaded image is not in the chat"
    income = image_turn["state"]["slots"].get("monthly_income")
    if income and income["turn"] == 2:
        assert income["source"] == "image"

    # Credit: what the page shows is the assessment of the last turn, as audited.
    credit = answers[-1]["credit"]
    assert credit and credit["decision"] in ("approve", "refer", "decline"), answers[-1]
    pd_el = css(drv, "#credit-body .pd-figure")[0]
    assert float(pd_el.get_attribute("data-pd")) == pytest.approx(
        credit["probability_of_default"], abs=1e-6)
    assert pd_el.text == f"{credit['probability_of_default'] * 100:.1f}%"
    assert css(drv, "#credit-body [data-decision]")[0].text.lower() == credit["decision"]
    codes = [e.text for e in css(drv, "#credit-body .reason-code")]
    assert codes == [r["code"] for r in credit["reasons"]]
    # Which part decided, and what produced each reason (model, policy, domain, missing).
    assert css(drv, "#credit-body [data-decided-by]")[0].get_attribute(
        "data-decided-by") == credit["decided_by"]
    assert [e.get_attribute("data-source") for e in css(drv, "#credit-body .reason-source")] \
        == [r["source"] for r in credit["reasons"]]
    assert credit["model_version"] in by_id(drv, "credit-model").text
    decisions = [r for r in audit["records"] if r["kind"] == "credit_decision"
                 and r["request_id"] == answers[-1]["request_id"]]
    assert len(decisions) == 1
    assert decisions[0]["decision"] == credit["decision"]
    assert decisions[0]["probability_of_default"] == pytest.approx(
        credit["probability_of_default"], abs=1e-9)
    assert decisions[0]["reasons"] == codes
    aff = credit.get("affordability") or {}
    if aff.get("monthly_instalment"):
        assert css(drv, "#credit-body .affordability"), "affordability not drawn"

    # Attention heatmap of the last reply: its size and its strongest cell.
    att = answers[-1]["attention"]
    assert att["rows"] and att["input_tokens"] and att["output_tokens"], "no attention"
    n_out, n_in = len(att["output_tokens"]), len(att["input_tokens"])
    assert by_id(drv, "attention-dims").text == f"{n_out} output × {n_in} input tokens"
    assert by_id(drv, "heatmap").is_displayed()
    weights = [[float(w) for w in r["weights"]] for r in att["rows"]]
    best = max((w, i, j) for i, r in enumerate(weights) for j, w in enumerate(r))
    top = css(drv, "#heatmap-top li")[0].text
    assert top.endswith(f"{best[0]:.2f}")
    # Several cells may share the strongest weight: the page lists one of them first.
    tied = {att["output_tokens"][i] for i, r in enumerate(weights) for w in r
            if abs(w - best[0]) < 1e-6}
    assert any(top.startswith(tok) for tok in tied), (top, tied)
    assert drv.execute_script(
        "const c = document.getElementById('heatmap'); return [c.width, c.height]")[0] > n_in
    # The picture is drawn: the cell of the strongest weight is the darkest blue on the canvas.
    darkest = drv.execute_script("""
      const h = window.finadvisorConsole.heat, c = document.getElementById('heatmap');
      const ctx = c.getContext('2d'), dpr = window.devicePixelRatio || 1;
      const px = (i, j) => Array.from(ctx.getImageData(
          Math.round((h.left + j * h.cw + h.cw / 2) * dpr),
          Math.round((h.top + i * h.ch + h.ch / 2) * dpr), 1, 1).data);
      return [px(arguments[0], arguments[1]), px(0, 0)];""", best[1], best[2])
    assert sum(darkest[0][:3]) < 200, darkest  # near (8, 48, 107)

    # What-if: the page's re-score equals AssessCredit on the same fields.
    by_id(drv, "whatif").find_element("css selector", "summary").click()
    by_id(drv, "whatif-reset").click()
    income_box = by_id(drv, "wi-monthly_income")
    income_box.clear()
    income_box.send_keys("12000")
    applicant = drv.execute_script("""
      const a = {profile: {}};
      for (const el of document.querySelectorAll('#whatif-form input, #whatif-form select')) {
        const v = el.value.trim(); if (!v) continue;
        if (el.dataset.profile) a.profile[el.name] = v; else a[el.name] = v;
      }
      return a;""")
    by_id(drv, "whatif-submit").click()
    wait(drv, lambda d: css(d, "#whatif-result .pd-figure"), "the what-if result")
    status, direct = console.api("POST", "/api/credit", {"applicant": applicant})
    assert status == 200, direct
    shown_pd = float(css(drv, "#whatif-result .pd-figure")[0].get_attribute("data-pd"))
    assert shown_pd == pytest.approx(direct["credit"]["probability_of_default"], abs=1e-6)
    assert applicant["monthly_income"] == "12000"

    drv.save_screenshot(str(artifacts_dir / "dialogue-1280x800.png"))
    pane_screenshots(drv, viewport, artifacts_dir, "")

    # Session list, export, replay.
    open_page(drv, console)
    item = wait(drv, lambda d: css(d, f'.session-item[data-session="{sid}"]'),
                "the session in the list")[0]
    assert f"{len(DIALOGUE)} turns" in item.text
    item.click()
    wait(drv, lambda d: len(css(d, "#transcript .msg-advisor")) == len(DIALOGUE),
         "the stored dialogue")
    check_state_pane(drv, stored["state"])
    assert css(drv, "#credit-body [data-decision]")[0].text.lower() == credit["decision"]
    href = by_id(drv, "export-link").get_attribute("href")
    assert href.endswith(f"/api/sessions/{sid}/export")
    status, exported = console.api("GET", f"/api/sessions/{sid}/export")
    assert status == 200 and exported["session"]["session_id"] == sid
    assert len(exported["session"]["history"]) == len(DIALOGUE)
    assert sum(r["kind"] == "turn" for r in exported["audit_records"]) == len(DIALOGUE)
    assert any(r["kind"] == "credit_decision" for r in exported["audit_records"])
    (artifacts_dir / "export.json").write_text(json.dumps(exported, indent=2))

    by_id(drv, "replay-btn").click()
    wait(drv, lambda d: len(css(d, "#transcript .msg-stored")) == len(DIALOGUE)
         and by_id(d, "send-btn").is_enabled(), "the replayed dialogue", timeout=180)
    new_sid = drv.execute_script("return window.finadvisorConsole.session.session_id")
    assert new_sid != sid
    stored_replies = [e.text for e in css(drv, "#transcript .msg-stored")]
    assert stored_replies == [f"Stored reply: {h['reply']}" for h in stored["history"]]
    status, replayed = console.api("GET", f"/api/sessions/{new_sid}")
    assert status == 200
    assert [h["text"] for h in replayed["history"]] == [t for t, _, _ in DIALOGUE]
    drv.save_screenshot(str(artifacts_dir / "replay-1280x800.png"))


# -- layout -----------------------------------------------------------------------------------
OVERFLOW_JS = """
const bad = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (!r.width || !r.height || e.closest('[hidden]')) continue;
  if (r.right <= innerWidth + 1 && r.left >= -1) continue;
  let p = e.parentElement, clipped = false;
  while (p && p !== document.body) {
    const o = getComputedStyle(p).overflowX;
    if (o !== 'visible') {
      const pr = p.getBoundingClientRect();
      if (pr.right <= innerWidth + 1 && pr.left >= -1) { clipped = true; break; }
    }
    p = p.parentElement;
  }
  if (!clipped && !e.classList.contains('skip-link') && r.width > 1)
    bad.push((e.id || e.className || e.tagName) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
}
return [document.documentElement.scrollWidth, innerWidth, bad];
"""
KEY_CONTROLS = ("composer-text", "send-btn", "new-session", "nbest", "assess", "record-btn")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_layout_fits_without_horizontal_scrolling(
        driver: Any, stack_console: Any, payslip: Path, artifacts_dir: Path, viewport: Any,
        size: tuple[int, int]) -> None:
    drv = driver
    width, height = size
    viewport(width, height)
    open_page(drv, stack_console)
    send_turn(drv, "I'd like to borrow 8000 euros for a car", payslip, assess=True)
    wait(drv, lambda d: by_id(d, "heatmap").is_displayed(), "the heatmap")
    scroll_w, inner_w, bad = drv.execute_script(OVERFLOW_JS)
    assert scroll_w <= inner_w, f"page scrolls sideways: {scroll_w} > {inner_w}"
    assert not bad, f"elements outside the viewport: {bad[:10]}"
    for id_ in KEY_CONTROLS + ("state-pane", "credit-pane", "attention-pane", "findings-pane"):
        el = by_id(drv, id_)
        drv.execute_script("arguments[0].scrollIntoView({block: 'nearest'})", el)
        rect = drv.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right, r.width]",
            el)
        assert el.is_displayed() and rect[2] > 0, id_
        assert rect[0] >= 0 and rect[1] <= width, (id_, rect)
    for id_ in ("image-input", "audio-input"):
        label = css(drv, f'label[for="{id_}"]')[0]
        assert label.is_displayed(), id_
    if width >= 1000:
        # The app shell keeps the message box and Send on screen without scrolling.
        drv.execute_script("window.scrollTo(0, 0)")
        for id_ in ("composer-text", "send-btn"):
            bottom = drv.execute_script(
                "return arguments[0].getBoundingClientRect().bottom", by_id(drv, id_))
            assert bottom <= height, (id_, bottom)
    drv.execute_script("window.scrollTo(0, 0)")
    drv.save_screenshot(str(artifacts_dir / f"layout-{width}x{height}.png"))
    if width < 1000:
        for pane in ("state-pane", "credit-pane", "attention-pane", "findings-pane"):
            el = by_id(drv, pane)
            drv.execute_script("arguments[0].scrollIntoView({block: 'start'})", el)
            el.screenshot(str(artifacts_dir / f"phone-{pane}.png"))


# -- keyboard ---------------------------------------------------------------------------------
def active_id(drv: Any) -> str:
    return drv.execute_script(
        "const a = document.activeElement; return a ? (a.id || a.className || a.tagName) : ''")


def test_keyboard_only_sends_a_turn_and_reads_the_heatmap(
        driver: Any, stack_console: Any, artifacts_dir: Path, viewport: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    drv = driver
    viewport(1280, 800)
    open_page(drv, stack_console)
    keys = ActionChains(drv)

    def press(*k: str) -> None:
        ActionChains(drv).send_keys(*k).perform()

    # The first stop is the skip link; Enter on it lands in the message box.
    press(Keys.TAB)
    assert active_id(drv) == "skip-link"
    press(Keys.ENTER)
    assert active_id(drv) == "composer-text"
    # Tab only, from the top: the message box is reached in a short walk.
    drv.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    seen = []
    for _ in range(30):
        press(Keys.TAB)
        seen.append(active_id(drv))
        if seen[-1] == "composer-text":
            break
    assert seen[-1] == "composer-text", seen
    style = drv.execute_script(
        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, "
        "parseFloat(s.outlineWidth)]")
    assert style[0] != "none" and style[1] >= 2, f"no visible focus: {style}"
    before = drv.execute_script("return window.__turns.length")
    keys.send_keys("I'd like to borrow 5000 pounds for a holiday").send_keys(Keys.ENTER).perform()
    wait(drv, lambda d: d.execute_script("return window.__turns.length") > before
         and by_id(d, "send-btn").is_enabled(), "a reply to the keyboard turn")
    resp = drv.execute_script("return window.__turns[window.__turns.length - 1]")
    assert css(drv, ".reply-text")[-1].text == resp["reply"]
    assert active_id(drv) == "composer-text", "focus left the message box after sending"
    # Tab order after the box: the attachment and option controls, then Send.
    order = []
    for _ in range(6):
        press(Keys.TAB)
        order.append(active_id(drv))
    assert order == ["image-input", "audio-input", "record-btn", "nbest", "assess", "send-btn"]
    # The heatmap is reachable and readable with the arrow keys.
    for _ in range(40):
        press(Keys.TAB)
        if active_id(drv) == "heatmap":
            break
    assert active_id(drv) == "heatmap"
    press(Keys.ARROW_DOWN, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    att = resp["attention"]
    readout = by_id(drv, "heatmap-readout").text
    n_out, n_in = len(att["output_tokens"]), len(att["input_tokens"])
    r, c = min(1, n_out - 1), min(2, n_in - 1)
    assert f"({r + 1}/{n_out})" in readout and f"({c + 1}/{n_in})" in readout, readout
    assert readout.endswith(f"{float(att['rows'][r]['weights'][c]):.3f}")
    drv.save_screenshot(str(artifacts_dir / "keyboard-heatmap-focus.png"))


# -- banner, errors, recording ----------------------------------------------------------------
def test_degraded_banner_follows_the_gateway_info(driver: Any, stack_console: Any) -> None:
    status, info = stack_console.api("GET", "/api/info")
    assert status == 200 and info["gateway"]["name"]
    open_page(driver, stack_console)
    banner = by_id(driver, "degraded-banner")
    if info["degraded"]:
        assert banner.is_displayed()
        for name in info["degraded"]:
            assert name in by_id(driver, "degraded-text").text
    else:
        assert not banner.is_displayed()
        assert by_id(driver, "gateway-status").get_attribute("data-state") == "ok"


def test_gateway_errors_reach_the_page_with_their_status(stack_console: Any) -> None:
    status, body = stack_console.api("GET", "/api/sessions/no-such-session")
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    status, body = stack_console.api("POST", "/api/sessions", {"currency": "EURO"})
    assert status == 400 and body["error"]["code"] == "INVALID_ARGUMENT"
    assert "currency" in body["error"]["message"]
    status, body = stack_console.api("POST", "/api/sessions/no-such-session/turns",
                                     {"text": "hello", "request_id": "r1"})
    assert status == 404, body


def test_recording_a_voice_note_attaches_it(driver: Any, stack_console: Any) -> None:
    """MediaRecorder with Chromium's fake microphone: start, stop, and the note is attached."""
    open_page(driver, stack_console)
    btn = by_id(driver, "record-btn")
    assert btn.is_enabled(), btn.get_attribute("title")
    btn.click()
    wait(driver, lambda d: by_id(d, "record-btn").get_attribute("aria-pressed") == "true"
         and "0:01" in by_id(d, "record-label").text, "one second of recording", timeout=30)
    btn.click()
    chip = wait(driver, lambda d: css(d, '.chip[data-kind="audio"]'), "the voice note chip")[0]
    assert "voice-note." in chip.text
    assert by_id(driver, "record-btn").get_attribute("aria-pressed") == "false"
    size = driver.execute_script("return window.finadvisorConsole.pending.audio.size")
    assert size > 0
