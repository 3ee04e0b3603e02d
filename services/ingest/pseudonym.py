"""Pseudonymous ids: a keyed hash of a phone number or handle.

Departments can see "the same citizen" or "the same conversation" without the handle in the clear;
without the key the hash cannot be reversed by trying all phone numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class Pseudonymizer:
    key: bytes

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")

    def pseudonym(self, kind: str, *parts: str) -> str:
        """A stable 128-bit hex id for (kind, parts); kind keeps e.g. phone numbers and PSIDs apart."""
        material = "\x1f".join((kind, *parts)).encode("utf-8")
        return hmac.new(self.key, material, hashlib.sha256).hexdigest()[:32]
