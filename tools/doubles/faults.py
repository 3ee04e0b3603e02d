"""What every platform double shares: the fault script, the record of requests, the /_double/ control API
and the few pieces of request handling common to them.

A double answers as its platform does when all goes well. What goes wrong is scripted per request, because
that is where senders break: a documented error, a slow answer, a request the platform accepted whose answer
never arrived (the sender cannot know it went out: the case that sends a reply twice), or the platform down.
Every request is recorded with its outcome, so a test asserts what the platform received, not what the
sender believes it sent.

A fault entry (JSON, as POST /_double/faults takes a list of them):

    {"match": {"api": "whatsapp", "to": "31612345678"}, "times": 2, "fault": FAULT}

`match` is compared with the request's facts (api, path and what the double names: to, recipient,
comment_id, participant_id, in_reply_to_tweet_id, rcpt, message_id, text); an empty match matches every
request. Entries are consulted in order, the first that matches is used, and it is gone after `times`
(default 1) uses. FAULT is one of

- {"kind": "error", "status": 400, "body": {...}, "headers": {...}}: answered instead; meta_error, x_error
  and smtp_error build the documented ones;
- {"kind": "delay", "seconds": 1.5}: answered normally, that much later;
- {"kind": "crash_after_accept"}: handled and recorded as usual (an accepted request counts as sent and its
  status webhooks follow), then the connection drops without an answer;
- {"kind": "slow_answer", "seconds": 5}: accepted and recorded at once (its status webhooks follow), the
  answer that much later: room to kill the sender between the platform accepting and its answer (HTTP);
- {"kind": "down"}: HTTP 503, SMTP 421.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import web

KINDS = ("error", "delay", "crash_after_accept", "slow_answer", "down")
# Cloud API codes (130429, 131047, ...) start here; their errors carry error_data.details.
_WHATSAPP_CODES = 130000


@dataclass
class Recorded:
    """One request a double received. `body` is the parsed JSON (or parameters) for HTTP, the raw RFC 5322
    text for SMTP; `response` is what the double answered, or would have, had a crash not dropped it."""

    api: str
    path: str
    headers: dict[str, str]
    body: dict | str
    at: float
    outcome: str = "accepted"  # "accepted" | "refused"
    status: int = 200  # the HTTP status or SMTP reply code of the answer
    response: dict | str | None = None
    fault: str | None = None  # the kind of the fault applied, if any
    mail_from: str | None = None  # SMTP envelope
    rcpt_tos: list[str] = field(default_factory=list)


class Faults:
    """The fault script: entries consumed in order. Thread-safe, as the SMTP sink runs in its own thread."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = ()) -> None:
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.add(entries)

    def add(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Append entries; ValueError (and nothing added) when one is malformed."""
        checked = [_checked(entry) for entry in entries]
        with self._lock:
            self._entries.extend(checked)

    def take(self, facts: Mapping[str, object]) -> dict[str, Any] | None:
        """The fault for a request with these facts, using up one of its entry's times; None when none matches."""
        with self._lock:
            for entry in self._entries:
                if all(facts.get(key) == value for key, value in entry["match"].items()):
                    entry["times"] -= 1
                    if entry["times"] == 0:
                        self._entries.remove(entry)
                    return entry["fault"]
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _checked(entry: Mapping[str, Any]) -> dict[str, Any]:
    match, times, fault = entry.get("match", {}), entry.get("times", 1), entry.get("fault")
    if not isinstance(match, Mapping):
        raise ValueError("match must be an object of request facts")
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("times must be a positive integer")
    if not isinstance(fault, Mapping) or fault.get("kind") not in KINDS:
        raise ValueError(f"fault must be an object with kind one of {', '.join(KINDS)}")
    if fault["kind"] == "error" and not isinstance(fault.get("status"), int):
        raise ValueError("an error fault needs its status")
    if fault["kind"] in ("delay", "slow_answer") and not isinstance(fault.get("seconds"), (int, float)):
        raise ValueError(f"a {fault['kind']} fault needs its seconds")
    return {"match": dict(match), "times": times, "fault": dict(fault)}


def _trace_id() -> str:
    """An id in the style of Meta's fbtrace_id."""
    return "A" + secrets.token_urlsafe(16)[:22]


def numeric_id() -> str:
    """A unique 19-digit id, as X's snowflakes and Meta's object ids look."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def nested(value: Any, *keys: str) -> Any:
    """value[k1][k2]... of a request body; None where a level is missing or is no object."""
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer` header, as both platforms take it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def filled(value: Any) -> bool:
    """A non-blank string, as the platforms require of a text parameter."""
    return isinstance(value, str) and bool(value.strip())


def meta_error(code: int, message: str, http_status: int = 400, subcode: int | None = None, *,
               details: str | None = None) -> dict[str, Any]:
    """A Graph API error as a fault. Cloud API errors (130000 and up) also carry error_data.details, the field
    Meta asks senders to branch on together with the code; `details` adds it to any other code."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is None and code >= _WHATSAPP_CODES:
        details = message
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = _trace_id()
    return {"kind": "error", "status": http_status, "body": {"error": error}}


def x_error(status: int, detail: str | None = None, *, errors: list[dict] | None = None,
            reset_after_seconds: int = 900) -> dict[str, Any]:
    """An X API v2 problem as a fault. A 400 is X's invalid-request problem (`errors` names the parameters);
    any other status an about:blank problem titled with its HTTP phrase. A 429 carries x-rate-limit-reset in
    Unix seconds, `reset_after_seconds` from when the fault is made (X's windows are 15 minutes)."""
    phrase = HTTPStatus(status).phrase
    if status == 400:
        body: dict[str, Any] = {"errors": errors or [], "title": "Invalid Request",
                                "detail": detail or "One or more parameters to your request was invalid.",
                                "type": "https://api.x.com/2/problems/invalid-request"}
    else:
        body = {"title": phrase, "detail": detail or phrase, "type": "about:blank", "status": status}
    headers = {}
    if status == 429:
        headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + reset_after_seconds)}
    return {"kind": "error", "status": status, "body": body, "headers": headers}


