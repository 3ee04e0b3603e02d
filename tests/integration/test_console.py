"""The webcare console in a real browser (Debian's chromium, driven by Playwright) against the whole stack:
a triaged message appears live, a claim shows in a colleague's browser, one click places it on the
department's topic and it leaves every queue; keyboard only; axe-core finds no WCAG 2.1 AA violation;
the API refuses callers without a session, without the CSRF token, from another origin or role."""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from services.contract import codec, topics
from services.runtime.settings import REPO_ROOT
from tests.helpers import routed_with_id
from tests.integration.test_end_to_end import META_SECRET
from tools.demo.payloads import signed_json, whatsapp_message, whatsapp_webhook

AXE = REPO_ROOT / "build" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots for docs/webcare.md: `make screenshots` writes them there; a plain test run into build/.
SCREENSHOTS = Path(os.environ.get("CONSOLE_SCREENSHOT_DIR", REPO_ROOT / "build" / "screenshots"))


@pytest.fixture(scope="module")
def browser() -> Browser:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed (make browser installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def console(stack) -> str:
    _, extra, _ = stack
    return f"http://localhost:{extra['console_web']}"


def signed_in(browser: Browser, console: str, user: str, **context_options) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options).new_page()
    page.goto(console + "/login")
    page.get_by_role("button", name=user).click()
    page.wait_for_url("**/triage")
    expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=15_000)
    return page


def triage_whatsapp(stack, text: str) -> str:
    """A message the router sends to triage (no department is sure of it); its message id."""
    urls, _, _ = stack
    message = whatsapp_message("316" + str(uuid.uuid4().int)[:8], text=text)
    body, signature = signed_json(whatsapp_webhook([message]), META_SECRET)
    # Playwright's sync API runs an event loop in this thread: a plain blocking request, not aiohttp.
    status, _, _ = request(urls["whatsapp"] + "/webhooks/whatsapp", "POST",
                           {"Content-Type": "application/json", "X-Hub-Signature-256": signature}, body)
    assert status == 200
    return codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"])


def row(page: Page, message_id: str):  # noqa: ANN201
    return page.locator(f'#wachtrij li[data-message="{message_id}"]')


def test_a_triaged_message_appears_is_claimed_and_placed_with_one_click(stack, broker, browser, console):
    wendy = signed_in(browser, console, "Wendy (webcare)")
    wim = signed_in(browser, console, "Wim (webcare)")
    message_id = triage_whatsapp(stack, "Hallo, ik heb een vraag over iets")
    for page in (wendy, wim):
        expect(row(page, message_id)).to_be_visible(timeout=10_000)
        expect(row(page, message_id).locator("button.place")).not_to_have_count(0)

    row(wendy, message_id).locator(".text").click()  # select the row
    wendy.keyboard.press("o")  # open the conversation: claims it
    expect(row(wendy, message_id).locator(".claim.mine")).to_be_visible()
    expect(row(wim, message_id).locator(".claim.other")).to_have_text("In behandeling door Wendy (webcare)")
    expect(row(wim, message_id).locator("button.place").first).to_be_disabled()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wim.screenshot(path=str(SCREENSHOTS / "console-triage-claimed.png"))

    first = row(wendy, message_id).locator("button.place").first
    department = json.loads(wendy.evaluate(
        f"JSON.stringify(state.rows.find(r => r.message_id === {json.dumps(message_id)}).suggestions[0])"))["department"]
    first.click()
    for page in (wendy, wim):
        expect(row(page, message_id)).to_have_count(0, timeout=5_000)
    [placed] = routed_with_id(broker.address, [topics.routed_topic(department)], message_id)
    routed = codec.decode_routed(placed.value)
    assert routed.decision.method == codec.RoutingMethod.ROUTING_METHOD_MANUAL
    assert routed.decision.department == department


def test_keyboard_only(stack, browser, console):
    page = signed_in(browser, console, "Wim (webcare)")
    message_id = triage_whatsapp(stack, "Goedemiddag, ik wil iets vragen")
    expect(row(page, message_id)).to_be_visible(timeout=10_000)
    index = page.evaluate(f"state.rows.findIndex(r => r.message_id === {json.dumps(message_id)})")
    page.locator("#wachtrij").focus()
    for _ in range(len(page.locator("#wachtrij li").all())):
        page.keyboard.press("k")  # to the top
    for _ in range(index):
        page.keyboard.press("j")
    expect(row(page, message_id)).to_have_class(re.compile(r"\bselected\b"))
    expect(row(page, message_id)).to_be_focused()
    page.keyboard.press("2")
    expect(row(page, message_id)).to_have_count(0, timeout=5_000)
    expect(page.locator("#status")).to_contain_text("Geplaatst bij")


@pytest.mark.parametrize("path", ["/login", "/triage"])
def test_pages_have_no_accessibility_violations(stack, browser, console, path):
    assert AXE.exists(), "axe-core is needed (make browser installs it)"
    # axe is injected as a script; the console's CSP would rightly refuse it, so this context ignores CSP.
    if path == "/login":
        page = browser.new_context(bypass_csp=True).new_page()
        page.goto(console + path)
    else:
        page = signed_in(browser, console, "Wendy (webcare)", bypass_csp=True)
        triage_whatsapp(stack, "Hallo, een vraag voor de toegankelijkheidstest")
        expect(page.locator("#wachtrij li").first).to_be_visible(timeout=10_000)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == []
    assert result["passes"], "axe ran no check at all"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{path.strip('/')}.png"))


def request(url: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def session_cookie(browser: Browser, console: str, user: str) -> tuple[str, str]:
    page = signed_in(browser, console, user) if user.endswith("(webcare)") else None
    if page is None:
        page = browser.new_context().new_page()
        page.goto(console + "/login")
        page.get_by_role("button", name=user).click()
        page.wait_for_load_state()
    [cookie] = [c for c in page.context.cookies() if "console_session" in c["name"]]
    csrf = page.evaluate("document.querySelector('meta[name=\"csrf-token\"]')?.content || ''")
    return f"{cookie['name']}={cookie['value']}", csrf


def test_the_api_refuses_wrong_callers(stack, browser, console):
    status, headers, _ = request(console + "/login")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"] and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    place = console + "/api/messages/x/place"
    body = json.dumps({"department": "afval"}).encode()
    json_headers = {"Content-Type": "application/json"}
    assert request(console + "/api/triage/live")[0] == 401
    assert request(place, "POST", json_headers, body)[0] == 401

    cookie, csrf = session_cookie(browser, console, "Wendy (webcare)")
    assert "__Host-" in cookie, "the session cookie is bound to this origin over a secure context"
    signed = {**json_headers, "Cookie": cookie}
    status, _, text = request(place, "POST", signed, body)
    assert status == 403 and "Beveiligingstoken" in json.loads(text)["error"]
    status, _, _ = request(place, "POST", {**signed, "X-CSRF-Token": csrf, "Origin": "https://evil.example"}, body)
    assert status == 403
    status, _, text = request(place, "POST", {**signed, "X-CSRF-Token": csrf}, body)
    assert status == 404 and "niet (meer)" in json.loads(text)["error"]
    status, _, _ = request(place, "POST", {**signed, "X-CSRF-Token": csrf}, b"x" * 10_000)
    assert status == 413

    department_cookie, _ = session_cookie(browser, console, "Anna (afval)")
    assert request(console + "/api/triage/live", headers={"Cookie": department_cookie})[0] == 403
