"""The console's pages and JSON API for browsers: sign-in, the live triage queue, claims and placement.

Security on every response: a strict Content-Security-Policy (scripts and styles from this origin only,
no inline code), no framing, no referrer, no sniffing. Every state change is a POST with the session's
CSRF token in a header and, where the browser sends one, an Origin equal to the console's own.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from prometheus_client import Counter

from services.console.board import DepartmentBoard
from services.console.claims import ClaimBook
from services.console.live import LiveHub, sse_frame
from services.console.oidc import OidcClient, SignInFailed
from services.console.queue import ConversationHistory, TriageItem, TriageQueue
from services.console.sessions import Session, SessionStore
from services.console.staff import DEV_USERS, Staff, roles_from_groups, staff_pseudonym
from services.contract import codec
from services.contract.handling import parse_action
from services.metrics.office_hours import OfficeHours, epoch_to_datetime

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ACTIONS = Counter("console_actions_total", "Staff actions in the console, by outcome.", ["console_action", "outcome"])
for _action in ("login", "logout", "claim", "release", "place", "report"):  # a closed set of labels
    for _outcome in ("ok", "refused", "failed"):
        ACTIONS.labels(_action, _outcome)

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
LOGIN_NONCE_COOKIE = "console_login"
OIDC_FLOW_COOKIE = "console_oidc_flow"
DEV_ISSUER = "dev-login"
MAX_JSON_BYTES = 4096
MAX_ID_CHARS = 200
SESSION_RECHECK_SECONDS = 15.0
DISPLAY_ROWS = 500

# Reroute(message id, department, category, staff id) → raises PlacementRefused or PlacementFailed
Place = Callable[[str, str, str, str], Awaitable[None]]
# ReportHandled(event) → raises PlacementRefused or PlacementFailed
Report = Callable[[codec.HandledEvent], Awaitable[None]]
# What a department's staff may report from the console, in the words of its buttons.
REPORT_ACTIONS = {"first_reply": "eerste antwoord gegeven", "closed": "afgesloten", "handed_over": "overgedragen"}


class PlacementRefused(Exception):
    """The router said no (unknown department, category not of that department, message gone)."""


class PlacementFailed(Exception):
    """The router could not be reached (it did nothing) or did not answer in time (it may have acted)."""

    def __init__(self, reason: str, router_did_nothing: bool = True) -> None:
        super().__init__(reason)
        self.router_did_nothing = router_did_nothing


@dataclass
class ConsoleState:
    queue: TriageQueue
    history: ConversationHistory
    claims: ClaimBook
    sessions: SessionStore
    hub: LiveHub
    office_hours: OfficeHours
    board: DepartmentBoard
    report: Report
    departments: dict[str, str]  # id → name, for the buttons
    categories: dict[str, str]  # category id → department id
    category_names: dict[str, str]  # category id → its Dutch name, for the buttons
    place: Place
    pseudonym_key: bytes
    dev_login: bool
    secure_cookies: bool
    public_url: str
    session_seconds: int
    overview: Callable[[], Awaitable[dict]] | None = None
    oidc: OidcClient | None = None
    group_roles: dict[str, str] | None = None

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser keeps it to this origin and path, and only over a secure connection.
        return "__Host-console_session" if self.secure_cookies else "console_session"

    def row(self, item: TriageItem, now: datetime) -> dict:
        """A triage row as the browser gets it, with its waiting time in office hours until `now`."""
        return item.as_row(self.office_hours.seconds_between(item.received_at, now))

    def rows(self) -> list[dict]:
        """The first DISPLAY_ROWS of the queue (a screen shows no more; new rows still arrive live)."""
        now = epoch_to_datetime(time.time())
        return [self.row(item, now) for item in self.queue.ordered()[:DISPLAY_ROWS]]


def _json_error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _text(status: int, message: str) -> web.Response:
    """A plain Dutch answer for a page the browser opened (not for the JSON API)."""
    return web.Response(status=status, text=message, content_type="text/plain", charset="utf-8")


@functools.cache
def _template(name: str) -> str:
    """templates/<name>.html, read once (a handful of small files)."""
    return (HERE / "templates" / f"{name}.html").read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
    return text


def _page(template: str, **values: str) -> web.Response:
    """A page from templates/, with values escaped for HTML."""
    text = _fill(_template(template), values)
    return web.Response(text=text, content_type="text/html", charset="utf-8")


def _staff_page(template: str, session: Session, page: str, title: str, current: str,
                departments: dict[str, str], **values: str) -> web.Response:
    """A signed-in page: templates/<template>.html inside layout.html, with the menu this person may use."""
    staff = session.staff
    links = [("/triage", "Triage")] if staff.is_webcare else []
    links += [(f"/afdeling/{d}", departments.get(d, d)) for d in staff.departments]
    links.append(("/overzicht", "Overzicht"))
    current_mark = ' aria-current="page"'
    nav = " ".join(f'<a href="{html.escape(href)}"{current_mark if href == current else ""}>{html.escape(label)}</a>'
                   for href, label in links)
    common = {"csrf": session.csrf_token, "name": staff.name, "title": title, "page": page, **values}
    content = _fill(_template(template), common)
    layout = _fill(_template("layout"), {"department": "", **common})
    text = layout.replace("<!--nav-->", nav).replace("<!--content-->", content)
    return web.Response(text=text, content_type="text/html", charset="utf-8")


@web.middleware
async def security_headers(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if isinstance(response, web.HTTPException):
        raise response
    return response


def create_web_app(state: ConsoleState) -> web.Application:
    public_origin = "{0.scheme}://{0.netloc}".format(urlsplit(state.public_url))

    async def session_of(request: web.Request) -> Session | None:
        return await state.sessions.get(request.cookies.get(state.cookie_name, ""))

    def requires(check: Callable[[Staff], bool], api: bool = True):  # noqa: ANN202
        return requires_request(lambda request, staff: check(staff), api)

    def requires_request(check: Callable[[web.Request, Staff], bool], api: bool = True):  # noqa: ANN202
        """The handler runs for a signed-in person whom `check` allows; a POST also needs the CSRF token
        (and, where the browser sends one, this site's Origin)."""
        def decorate(handler: Callable[[web.Request, Session], Awaitable[web.StreamResponse]]):  # noqa: ANN202
            async def wrapped(request: web.Request) -> web.StreamResponse:
                session = await session_of(request)
                if session is None:
                    if api:
                        return _json_error(401, "Niet ingelogd of sessie verlopen: log opnieuw in.")
                    raise web.HTTPFound("/login")
                if not check(request, session.staff):
                    return _json_error(403, "Dit mag uw rol niet.") if api else _text(403, "Geen toegang met uw rol.")
                if request.method == "POST":
                    origin = request.headers.get("Origin")
                    # The configured address, or the one this request came to (a proxy keeps Host).
                    if origin is not None and origin not in (public_origin, f"{request.scheme}://{request.host}"):
                        return _json_error(403, "Verzoek van een andere site geweigerd.")
                    if not session.csrf_matches(request.headers.get("X-CSRF-Token", "")):
                        return _json_error(403, "Beveiligingstoken ontbreekt of klopt niet: herlaad de pagina.")
                return await handler(request, session)
            return wrapped
        return decorate

    def webcare(staff: Staff) -> bool:
        return staff.is_webcare

    async def home(request: web.Request) -> web.Response:
        session = await session_of(request)
        raise web.HTTPFound(session.staff.home if session else "/login")

    async def login_page(request: web.Request) -> web.Response:
        if state.oidc is not None and "demo" not in request.query:
            try:
                url, sealed_flow = await state.oidc.start()
            except (SignInFailed, aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError):
                log.warning("identity provider not reachable for sign-in", exc_info=False)
                return _text(503, "De identiteitsprovider van de gemeente is niet bereikbaar. Probeer het zo opnieuw.")
            response = web.HTTPFound(url)
            # Lax: the cookie comes back on the provider's top-level redirect to /login/callback.
            response.set_cookie(OIDC_FLOW_COOKIE, sealed_flow, max_age=600, httponly=True, samesite="Lax",
                                secure=state.secure_cookies, path="/login")
            raise response
        if not state.dev_login:
            return _text(503, "Inloggen via de identiteitsprovider van de gemeente is nog niet ingesteld.")
        nonce = secrets.token_urlsafe(24)
        buttons = "".join(
            f'<li><button type="submit" name="user" value="{html.escape(user)}">{html.escape(name)}</button></li>'
            for user, (name, _) in DEV_USERS.items())
        response = _page("login", nonce=nonce)
        response.text = response.text.replace("<!--users-->", buttons)
        response.set_cookie(LOGIN_NONCE_COOKIE, nonce, max_age=600, httponly=True, samesite="Strict",
                            secure=state.secure_cookies, path="/login")
        return response

    async def oidc_callback(request: web.Request) -> web.Response:
        if state.oidc is None:
            raise web.HTTPNotFound()
        if "error" in request.query:
            ACTIONS.labels("login", "refused").inc()
            return _text(403, "Inloggen is niet gelukt of verlopen. Begin opnieuw via /login.")
        try:
            identity = await state.oidc.finish(request.query.get("code", ""), request.query.get("state", ""),
                                               request.cookies.get(OIDC_FLOW_COOKIE, ""))
        except (SignInFailed, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            ACTIONS.labels("login", "failed").inc()
            log.warning("sign-in failed: %s", exc if isinstance(exc, SignInFailed) else type(exc).__name__)
            return _text(403, "Inloggen is niet gelukt. Begin opnieuw via /login.")
        roles = roles_from_groups(identity.groups, state.group_roles or {}, state.departments)
        staff = Staff(staff_pseudonym(state.pseudonym_key, identity.issuer, identity.subject), identity.name, roles)
        if not roles:
            ACTIONS.labels("login", "refused").inc()
            log.info("staff %s signed in without a console role", staff.staff_id)
            return _text(403, "Uw account heeft geen rol in de contactconsole. Vraag uw beheerder om een groep.")
        return await signed_in(staff, "oidc")

    async def signed_in(staff: Staff, how: str) -> web.Response:
        session_id, _ = await state.sessions.create(staff)
        ACTIONS.labels("login", "ok").inc()
        log.info("staff %s signed in (%s)", staff.staff_id, how)
        response = web.HTTPFound(staff.home)
        response.set_cookie(state.cookie_name, session_id, max_age=state.session_seconds, httponly=True,
                            samesite="Lax", secure=state.secure_cookies, path="/")
        response.del_cookie(LOGIN_NONCE_COOKIE, path="/login")
        response.del_cookie(OIDC_FLOW_COOKIE, path="/login")
        raise response

    async def dev_login(request: web.Request) -> web.Response:
        if not state.dev_login:
            raise web.HTTPNotFound()
        form = await request.post()
        nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
        if not nonce or not secrets.compare_digest(str(form.get("nonce", "")), nonce):
            ACTIONS.labels("login", "refused").inc()
            return _text(403, "Inlogformulier verlopen: probeer opnieuw.")
        user = str(form.get("user", ""))
        if user not in DEV_USERS:
            ACTIONS.labels("login", "refused").inc()
            return _text(400, "Onbekende demogebruiker.")
        name, roles = DEV_USERS[user]
        return await signed_in(Staff(staff_pseudonym(state.pseudonym_key, DEV_ISSUER, user), name, roles), "dev login")

    @requires(lambda staff: True)
    async def logout(request: web.Request, session: Session) -> web.Response:
        await state.sessions.delete(request.cookies.get(state.cookie_name, ""))
        ACTIONS.labels("logout", "ok").inc()
        response = web.json_response({"next": "/login"})
        response.del_cookie(state.cookie_name, path="/")
        return response

    @requires(webcare, api=False)
    async def triage_page(request: web.Request, session: Session) -> web.Response:
        return _staff_page("triage", session, "triage", "Triage", "/triage", state.departments)

    async def live_stream(request: web.Request, topic: str, snapshot: Callable[[], Awaitable[dict]],
                          allowed: Callable[[Staff], bool]) -> web.StreamResponse:
        """Server-sent events: the snapshot, then every change to `topic` as it happens. The viewer joins
        before the snapshot is sent, so nothing between the two is lost (a change may come twice). The
        session is checked again every SESSION_RECHECK_SECONDS: a stream ends with its session (expiry,
        sign-out elsewhere) or when the person's role no longer allows it; the browser then signs in again."""
        viewer = state.hub.join(topic)
        if viewer is None:
            return _json_error(503, "Te veel schermen verbonden; probeer het zo opnieuw.")
        try:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                                   "X-Accel-Buffering": "no"})
            for header, value in SECURITY_HEADERS.items():
                response.headers.setdefault(header, value)
            await response.prepare(request)
            await response.write(sse_frame("snapshot", json.dumps(await snapshot(), ensure_ascii=False)))
            checked = time.monotonic()
            while True:
                try:
                    item = await asyncio.wait_for(viewer.events.get(), timeout=15)
                except asyncio.TimeoutError:
                    item = ""
                if time.monotonic() - checked > SESSION_RECHECK_SECONDS:
                    session = await session_of(request)
                    if session is None or not allowed(session.staff):
                        await response.write(sse_frame("signed_out", "{}"))
                        break
                    checked = time.monotonic()
                if item == "":
                    await response.write(b": keep-alive\n\n")  # proxies close silent streams
                    continue
                if item is None:
                    break
                await response.write(sse_frame(*item))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            state.hub.leave(viewer)
        return response

    @requires(webcare)
    async def triage_live(request: web.Request, session: Session) -> web.StreamResponse:
        async def snapshot() -> dict:
            rows = state.rows()
            claims = await state.claims.holders(sorted({row["conversation_id"] for row in rows}))
            return {"rows": rows, "claims": [c.as_event() for c in claims.values()],
                    "departments": state.departments, "categories": state.category_names,
                    "me": session.staff.staff_id}

        return await live_stream(request, "triage", snapshot, webcare)

    @requires(lambda staff: True)
    async def whoami(request: web.Request, session: Session) -> web.Response:
        """Whether the browser is still signed in (its live feed asks before it reconnects)."""
        return web.json_response({"name": session.staff.name, "home": session.staff.home})

    @requires(webcare)
    async def conversation(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        if len(conversation_id) > MAX_ID_CHARS:  # ours are keyed hashes; a longer one is not an id
            return _json_error(400, "Dit is geen gespreks-id.")
        claims = await state.claims.holders([conversation_id])
        claim = claims.get(conversation_id)
        return web.json_response({"messages": [m.as_row() for m in state.history.of(conversation_id)],
                                  "claim": claim.as_event() if claim else None})

    @requires(webcare)
    async def claim(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        if len(conversation_id) > MAX_ID_CHARS:  # ours are keyed hashes; a longer one is not an id
            return _json_error(400, "Dit is geen gespreks-id.")
        taken, holder = await state.claims.take(conversation_id, session.staff.staff_id, session.staff.name)
        if not taken:
            ACTIONS.labels("claim", "refused").inc()
            return _json_error(409, f"In behandeling door {holder.name}.", claim=holder.as_event())
        ACTIONS.labels("claim", "ok").inc()
        log.info("staff %s claimed conversation %r", session.staff.staff_id, conversation_id)
        return web.json_response({"claim": holder.as_event()})

    @requires(webcare)
    async def release(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        if len(conversation_id) > MAX_ID_CHARS:  # ours are keyed hashes; a longer one is not an id
            return _json_error(400, "Dit is geen gespreks-id.")
        if not await state.claims.release(conversation_id, session.staff.staff_id):
            ACTIONS.labels("release", "refused").inc()
            return _json_error(409, "Deze claim is van een collega.")
        ACTIONS.labels("release", "ok").inc()
        log.info("staff %s released conversation %r", session.staff.staff_id, conversation_id)
        return web.json_response({"released": conversation_id})

    @requires(webcare)
    async def place(request: web.Request, session: Session) -> web.Response:
        message_id = request.match_info["message_id"]
        body = await read_fields(request, "department", "category")
        if isinstance(body, web.Response):
            return body
        department, category = body
        if department not in state.departments:
            return _json_error(400, f"Onbekende afdeling '{department}'.")
        if category and state.categories.get(category) != department:
            category = ""  # a suggestion's category of another department: the router keeps none
        item = state.queue.get(message_id)
        if item is None:
            return _json_error(404, "Dit bericht staat niet (meer) in de triagewachtrij.")
        # Placing claims the conversation first (or keeps one's own claim): two colleagues clicking at the
        # same moment cannot both move the message.
        taken, holder = await state.claims.take(item.conversation_id, session.staff.staff_id, session.staff.name)
        if not taken:
            ACTIONS.labels("place", "refused").inc()
            return _json_error(409, f"In behandeling door {holder.name}.", claim=holder.as_event())
        # Once per message, across replicas and repeated clicks: the mark is set before the router is asked
        # and taken away only when the router certainly did nothing.
        if not await state.claims.start_placing(message_id, session.staff.staff_id):
            ACTIONS.labels("place", "refused").inc()
            return _json_error(409, "Dit bericht is al geplaatst.")
        try:
            await state.place(message_id, department, category, session.staff.staff_id)
        except PlacementRefused as exc:
            await state.claims.placing_failed(message_id)
            ACTIONS.labels("place", "refused").inc()
            return _json_error(409, f"Plaatsen geweigerd: {exc}")
        except PlacementFailed as exc:
            if exc.router_did_nothing:
                await state.claims.placing_failed(message_id)
            ACTIONS.labels("place", "failed").inc()
            return _json_error(502, "De router is niet bereikbaar; het bericht blijft in de wachtrij. Probeer het opnieuw."
                               if exc.router_did_nothing else
                               "De router antwoordde niet op tijd; het bericht is mogelijk al geplaatst. Ververs de pagina.")
        ACTIONS.labels("place", "ok").inc()
        log.info("staff %s placed message %r with %s", session.staff.staff_id, message_id, department)
        if state.queue.place(message_id):
            state.hub.send("triage", "remove", [message_id])
        await state.claims.release(item.conversation_id, session.staff.staff_id)
        return web.json_response({"placed": message_id, "department": department})

    def department_member(request: web.Request, staff: Staff) -> bool:
        department = request.match_info["department"]
        return department in state.departments and staff.may_see_department(department)

    @requires_request(department_member, api=False)
    async def department_page(request: web.Request, session: Session) -> web.Response:
        department = request.match_info["department"]
        return _staff_page("department", session, "afdeling", state.departments[department],
                           f"/afdeling/{department}", state.departments, department=department,
                           department_name=state.departments[department])

    @requires_request(department_member)
    async def department_live(request: web.Request, session: Session) -> web.StreamResponse:
        department = request.match_info["department"]
        async def snapshot() -> dict:
            return {"rows": state.board.rows(department, time.time()), "departments": state.departments,
                    "department": department, "replies": state.board.answers(department)}

        return await live_stream(request, f"afdeling:{department}", snapshot,
                                 lambda staff: department_member(request, staff))

    @requires_request(department_member)
    async def report(request: web.Request, session: Session) -> web.Response:
        department, conversation_id = request.match_info["department"], request.match_info["conversation_id"]
        body = await read_fields(request, "action", "to_department")
        if isinstance(body, web.Response):
            return body
        action_name, to_department = body
        if action_name not in REPORT_ACTIONS:
            return _json_error(400, f"Onbekende actie '{action_name}'.")
        if action_name == "handed_over" and (to_department not in state.departments or to_department == department):
            return _json_error(400, "Kies een andere afdeling om aan over te dragen.")
        waiting = state.board.ledger.waiting.get(conversation_id)
        if waiting is None or waiting.department != department:
            return _json_error(409, "Dit gesprek wacht niet (meer) op uw afdeling.")
        event = codec.HandledEvent(
            conversation_id=conversation_id, message_id=waiting.message_id, department=department,
            action=parse_action(action_name), to_department=to_department if action_name == "handed_over" else "",
            occurred_at=codec.timestamp_from_epoch(time.time()), handler_id=session.staff.staff_id)
        try:
            await state.report(event)
        except PlacementRefused as exc:
            ACTIONS.labels("report", "refused").inc()
            return _json_error(409, f"Melding geweigerd: {exc}")
        except PlacementFailed:
            ACTIONS.labels("report", "failed").inc()
            return _json_error(502, "De router is niet bereikbaar; probeer het opnieuw.")
        ACTIONS.labels("report", "ok").inc()
        log.info("staff %s reported %s for conversation %r in %s", session.staff.staff_id, action_name,
                 conversation_id, department)
        return web.json_response({"reported": action_name, "conversation_id": conversation_id,
                                  "text": REPORT_ACTIONS[action_name]})

    def anyone(staff: Staff) -> bool:
        return bool(staff.roles)

    @requires(anyone, api=False)
    async def overview_page(request: web.Request, session: Session) -> web.Response:
        return _staff_page("overview", session, "overzicht", "Overzicht", "/overzicht", state.departments)

    @requires(anyone)
    async def overview(request: web.Request, session: Session) -> web.Response:
        try:
            return web.json_response(await state.overview())
        except Exception:  # noqa: BLE001 - Prometheus away: say so, the page keeps its last figures
            log.warning("overview figures not read from Prometheus", exc_info=False)
            return _json_error(503, "De cijfers zijn nu niet beschikbaar (Prometheus niet bereikbaar).")

    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", dev_login)
    app.router.add_get("/login/callback", oidc_callback)
    app.router.add_post("/logout", logout)
    app.router.add_get("/triage", triage_page)
    app.router.add_get("/api/triage/live", triage_live)
    app.router.add_get("/api/sessie", whoami)
    app.router.add_get("/api/conversations/{conversation_id}", conversation)
    app.router.add_post("/api/conversations/{conversation_id}/claim", claim)
    app.router.add_post("/api/conversations/{conversation_id}/release", release)
    app.router.add_post("/api/messages/{message_id}/place", place)
    app.router.add_get("/overzicht", overview_page)
    app.router.add_get("/api/overzicht", overview)
    app.router.add_get("/afdeling/{department}", department_page)
    app.router.add_get("/api/afdeling/{department}/live", department_live)
    app.router.add_post("/api/afdeling/{department}/gesprekken/{conversation_id}", report)
    app.router.add_static("/static/", HERE / "static", show_index=False)
    return app


async def read_fields(request: web.Request, required: str, optional: str) -> tuple[str, str] | web.Response:
    """The two string fields of a small JSON body, or the answer to give: 413 when too large, 400 with the
    reason when not JSON or without the required field."""
    if request.content_length is None or request.content_length > MAX_JSON_BYTES:
        return _json_error(413, "Verzoek te groot.")
    try:
        body = await request.json()
        return str(body[required]), str(body.get(optional, ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return _json_error(400, f"Verwacht een JSON-object met '{required}' (en eventueel '{optional}').")
