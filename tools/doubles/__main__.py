"""`python -m tools.doubles`: the Meta and X doubles and the SMTP sink in one process, on 127.0.0.1.

    META_DOUBLE_PORT (8181)  X_DOUBLE_PORT (8182)  SMTP_DOUBLE_PORT (2526)  SMTP_DOUBLE_CONTROL_PORT (8183)

The Meta double accepts WHATSAPP_ACCESS_TOKEN, META_PAGE_ACCESS_TOKEN and INSTAGRAM_ACCESS_TOKEN (those set),
the X double X_USER_ACCESS_TOKEN. Status webhooks are signed with META_APP_SECRET and posted to the ingestors
at WHATSAPP_URL, FACEBOOK_URL and INSTAGRAM_URL (base URLs; the paths come from the channel registry); one
not set gets none. INSTAGRAM_ACCOUNT_IDS (comma-separated) are the ids the Send API treats as Instagram.
SIGTERM or SIGINT stops it: the HTTP doubles finish what they answer, then the sink stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping

from aiohttp import web

from services.ingest.channels import channel
from services.runtime.logs import configure_logging
from tools.doubles.meta import create_meta_double
from tools.doubles.smtp import SmtpSink, create_smtp_control
from tools.doubles.x import create_x_double

log = logging.getLogger("tools.doubles")

HOST = "127.0.0.1"
WEBHOOK_BASES = {"whatsapp": "WHATSAPP_URL", "facebook": "FACEBOOK_URL", "instagram": "INSTAGRAM_URL"}


def _values(env: Mapping[str, str], *names: str) -> set[str]:
    return {env[name] for name in names if env.get(name)}


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    return int(env.get(name) or default)


def webhook_urls(env: Mapping[str, str]) -> dict[str, str]:
    """Where each channel's status webhooks go: the ingestor's base URL and its registry webhook path."""
    return {name: env[variable].rstrip("/") + (channel(name).webhook_path or "")
            for name, variable in WEBHOOK_BASES.items() if env.get(variable)}


async def serve(env: Mapping[str, str]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    meta = create_meta_double(
        _values(env, "WHATSAPP_ACCESS_TOKEN", "META_PAGE_ACCESS_TOKEN", "INSTAGRAM_ACCESS_TOKEN"),
        env.get("META_APP_SECRET", ""), webhook_urls(env),
        instagram_account_ids={i.strip() for i in env.get("INSTAGRAM_ACCOUNT_IDS", "").split(",") if i.strip()})
    sink = SmtpSink(_port(env, "SMTP_DOUBLE_PORT", 2526), HOST)
    apps = ((meta, _port(env, "META_DOUBLE_PORT", 8181)),
            (create_x_double(_values(env, "X_USER_ACCESS_TOKEN")), _port(env, "X_DOUBLE_PORT", 8182)),
            (create_smtp_control(sink), _port(env, "SMTP_DOUBLE_CONTROL_PORT", 8183)))
    runners: list[web.AppRunner] = []
    sink.start()
    try:
        for app, port in apps:
            runner = web.AppRunner(app)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, HOST, port).start()
        log.info("doubles: Meta on %d, X on %d, SMTP on %d (control on %d)",
                 apps[0][1], apps[1][1], sink.port, apps[2][1])
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        sink.stop()


def main() -> None:
    configure_logging(os.environ.get("LOG_LEVEL", "info"))
    asyncio.run(serve(os.environ))


if __name__ == "__main__":
    main()
