"""The webcare console in a real browser (Debian's chromium, driven by Playwright) against the whole stack:
a triaged message appears live, a claim shows in a colleague's browser, one click places it on the
department's topic and it leaves every queue; keyboard only; axe-core finds no WCAG 2.1 AA violation;
the API refuses callers without a session, without the CSRF token, from another origin or role."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from gemeente.contact.v1 import replies_pb2, replies_pb2_grpc
from playwright.sync_api import Browser, Page, expect, sync_playwright

from services.contract import codec, topics
from services.runtime.grpc_client import authenticated_channel
from services.runtime.settings import REPO_ROOT
from tests.conftest import service_env
from tests.fake_idp import FakeIdentityProvider
from tests.helpers import routed_with_id
from tests.integration.test_replies import control, department_token
from tests.integration.test_end_to_end import META_SECRET
from tools.demo.payloads import signed_json, whatsapp_message, whatsapp_webhook
from tools.devstack.servers import free_port, redis_url, start_prometheus
from tools.devstack.stack import ServiceProcess

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
    suggestion = json.loads(wendy.evaluate(
        f"JSON.stringify(state.rows.find(r => r.message_id === {json.dumps(message_id)}).suggestions[0])"))
    department = suggestion["department"]
    if suggestion["category"]:  # the button names the category too, in words
        expect(first).to_contain_text(wendy.evaluate(f"state.categories[{json.dumps(suggestion['category'])}]"))
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


@pytest.mark.parametrize(("path", "user"), [("/login", ""), ("/triage", "Wendy (webcare)"),
                                             ("/afdeling/afval", "Anna (afval)"), ("/overzicht", "Olga (beheer)")])
def test_pages_have_no_accessibility_violations(stack, browser, console, path, user):
    assert AXE.exists(), "axe-core is needed (make browser installs it)"
    # axe is injected as a script; the console's CSP would rightly refuse it, so this context ignores CSP.
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(console + "/login")
    if user:
        page.get_by_role("button", name=user).click()
        page.wait_for_url(f"**{path}")
        if path == "/triage":
            triage_whatsapp(stack, "Hallo, een vraag voor de toegankelijkheidstest")
            expect(page.locator("#wachtrij li").first).to_be_visible(timeout=10_000)
        elif path.startswith("/afdeling"):
            expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=15_000)
        else:
            expect(page.locator("#status, #kanalen tbody tr").first).to_be_attached(timeout=15_000)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    violations = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert violations == []
    assert result["passes"], "axe ran no check at all"
    if path in ("/login", "/triage"):
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
    status, _, text = request(console + "/api/conversations/" + "c" * 300 + "/claim", "POST",
                              {**signed, "X-CSRF-Token": csrf}, b"{}")
    assert status == 400 and "gespreks-id" in json.loads(text)["error"]

    department_cookie, _ = session_cookie(browser, console, "Anna (afval)")
    assert request(console + "/api/triage/live", headers={"Cookie": department_cookie})[0] == 403


def whatsapp_to(stack, text: str) -> tuple[str, str]:
    """A WhatsApp message from a new sender; (message id, sender)."""
    urls, _, _ = stack
    sender = "316" + str(uuid.uuid4().int)[:8]
    message = whatsapp_message(sender, text=text)
    body, signature = signed_json(whatsapp_webhook([message]), META_SECRET)
    status, _, _ = request(urls["whatsapp"] + "/webhooks/whatsapp", "POST",
                           {"Content-Type": "application/json", "X-Hub-Signature-256": signature}, body)
    assert status == 200
    return codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]), sender


def afval_view(browser: Browser, console: str) -> Page:
    """Anna of afval signed in, her department's view live."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(console + "/login")
    page.get_by_role("button", name="Anna (afval)").click()
    page.wait_for_url("**/afdeling/afval")
    expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=15_000)
    return page


def test_a_department_sees_its_waiting_conversations_and_reports_a_first_reply(stack, broker, browser, console):
    urls, _, _ = stack
    page = afval_view(browser, console)
    message_id, _ = whatsapp_to(stack, "Mijn grijze kliko is vandaag niet geleegd, de vuilniswagen is niet geweest.")
    [routed] = routed_with_id(broker.address, [topics.routed_topic("afval")], message_id)
    conversation_id = codec.decode_routed(routed.value).message.conversation_id
    line = page.locator(f'#gesprekken tr[data-conversation="{conversation_id}"]')
    expect(line).to_be_visible(timeout=10_000)
    expect(line.locator(".sla")).to_contain_text("op tijd")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-afdeling.png"))

    before = first_responses(urls["metrics"], "afval")
    line.get_by_role("button", name="Eerste antwoord gegeven").click()
    expect(line).to_have_count(0, timeout=5_000)
    expect(page.locator("#status")).to_contain_text("eerste antwoord gegeven")
    deadline = time.monotonic() + 15
    while first_responses(urls["metrics"], "afval") <= before and time.monotonic() < deadline:
        time.sleep(0.3)
    assert first_responses(urls["metrics"], "afval") == before + 1  # the metrics service counted it

    # Staff see only their own department.
    for path in ("/afdeling/verkeer", "/triage"):
        assert page.goto(console + path).status == 403


