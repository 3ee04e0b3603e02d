"""The console's pages and JSON API for browsers: sign-in, the live triage queue, claims and placement.

Security on every response: a strict Content-Security-Policy (scripts and styles from this origin only,
no inline code), no framing, no referrer, no sniffing. Every state change is a POST with the session's
CSRF token in a header and, where the browser sends one, an Origin equal to the console's own.
"""

from __future__ import annotations

import asyncio
import html
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client import Counter

from services.console.claims import ClaimBook
from services.console.live import LiveHub
from services.console.queue import ConversationHistory, TriageQueue
from services.console.sessions import Session, SessionStore
from services.console.staff import DEV_USERS, Staff, staff_pseudonym
from services.metrics.office_hours import OfficeHours

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ACTIONS = Counter("console_actions_total", "Staff actions in the console, by outcome.", ["console_action", "outcome"])
for _action in ("login", "logout", "claim", "release", "place"):
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
DEV_ISSUER = "dev-login"
MAX_JSON_BYTES = 4096

# Reroute(message id, department, category, staff id) → raises PlacementRefused or PlacementFailed
Place = Callable[[str, str, str, str], Awaitable[None]]


class PlacementRefused(Exception):
    """The router said no (unknown department, category not of that department, message gone)."""


class PlacementFailed(Exception):
    """The router could not be reached or did not answer in time."""


@dataclass
class ConsoleState:
    queue: TriageQueue
    history: ConversationHistory
    claims: ClaimBook
    sessions: SessionStore
    hub: LiveHub
    office_hours: OfficeHours
    departments: dict[str, str]  # id → name, for the buttons
    categories: dict[str, str]  # category id → department id
    place: Place
    pseudonym_key: bytes
    dev_login: bool
    secure_cookies: bool
    public_url: str
    session_seconds: int
    is_ready: Callable[[], bool]

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser keeps it to this origin and path, and only over a secure connection.
        return "__Host-console_session" if self.secure_cookies else "console_session"

    def rows(self) -> list[dict]:
        now = time.time()
        return [item.as_row(self.office_hours.seconds_between(item.received_at, _utc(now)))
                for item in self.queue.ordered()]


def _utc(epoch: float):  # noqa: ANN202
    from datetime import datetime, timezone
    return datetime.fromtimestamp(epoch, timezone.utc)


