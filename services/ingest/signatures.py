"""HMAC-SHA256 webhook signatures, as Meta (X-Hub-Signature-256) and our web form send them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import Enum


class SignatureCheck(Enum):
    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"


def hex_signature(secret: bytes, body: bytes) -> str:
    """The header value: 'sha256=' + lowercase hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def check_hex_signature(secret: bytes, body: bytes, header: str | None) -> SignatureCheck:
    """Compare in constant time over the raw bytes as received (never re-serialised JSON)."""
    if not header:
        return SignatureCheck.MISSING
    expected = hex_signature(secret, body)
    if hmac.compare_digest(expected.encode("ascii"), header.strip().lower().encode("utf-8", "replace")):
        return SignatureCheck.VALID
    return SignatureCheck.INVALID


def base64_signature(secret: bytes, message: bytes) -> str:
    """X's format: 'sha256=' + base64 HMAC-SHA256 (the CRC response token and the POST signature)."""
    return "sha256=" + base64.b64encode(hmac.new(secret, message, hashlib.sha256).digest()).decode("ascii")


def check_base64_signature(secret: bytes, body: bytes, header: str | None) -> SignatureCheck:
    if not header:
        return SignatureCheck.MISSING
    expected = base64_signature(secret, body).encode("ascii")
    if hmac.compare_digest(expected, header.strip().encode("utf-8", "replace")):
        return SignatureCheck.VALID
    return SignatureCheck.INVALID