def test_a_department_sees_what_became_of_the_answers_from_its_own_system(stack, broker, browser, console,
                                                                         doubles_ports):
    """Replies sent through ReplyService (a department's own system) show in the department view with the
    platform's status: one that left ends the wait and reaches gelezen through the double's status webhooks;
    one the platform refused keeps the conversation waiting, with the reason in Dutch."""
    _, extra, _ = stack
    page = afval_view(browser, console)
    conversations = {}
    for case in ("answered", "refused"):
        message_id, sender = whatsapp_to(stack, "De container voor glas bij ons op de hoek is al een week vol.")
        [routed] = routed_with_id(broker.address, [topics.routed_topic("afval")], message_id)
        conversations[case] = (codec.decode_routed(routed.value).message, sender)
        line = page.locator(f'#gesprekken tr[data-conversation="{conversations[case][0].conversation_id}"]')
        expect(line.locator(".answer")).to_have_text("nog geen", timeout=10_000)
    refused_sender = conversations["refused"][1]
    control(doubles_ports["meta"], "faults", "POST", [{"match": {"to": refused_sender}, "times": 1, "fault": {
        "kind": "error", "status": 400, "body": {"error": {
            "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047, "fbtrace_id": "Az"}}}}])
    reply_ids = {}
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", department_token("afval")) as channel:
        stub = replies_pb2_grpc.ReplyServiceStub(channel)
        for case, (message, _) in conversations.items():
            reply_ids[case] = "r-" + uuid.uuid4().hex
            stub.Send(replies_pb2.SendReplyRequest(reply=codec.Reply(
                reply_id=reply_ids[case], conversation_id=message.conversation_id, in_reply_to=message.id,
                text="De container wordt morgen geleegd.", department="afval", staff_id="afd-afval-3")), timeout=10)

    answered = page.locator(f'#antwoorden tr[data-reply="{reply_ids["answered"]}"]')
    expect(answered.locator(".reply")).to_have_attribute("data-state", "read", timeout=30_000)
    expect(answered).to_contain_text("gelezen")
    expect(answered).to_contain_text("De container voor glas")  # the citizen's message it answered
    answered_conversation = conversations["answered"][0].conversation_id
    expect(page.locator(f'#gesprekken tr[data-conversation="{answered_conversation}"]')).to_have_count(0)

    waiting = page.locator(f'#gesprekken tr[data-conversation="{conversations["refused"][0].conversation_id}"]')
    expect(waiting.locator(".answer")).to_contain_text("mislukt: Het venster voor een vrij bericht is voorbij",
                                                       timeout=30_000)
    expect(page.locator(f'#antwoorden tr[data-reply="{reply_ids["refused"]}"] .reply')).to_have_attribute(
        "data-state", "failed")
    page.screenshot(path=str(SCREENSHOTS / "console-afdeling-antwoorden.png"))


def first_responses(metrics_url: str, department: str) -> float:
    text = urllib.request.urlopen(metrics_url + "/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("contact_first_responses_total{") and f'department="{department}"' in line)


@pytest.fixture(scope="module")
def oidc_console(stack, broker, redis_server, tmp_path_factory):
    """A second console replica that signs in only through an OpenID Connect provider (no dev login)."""
    _, extra, _ = stack
    idp = FakeIdentityProvider({
        "u-fleur": ("Fleur de Vries", ["contact-webcare", "medewerkers"]),
        "u-kees": ("Kees Jansen", ["contact-afdeling-verkeer"]),
        "u-zonder": ("Zonder Rol", ["medewerkers"]),
        "u-olga": ("Olga Bakker", ["contact-beheer"]),
    })
    idp.start(free_port())
    # Prometheus scraping the stack's metrics service every second: the overview's source.
    urls, _, _ = stack
    directory = tmp_path_factory.mktemp("prometheus")
    config = directory / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": [{
        "job_name": "gemeente-metrics", "static_configs": [{"targets": [urls["metrics"].removeprefix("http://")]}]}]}))
    prometheus = start_prometheus(free_port(), config, directory / "data")
    query = f"http://{prometheus.address}/api/v1/query?query=" + urllib.parse.quote('up{job="gemeente-metrics"} == 1')
    deadline = time.monotonic() + 30
    while '"result":[]' in request(query)[2] and time.monotonic() < deadline:  # until the first scrape is in
        time.sleep(0.5)
    web_port, port = free_port(), free_port()
    env = service_env(
        KAFKA_BOOTSTRAP_SERVERS=broker.address, REDIS_URL=redis_url(redis_server, 1),
        CONSOLE_PORT=str(port), CONSOLE_WEB_PORT=str(web_port),
        CONSOLE_PUBLIC_URL=f"http://localhost:{web_port}",
        ROUTER_GRPC_ADDRESS=f"127.0.0.1:{extra['router_grpc']}",
        CONSOLE_OIDC_ISSUER=idp.issuer, CONSOLE_OIDC_CLIENT_ID=idp.client_id,
        CONSOLE_OIDC_CLIENT_SECRET=idp.client_secret,
        CONSOLE_PROMETHEUS_URL=f"http://{prometheus.address}",
    )
    process = ServiceProcess("services.console", env, tmp_path_factory.mktemp("oidc") / "console.log")
    try:
        process.wait_ready(f"http://127.0.0.1:{port}/readyz")
        yield f"http://localhost:{web_port}", idp, process, prometheus
    finally:
        process.stop()
        prometheus.stop()


def test_staff_sign_in_with_the_gemeentes_identity_provider(browser, oidc_console):
    console, idp, process, _ = oidc_console
    page = browser.new_context().new_page()
    page.goto(console + "/")
    page.get_by_role("button", name="Fleur de Vries").click()  # on the provider's own page
    page.wait_for_url("**/triage")
    expect(page.locator(".who")).to_contain_text("Fleur de Vries")
    expect(page.locator("body")).to_have_attribute("data-live", "true", timeout=15_000)
    assert "u-fleur" not in process.log() and "Fleur" not in process.log()  # the log names a pseudonym only

    page = browser.new_context().new_page()
    page.goto(console + "/login")
    page.get_by_role("button", name="Kees Jansen").click()
    page.wait_for_url("**/afdeling/verkeer")

    page = browser.new_context().new_page()
    page.goto(console + "/login")
    with page.expect_response(lambda r: "/login/callback" in r.url) as callback:
        page.get_by_role("button", name="Zonder Rol").click()
    assert callback.value.status == 403 and "geen rol" in page.content()
    # The dev login is off here, and a callback without the browser's own state is refused.
    assert request(console + "/login", "POST", {"Content-Type": "application/x-www-form-urlencoded"}, b"user=wendy")[0] == 404
    assert request(console + "/login/callback?code=x&state=forged")[0] == 403
    assert idp.tokens_issued == 3


def test_the_wall_screen_shows_today_per_channel_and_department_from_prometheus(stack, browser, oidc_console):
    console, _, _, _ = oidc_console
    for _ in range(3):
        triage_whatsapp(stack, "Hallo, een vraag voor het overzicht")
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    page.goto(console + "/login")
    page.get_by_role("button", name="Olga Bakker").click()
    page.wait_for_url("**/overzicht")
    whatsapp = page.locator('#kanalen tr[data-channel="whatsapp"]')
    expect(whatsapp).to_be_visible(timeout=15_000)
    # The router, the metrics service's refresh, the scrape, then the console's 5 s cache: each figure
    # arrives on its own clock.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.reload()
        expect(whatsapp).to_be_visible(timeout=15_000)
        cells = whatsapp.locator("td").all_inner_texts()
        if int(cells[0]) >= 3 and int(cells[1]) >= 1 and cells[3] != "–":
            break
        time.sleep(2)
    received, waiting, _, triaged = (whatsapp.locator("td").all_inner_texts())[:4]
    figures = page.evaluate("fetch('/api/overzicht').then(r => r.json())")
    assert int(received) >= 3 and int(waiting) >= 1 and triaged.endswith("%"), figures
    assert page.locator('#afdelingen tr[data-department="afval"]').is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "console-overzicht.png"))


def test_a_live_feed_ends_with_its_session(stack, browser, console):
    """A triage tab left open must not keep receiving citizens' messages after its person signed out."""
    import http.client

    cookie, csrf = session_cookie(browser, console, "Wim (webcare)")
    host, port = console.removeprefix("http://").split(":")
    stream = http.client.HTTPConnection(host, int(port), timeout=60)
    stream.request("GET", "/api/triage/live", headers={"Cookie": cookie})
    response = stream.getresponse()
    assert response.status == 200 and response.readline().startswith(b"event: snapshot")
    assert request(console + "/logout", "POST", {"Cookie": cookie, "X-CSRF-Token": csrf,
                                                  "Content-Type": "application/json"}, b"{}")[0] == 200
    started = time.monotonic()
    lines = []
    while not any(line.startswith(b"event: signed_out") for line in lines) and time.monotonic() - started < 40:
        lines.append(response.readline())
    assert any(line.startswith(b"event: signed_out") for line in lines)
    stream.close()