def smtp_error(code: int, text: str) -> dict[str, Any]:
    """An SMTP reply as a fault, answered at the end of DATA: 4xx is temporary (retry), 5xx permanent."""
    return {"kind": "error", "status": code, "body": text}


RECORDS = web.AppKey("double_records", list[Recorded])
FAULTS = web.AppKey("double_faults", Faults)
_TASKS = web.AppKey("double_tasks", set[asyncio.Task])


@dataclass
class Answer:
    """A double's answer as the platform gives it; `after` runs in the background once it is accepted."""

    status: int
    body: dict | str
    headers: Mapping[str, str] = field(default_factory=dict)
    after: Callable[[], Awaitable[None]] | None = None

    @classmethod
    def refusal(cls, fault: Mapping[str, Any]) -> Answer:
        """The answer an error fault (meta_error, x_error) describes."""
        return cls(fault["status"], fault.get("body", ""), fault.get("headers", {}))


async def respond(request: web.Request, api: str, body: dict | str, facts: Mapping[str, object],
                  decide: Callable[[], Answer]) -> web.StreamResponse:
    """Answer one platform request: apply the scripted fault, else `decide` the platform's own answer;
    record it, start what follows an accepted request, and drop the connection for crash_after_accept."""
    app = request.app
    fault = app[FAULTS].take({"api": api, "path": request.path, **facts})
    kind = fault["kind"] if fault else None
    if kind == "delay":
        await asyncio.sleep(fault["seconds"])
    if kind == "down":
        answer = Answer(503, HTTPStatus.SERVICE_UNAVAILABLE.phrase)
    elif kind == "error":
        answer = Answer.refusal(fault)
    else:
        answer = decide()
    accepted = answer.status < 400
    app[RECORDS].append(Recorded(api, request.path, dict(request.headers), body, time.time(),
                                 "accepted" if accepted else "refused", answer.status, answer.body, kind))
    if accepted and answer.after:
        task = asyncio.create_task(answer.after())
        app[_TASKS].add(task)
        task.add_done_callback(app[_TASKS].discard)
    if kind == "crash_after_accept" and request.transport:
        request.transport.abort()  # the client sees the connection drop; nothing is written any more
    if kind == "slow_answer":
        await asyncio.sleep(fault["seconds"])  # accepted (and its webhooks on their way), the answer late
    if isinstance(answer.body, str):
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def control_app(records: list[Recorded] | None = None, faults: Faults | None = None) -> web.Application:
    """An application with the control API under /_double/ and the probes; a double adds its platform routes.

    GET /_double/requests lists the records, DELETE /_double/requests forgets them and the faults, POST
    /_double/faults appends a JSON list of fault entries (400 with the reason when one is malformed)."""
    app = web.Application()
    app[RECORDS] = [] if records is None else records
    app[FAULTS] = Faults() if faults is None else faults
    app[_TASKS] = set()

    async def list_requests(_: web.Request) -> web.Response:
        return web.json_response([asdict(record) for record in app[RECORDS]])

    async def reset(_: web.Request) -> web.Response:
        app[RECORDS].clear()
        app[FAULTS].clear()
        return web.Response(status=204)

    async def add_faults(request: web.Request) -> web.Response:
        try:
            entries = await request.json()
            if not isinstance(entries, list):
                raise ValueError("post a JSON list of fault entries")
            app[FAULTS].add(entries)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(status=204)

    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def stop_background_tasks(_: web.Application) -> None:
        # On shutdown, before any cleanup closes what the tasks use (the Meta double's client session).
        for task in list(app[_TASKS]):
            task.cancel()
        await asyncio.gather(*app[_TASKS], return_exceptions=True)

    app.on_shutdown.append(stop_background_tasks)
    app.router.add_get("/_double/requests", list_requests)
    app.router.add_delete("/_double/requests", reset)
    app.router.add_post("/_double/faults", add_faults)
    app.router.add_get("/healthz", ok)
    app.router.add_get("/readyz", ok)
    return app
