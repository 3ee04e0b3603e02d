"""The one HTTP call the platform transports share (Graph API, X API)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from services.replies.senders import Retry


async def post_json(session: aiohttp.ClientSession, url: str, token: str, body: Mapping[str, Any],
                    timeout_seconds: float) -> tuple[int, Mapping[str, str], Mapping[str, Any]]:
    """POST a JSON body with a bearer token: (status, headers, JSON answer); Retry when there is no answer."""
    try:
        async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                                timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as response:
            raw = await response.read()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {}
            return response.status, response.headers, answer if isinstance(answer, dict) else {}
    except asyncio.TimeoutError:
        raise Retry("timeout", detail=f"no answer within {timeout_seconds:g} s") from None
    except aiohttp.ClientConnectorError as exc:  # never connected: nothing reached the platform
        raise Retry("unreachable", detail=type(exc).__name__) from None
    except aiohttp.ClientError as exc:  # the request went, the answer did not come: it may have been accepted
        raise Retry("no_answer", detail=type(exc).__name__) from None
