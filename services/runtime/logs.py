"""Logging set-up. Log lines carry ids, channels, departments and counts, never a citizen's text or handle."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # aiohttp's access log would print query strings (hub.verify_token) and client addresses.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # aiosmtpd logs every SMTP command at INFO, MAIL FROM with the citizen's address among them.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # aiokafka logs every record's key and value at DEBUG: never let citizen text into the logs.
    for name in ("aiokafka", "kafka"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level.upper())))
