"""Masking of personal data in message text before it is fanned out to department topics (AVG). Pure.

What is masked, each replaced by its kind so staff still see what was there:
  [E-MAIL]    e-mail addresses, also obfuscated (jan(at)example.nl, jan [at] example [dot] nl) and with
              internationalised domains
  [IBAN]      IBANs whose check digits are valid (python-stdnum), grouped by spaces, dashes or dots
  [BSN]       nine-digit numbers that pass the elfproef (python-stdnum), also written 1234.56.782; right
              after "BSN" (BSN-123456782, bsn123456782, bsn 123-456-782) with any separators
  [TELEFOON]  Dutch and international phone numbers that libphonenumber considers valid
Numbers that fail their check (order numbers, dates, amounts, postcodes) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from stdnum import iban
from stdnum.nl import bsn

# An address as written, or obfuscated the ways people write it: jan(at)example.nl, jan [at] example
# [dot] nl, jan @ example.nl; internationalised domains (müller.de, почта.рф, xn--…) too.
_AT = r"\s?(?:@|＠|[\(\[{]\s?(?:at|apenstaartje)\s?[\)\]}])\s?"
_DOT = r"(?:\.|\s?[\(\[{]\s?(?:dot|punt|\.)\s?[\)\]}]\s?)"
_DOMAIN_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_TLD = r"(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)"
_EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]+{_AT}(?:{_DOMAIN_LABEL}{_DOT})+{_TLD}(?![\w-])", re.I)
_MAYBE_EMAIL = re.compile(r"[@＠]|[\(\[{]\s?(?:at|apenstaartje)\s?[\)\]}]", re.I)
# Separators between an IBAN's groups: spaces, dashes or dots.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ .\-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_IBAN_SEPARATORS = re.compile(r"[ .\-]")
_BSN = re.compile(
    r"(?<![\w.\-/])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3}|\d{3}[ .]\d{2}[ .]\d{2}[ .]\d{2})(?![\w\-/]|[.]\d)"
)
# A number right after its label ("BSN-123456782", "bsn123456782", "bsn 123-456-782"): any separators.
_LABELLED_BSN = re.compile(
    r"(?<![^\W\d_])(?:bsn|burgerservicenummer|sofi(?:nummer|nr)?)(?:[\s-]?(?:nummer|nr\.?))?\s?[:#.\-]?\s?"
    r"(\d(?:[ .\-]?\d){8})(?!\d|[.\-]\d)",
    re.I,
)
_OTHER_NUMBER_BEFORE = re.compile(r"(?<!bsn)(?<!bsn-)(?<!burgerservice)(?<!sofi)nummer\W{0,3}$", re.I)
_DATE = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
# Only texts with at least this many digits can hold a phone number, BSN or IBAN: skips the slow matcher.
_ENOUGH_DIGITS = re.compile(r"(?:\d\D{0,3}){8}")


@dataclass
class Masked:
    text: str
    # kind -> how many were masked (for metrics; never the values).
    counts: dict[str, int] = field(default_factory=dict)


def _replace(pattern: re.Pattern, text: str, label: str, valid_length, counts: dict[str, int]) -> str:
    """Mask each match, or the longest valid prefix of it (a match can run into the next word)."""

    def substitute(match: re.Match) -> str:
        candidate = match.group(0)
        length = valid_length(candidate, match.string[: match.start()])
        if not length:
            return candidate
        counts[label] = counts.get(label, 0) + 1
        return f"[{label}]" + candidate[length:]

    return pattern.sub(substitute, text)


def _iban_length(candidate: str, _: str) -> int:
    for end in range(len(candidate), 14, -1):
        prefix = candidate[:end]
        if prefix[-1] not in " .-" and iban.is_valid(_IBAN_SEPARATORS.sub("", prefix).upper()):
            return end
    return 0


def _bsn_length(candidate: str, before: str) -> int:
    if _OTHER_NUMBER_BEFORE.search(before[-30:]):
        return 0
    return len(candidate) if bsn.is_valid(re.sub(r"[ .]", "", candidate)) else 0


def _email_length(candidate: str, _: str) -> int:
    return len(candidate)


def _mask_labelled_bsns(text: str, counts: dict[str, int]) -> str:
    def substitute(match: re.Match) -> str:
        if not bsn.is_valid(re.sub(r"\D", "", match.group(1))):
            return match.group(0)
        counts["BSN"] = counts.get("BSN", 0) + 1
        return match.group(0)[: match.start(1) - match.start()] + "[BSN]"

    return _LABELLED_BSN.sub(substitute, text)


def mask_email_addresses(text: str) -> str:
    """E-mail addresses only: for identifiers (a Message-ID can hold the sender's address), where
    masking digits would break the id."""
    if not _MAYBE_EMAIL.search(text):
        return text
    return _replace(_EMAIL, text, "E-MAIL", _email_length, {})


def _mask_phones(text: str, counts: dict[str, int]) -> str:
    spans = [
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID)
        # "09-09-2024" is a valid-looking number to libphonenumber, and a date to a citizen.
        if not _DATE.fullmatch(match.raw_string)
    ]
    for start, end in reversed(spans):
        text = text[:start] + "[TELEFOON]" + text[end:]
    if spans:
        counts["TELEFOON"] = counts.get("TELEFOON", 0) + len(spans)
    return text


def mask_personal_data(text: str) -> Masked:
    counts: dict[str, int] = {}
    if _MAYBE_EMAIL.search(text):
        text = _replace(_EMAIL, text, "E-MAIL", _email_length, counts)
    if _ENOUGH_DIGITS.search(text):
        text = _replace(_IBAN, text, "IBAN", _iban_length, counts)
        text = _mask_labelled_bsns(text, counts)
        text = _replace(_BSN, text, "BSN", _bsn_length, counts)
        text = _mask_phones(text, counts)
    return Masked(text, counts)