def _json_error(status: int, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def _page(template: str, **values: str) -> web.Response:
    """A page from templates/, with values escaped for HTML."""
    text = (HERE / "templates" / f"{template}.html").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value, quote=True))
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
        def decorate(handler: Callable[[web.Request, Session], Awaitable[web.StreamResponse]]):  # noqa: ANN202
            async def wrapped(request: web.Request) -> web.StreamResponse:
                session = await session_of(request)
                if session is None:
                    if api:
                        return _json_error(401, "Niet ingelogd of sessie verlopen: log opnieuw in.")
                    raise web.HTTPFound("/login")
                if not check(session.staff):
                    return _json_error(403, "Dit mag uw rol niet.") if api else web.Response(
                        status=403, text="Geen toegang met uw rol.", content_type="text/plain")
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
        if not state.dev_login:
            return web.Response(status=503, content_type="text/plain", charset="utf-8",
                                text="Inloggen via de identiteitsprovider van de gemeente is nog niet ingesteld.")
        nonce = secrets.token_urlsafe(24)
        buttons = "".join(
            f'<li><button type="submit" name="user" value="{html.escape(user)}">{html.escape(name)}</button></li>'
            for user, (name, _) in DEV_USERS.items())
        response = _page("login", nonce=nonce)
        response.text = response.text.replace("<!--users-->", buttons)
        response.set_cookie(LOGIN_NONCE_COOKIE, nonce, max_age=600, httponly=True, samesite="Strict",
                            secure=state.secure_cookies, path="/login")
        return response

    async def dev_login(request: web.Request) -> web.Response:
        if not state.dev_login:
            raise web.HTTPNotFound()
        form = await request.post()
        nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
        if not nonce or not secrets.compare_digest(str(form.get("nonce", "")), nonce):
            ACTIONS.labels("login", "refused").inc()
            return web.Response(status=403, text="Inlogformulier verlopen: probeer opnieuw.", content_type="text/plain")
        user = str(form.get("user", ""))
        if user not in DEV_USERS:
            ACTIONS.labels("login", "refused").inc()
            return web.Response(status=400, text="Onbekende demogebruiker.", content_type="text/plain")
        name, roles = DEV_USERS[user]
        staff = Staff(staff_pseudonym(state.pseudonym_key, DEV_ISSUER, user), name, roles)
        session_id, _ = await state.sessions.create(staff)
        ACTIONS.labels("login", "ok").inc()
        log.info("staff %s signed in (dev login)", staff.staff_id)
        response = web.HTTPFound(staff.home)
        response.set_cookie(state.cookie_name, session_id, max_age=state.session_seconds, httponly=True,
                            samesite="Lax", secure=state.secure_cookies, path="/")
        response.del_cookie(LOGIN_NONCE_COOKIE, path="/login")
        raise response

    @requires(lambda staff: True)
    async def logout(request: web.Request, session: Session) -> web.Response:
        await state.sessions.delete(request.cookies.get(state.cookie_name, ""))
        ACTIONS.labels("logout", "ok").inc()
        response = web.json_response({"next": "/login"})
        response.del_cookie(state.cookie_name, path="/")
        return response

    @requires(webcare, api=False)
    async def triage_page(request: web.Request, session: Session) -> web.Response:
        return _page("triage", name=session.staff.name, csrf=session.csrf_token)

    @requires(webcare)
    async def triage_live(request: web.Request, session: Session) -> web.StreamResponse:
        viewer = state.hub.join("triage")
        if viewer is None:
            return _json_error(503, "Te veel schermen verbonden; probeer het zo opnieuw.")
        try:
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                                   "X-Accel-Buffering": "no"})
            for header, value in SECURITY_HEADERS.items():
                response.headers.setdefault(header, value)
            await response.prepare(request)
            claims = await state.claims.holders(sorted({i.conversation_id for i in state.queue.ordered()}))
            snapshot = {"rows": state.rows(), "claims": [c.as_event() for c in claims.values()],
                        "departments": state.departments, "me": session.staff.staff_id}
            await _send(response, "snapshot", snapshot)
            while True:
                try:
                    item = await asyncio.wait_for(viewer.events.get(), timeout=15)
                except asyncio.TimeoutError:
                    await response.write(b": keep-alive\n\n")  # proxies close silent streams
                    continue
                if item is None:
                    break
                event, data = item
                await response.write(f"event: {event}\ndata: {data}\n\n".encode("utf-8"))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            state.hub.leave(viewer)
        return response

    @requires(webcare)
    async def conversation(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        claims = await state.claims.holders([conversation_id])
        claim = claims.get(conversation_id)
        return web.json_response({"messages": [m.as_row() for m in state.history.of(conversation_id)],
                                  "claim": claim.as_event() if claim else None})

    @requires(webcare)
    async def claim(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        taken, holder = await state.claims.take(conversation_id, session.staff.staff_id, session.staff.name)
        if not taken:
            ACTIONS.labels("claim", "refused").inc()
            return _json_error(409, f"In behandeling door {holder.name}.", claim=holder.as_event())
        ACTIONS.labels("claim", "ok").inc()
        log.info("staff %s claimed conversation %s", session.staff.staff_id, conversation_id)
        return web.json_response({"claim": holder.as_event()})

    @requires(webcare)
    async def release(request: web.Request, session: Session) -> web.Response:
        conversation_id = request.match_info["conversation_id"]
        if not await state.claims.release(conversation_id, session.staff.staff_id):
            ACTIONS.labels("release", "refused").inc()
            return _json_error(409, "Deze claim is van een collega.")
        ACTIONS.labels("release", "ok").inc()
        log.info("staff %s released conversation %s", session.staff.staff_id, conversation_id)
        return web.json_response({"released": conversation_id})

    @requires(webcare)
    async def place(request: web.Request, session: Session) -> web.Response:
        message_id = request.match_info["message_id"]
        if request.content_length is None or request.content_length > MAX_JSON_BYTES:
            return _json_error(413, "Verzoek te groot.")
        try:
            body = await request.json()
            department, category = str(body["department"]), str(body.get("category", ""))
        except (ValueError, KeyError, TypeError):
            return _json_error(400, "Verwacht JSON met 'department' (en eventueel 'category').")
        if department not in state.departments:
            return _json_error(400, f"Onbekende afdeling '{department}'.")
        if category and state.categories.get(category) != department:
            category = ""  # a suggestion's category of another department: the router keeps none
        item = state.queue.get(message_id)
        if item is None:
            return _json_error(404, "Dit bericht staat niet (meer) in de triagewachtrij.")
        holders = await state.claims.holders([item.conversation_id])
        holder = holders.get(item.conversation_id)
        if holder is not None and holder.staff != session.staff.staff_id:
            ACTIONS.labels("place", "refused").inc()
            return _json_error(409, f"In behandeling door {holder.name}.", claim=holder.as_event())
        try:
            await state.place(message_id, department, category, session.staff.staff_id)
        except PlacementRefused as exc:
            ACTIONS.labels("place", "refused").inc()
            return _json_error(409, f"Plaatsen geweigerd: {exc}")
        except PlacementFailed:
            ACTIONS.labels("place", "failed").inc()
            return _json_error(502, "De router is niet bereikbaar; het bericht blijft in de wachtrij. Probeer het opnieuw.")
        ACTIONS.labels("place", "ok").inc()
        log.info("staff %s placed message %s with %s", session.staff.staff_id, message_id, department)
        if state.queue.place(message_id):
            state.hub.send("triage", "remove", [message_id])
        await state.claims.release(item.conversation_id, session.staff.staff_id)
        return web.json_response({"placed": message_id, "department": department})

    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", dev_login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/triage", triage_page)
    app.router.add_get("/api/triage/live", triage_live)
    app.router.add_get("/api/conversations/{conversation_id}", conversation)
    app.router.add_post("/api/conversations/{conversation_id}/claim", claim)
    app.router.add_post("/api/conversations/{conversation_id}/release", release)
    app.router.add_post("/api/messages/{message_id}/place", place)
    app.router.add_static("/static/", HERE / "static", show_index=False)
    return app


async def _send(response: web.StreamResponse, event: str, data: object) -> None:
    import json
    await response.write(f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8"))
