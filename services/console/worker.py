"""The console's wiring: Redis (sessions, claims), the topics (the queue), the router's gRPC API
(placement), the web server for browsers and the management server for probes and Prometheus."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time

import grpc
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from gemeente.contact.v1 import (
    handling_pb2,
    handling_pb2_grpc,
    routing_pb2,
    routing_pb2_grpc,
)
from prometheus_client import Gauge
from redis.asyncio import Redis

from services.console.board import DepartmentBoard
from services.console.claims import CHANGES_CHANNEL, ClaimBook
from services.console.feed import ConsoleFeed
from services.console.live import LiveHub
from services.console.oidc import OidcClient
from services.console.overview import (
    PrometheusReader,
    assemble,
    overview_queries,
    seconds_today,
)
from services.console.queue import ConversationHistory, TriageItem, TriageQueue
from services.console.sessions import SessionStore
from services.console.settings import ConsoleSettings
from services.console.staff import default_group_roles, parse_group_roles
from services.console.web import (
    ConsoleState,
    PlacementFailed,
    PlacementRefused,
    create_web_app,
)
from services.contract import codec
from services.contract.access import MIN_TOKEN_CHARS, bearer
from services.contract.departments import load_routing_config
from services.metrics.config import load_kpi_config
from services.metrics.office_hours import epoch_to_datetime
from services.runtime.grpc_client import channel_to
from services.runtime.kafka import aiokafka_security
from services.runtime.probes import probe_app

log = logging.getLogger(__name__)

QUEUE_ROWS = Gauge("console_triage_rows", "Triaged messages waiting in this replica's queue.")
QUEUE_DROPPED = Gauge("console_triage_rows_dropped", "Triage rows not shown because the queue was full (CONSOLE_QUEUE_LIMIT).")
PLACE_TIMEOUT_SECONDS = 5.0
# Department lists are sent to their viewers at most this often (many records may change one list), and
# at least every CLOCK_SECONDS (the SLA clocks move).
PUBLISH_SECONDS = 0.3
CLOCK_SECONDS = 30.0
OVERVIEW_SECONDS = 5.0


class ConsoleWorker:
    def __init__(self, settings: ConsoleSettings) -> None:
        key = settings.console_staff_pseudonym_key.get_secret_value()
        if len(key) < MIN_TOKEN_CHARS:
            raise SystemExit(f"CONSOLE_STAFF_PSEUDONYM_KEY: at least {MIN_TOKEN_CHARS} characters")
        self.webcare_token = settings.webcare_api_token.get_secret_value()
        if len(self.webcare_token) < MIN_TOKEN_CHARS:
            raise SystemExit(f"WEBCARE_API_TOKEN: at least {MIN_TOKEN_CHARS} characters (the console places as webcare)")
        self.settings = settings
        config = load_routing_config(settings.departments_file)
        departments = list(config.departments)
        self.redis = Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=2.0,
                                    socket_connect_timeout=2.0)
        self.queue = TriageQueue(settings.console_queue_limit)
        self.history = ConversationHistory()
        self.hub = LiveHub(settings.console_max_viewers)
        kpi = load_kpi_config(settings.kpi_config_file, departments)
        self.board = DepartmentBoard(kpi.office_hours, kpi.sla_seconds, kpi.at_risk_fraction,
                                     frozenset(d.id for d in departments), self.history)
        self._changed_departments: set[str] = set()
        self.prometheus = PrometheusReader(settings.console_prometheus_url)
        self._overview: tuple[float, dict] | None = None
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers, client_id="gemeente-console", group_id=None,
            enable_auto_commit=False, auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms, **aiokafka_security(settings))
        self.feed = ConsoleFeed(self.consumer, [d.id for d in departments], self.queue, self.history, self.board,
                                self.on_change)
        self.channel = channel_to(settings.router_grpc_address, settings.router_grpc_ca_file, grpc_module=grpc.aio)
        self.stub = routing_pb2_grpc.RoutingServiceStub(self.channel)
        self.handling_stub = handling_pb2_grpc.HandlingServiceStub(self.channel)
        self.state = ConsoleState(
            queue=self.queue, history=self.history,
            claims=ClaimBook(self.redis, settings.console_claim_seconds),
            sessions=SessionStore(self.redis, settings.console_session_seconds),
            hub=self.hub,
            office_hours=kpi.office_hours, board=self.board, report=self.report,
            departments={d.id: d.display_name for d in departments},
            categories=dict(config.department_of),
            category_names={c.id: c.name for c in config.taxonomy.categories},
            place=self.place, pseudonym_key=key.encode("utf-8"), dev_login=settings.console_dev_login,
            secure_cookies=settings.console_secure_cookies, public_url=settings.console_public_url,
            session_seconds=settings.console_session_seconds, overview=self.overview, oidc=self._oidc_client(), group_roles=(parse_group_roles(settings.console_oidc_group_roles)
                                                   or default_group_roles(d.id for d in departments)),
        )
        self._stopped = asyncio.Event()

    def _oidc_client(self) -> OidcClient | None:
        settings = self.settings
        if not settings.console_oidc_issuer:
            return None
        if not settings.console_oidc_client_id or not settings.console_oidc_client_secret.get_secret_value():
            raise SystemExit("CONSOLE_OIDC_ISSUER is set: CONSOLE_OIDC_CLIENT_ID and CONSOLE_OIDC_CLIENT_SECRET are needed too")
        return OidcClient(settings.console_oidc_issuer, settings.console_oidc_client_id,
                          settings.console_oidc_client_secret.get_secret_value(),
                          settings.console_public_url.rstrip("/") + "/login/callback",
                          # The flow cookie's seal: a key of its own, derived from the pseudonym key.
                          hmac.new(settings.console_staff_pseudonym_key.get_secret_value().encode(),
                                   b"console sign-in flow", hashlib.sha256).digest(),
                          settings.console_oidc_groups_claim, settings.console_oidc_scopes)

    def on_change(self, kind: str, payload: object) -> None:
        if kind == "add" and isinstance(payload, TriageItem):
            self.hub.send("triage", "add", self.state.row(payload, epoch_to_datetime(time.time())))
        elif kind == "remove":
            self.hub.send("triage", "remove", payload)
        elif kind == "departments" and isinstance(payload, set):
            self._changed_departments |= payload
        QUEUE_ROWS.set(len(self.queue))
        QUEUE_DROPPED.set(self.queue.dropped)

    async def place(self, message_id: str, department: str, category: str, staff_id: str) -> None:
        request = routing_pb2.RerouteRequest(message_id=message_id, department=department, category=category,
                                             staff_id=staff_id, note="console: triage")
        try:
            await self.stub.Reroute(request, metadata=bearer(self.webcare_token), timeout=PLACE_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
                raise PlacementRefused(exc.details()) from exc
            log.warning("Reroute failed: %s", exc.code().name)
            # UNAVAILABLE: no connection, nothing happened; a deadline may pass after the router acted.
            raise PlacementFailed(exc.code().name, exc.code() == grpc.StatusCode.UNAVAILABLE) from exc

    async def overview(self) -> dict:
        """The wall screen's figures, read from Prometheus at most every OVERVIEW_SECONDS for all viewers."""
        now = time.monotonic()
        if self._overview is None or now - self._overview[0] > OVERVIEW_SECONDS:
            moment = epoch_to_datetime(time.time())
            results = await self.prometheus.query_all(overview_queries(seconds_today(moment, self.state.office_hours.zone)))
            figures = assemble(results, codec.channel_labels(), self.state.departments)
            figures["office_open"] = self.state.office_hours.is_open(moment)
            self._overview = (now, figures)
        return self._overview[1]

    async def report(self, event: codec.HandledEvent) -> None:
        """ReportHandled as webcare, for a department the signed-in person belongs to (checked by the page)."""
        try:
            await self.handling_stub.ReportHandled(handling_pb2.ReportHandledRequest(event=event),
                                                   metadata=bearer(self.webcare_token), timeout=PLACE_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
                raise PlacementRefused(exc.details()) from exc
            log.warning("ReportHandled failed: %s", exc.code().name)
            raise PlacementFailed(exc.code().name) from exc

    async def publish_departments(self) -> None:
        """Each changed department's list to its viewers, and now and then every list and the triage rows'
        waiting times (the clocks move while nothing happens)."""
        since_clock = 0.0
        while True:
            await asyncio.sleep(PUBLISH_SECONDS)
            since_clock += PUBLISH_SECONDS
            try:
                now = time.time()
                if since_clock >= CLOCK_SECONDS:
                    since_clock = 0.0
                    self._changed_departments |= set(self.board.departments)
                    self.board.forget_old_answers(now)
                    if self.hub.watched("triage"):
                        self.hub.send("triage", "waits", {row["message_id"]: row["waiting_office_seconds"]
                                                          for row in self.state.rows()})
                changed, self._changed_departments = self._changed_departments, set()
                # A list nobody watches is not computed (each row's SLA clock walks the office hours).
                for department in changed & self.board.departments:
                    if self.hub.watched(f"afdeling:{department}"):
                        self.hub.send(f"afdeling:{department}", "rows", self.board.rows(department, now))
                        self.hub.send(f"afdeling:{department}", "replies", self.board.answers(department))
            except Exception:  # noqa: BLE001 - a list not sent now is sent at the next change or tick
                log.exception("department lists not sent")

    async def relay_claims(self) -> None:
        """Claim changes from every replica (Redis pub/sub) to this replica's browsers."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANGES_CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        change = json.loads(message["data"])
                        if "claim" in change:
                            self.hub.send("triage", "claim", change["claim"])
                        elif "release" in change:
                            self.hub.send("triage", "release", change["release"])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis away: browsers keep their last view, retry
                log.warning("claim changes not received; retrying", exc_info=False)
                await asyncio.sleep(1.0)

    def management_app(self) -> web.Application:
        async def is_ready() -> bool:
            # Ready once the topics are read up to where they were at start, with Redis reachable.
            if not self.feed.caught_up:
                return False
            try:
                return bool(await self.redis.ping())
            except Exception:  # noqa: BLE001
                return False

        return probe_app(is_ready)

    async def run(self) -> None:
        settings = self.settings
        management = web.AppRunner(self.management_app(), access_log=None)
        await management.setup()
        await web.TCPSite(management, settings.console_host, settings.console_port).start()
        pages = web.AppRunner(create_web_app(self.state), access_log=None)
        await pages.setup()
        await web.TCPSite(pages, settings.console_host, settings.console_web_port).start()
        await self.consumer.start()
        tasks = [asyncio.create_task(self.feed.run()), asyncio.create_task(self.relay_claims()),
                 asyncio.create_task(self.publish_departments())]
        for task in tasks:
            task.add_done_callback(self._stop_if_failed)
        log.info("console on %s (browsers), probes and metrics on :%d", settings.console_public_url,
                 settings.console_port)
        try:
            await self._stopped.wait()
        finally:
            self.feed.stop()
            self.hub.close_all()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await pages.cleanup()
            await management.cleanup()
            await self.consumer.stop()
            await self.channel.close()
            await self.redis.aclose()

    def stop(self) -> None:
        self._stopped.set()

    def _stop_if_failed(self, task: asyncio.Task) -> None:
        """A view that stopped following the topics must not stay ready: stop, so the pod restarts."""
        if not task.cancelled() and task.exception() is not None and not self._stopped.is_set():
            log.error("console task failed (%s): stopping", type(task.exception()).__name__)
            self.stop()

