"""Pure helpers every normaliser shares: reading untrusted JSON with reasons, and what a body yields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from services.contract import codec


class PayloadError(ValueError):
    """The body is not what the channel's format promises; the reason is returned with a 400."""


@dataclass
class Normalised:
    """What a channel's normaliser found in one body."""

    messages: list[codec.ContactMessage] = field(default_factory=list)
    # kind -> count of events acknowledged but not published (e.g. {"status_delivered": 2}).
    ignored: dict[str, int] = field(default_factory=dict)
    # channel message id -> conversation root id, remembered after delivery (tweets, e-mail).
    thread_links: dict[str, str] = field(default_factory=dict)
    # Error codes the platform reported instead of a message (Meta's `errors` arrays), for the log.
    platform_errors: list[int] = field(default_factory=list)

    def platform_error(self, error: object) -> None:
        """The platform says it could not deliver something: acknowledged (a refusal is retried for days),
        counted as "platform_error", its numeric code logged; its texts are not kept."""
        self.ignore("platform_error")
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, int) and not isinstance(code, bool):
            self.platform_errors.append(code)

    def ignore(self, kind: str) -> None:
        kind = kind[:40]
        self.ignored[kind] = self.ignored.get(kind, 0) + 1


def parse_json_object(body: bytes) -> dict:
    """JSON body as a dict, or PayloadError saying why not."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}"[:200]) from None
    if not isinstance(document, dict):
        raise PayloadError("body must be a JSON object")
    return document


def obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object")
    return value


def opt_obj(value: Any) -> dict:
    """An optional sub-object: {} when absent or not an object."""
    return value if isinstance(value, dict) else {}


def lst(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be a list")
    return value


def text(value: Any, where: str, required: bool = True) -> str:
    """A string (numbers are accepted as their decimal text, as platforms mix both for ids)."""
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (required and str(value) == ""):
        raise PayloadError(f"{where} must be a non-empty string")
    return str(value)


def epoch(value: Any, where: str, millis: bool = False) -> float:
    """A platform timestamp (epoch seconds or milliseconds, number or numeric string) in seconds."""
    if isinstance(value, bool):
        raise PayloadError(f"{where} must be an epoch timestamp")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{where} must be an epoch timestamp") from None
    if not 0 <= number < (1e14 if millis else 1e11):
        raise PayloadError(f"{where} is out of range")
    return number / 1000 if millis else number
