"""Who a signed-in staff member is and what they may do. Pure.

Roles come from the identity provider's groups (OpenID Connect): webcare places triaged messages and
claims conversations; a department member sees and reports on their own department only; ops sees the
overview, read-only. Everywhere the console records an action it uses the pseudonymous staff id, an HMAC
of the identity provider's subject, never a name or an e-mail address.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass

WEBCARE, OPS = "webcare", "ops"
DEPARTMENT_PREFIX = "afdeling:"  # "afdeling:afval": a member of that department


@dataclass(frozen=True)
class Staff:
    staff_id: str  # pseudonym: what logs, claims and corrections carry
    name: str  # shown to colleagues only (the claim's "in behandeling door ...")
    roles: frozenset[str]

    @property
    def is_webcare(self) -> bool:
        return WEBCARE in self.roles

    @property
    def departments(self) -> list[str]:
        return sorted(r.removeprefix(DEPARTMENT_PREFIX) for r in self.roles if r.startswith(DEPARTMENT_PREFIX))

    def may_see_department(self, department: str) -> bool:
        return self.is_webcare or f"{DEPARTMENT_PREFIX}{department}" in self.roles

    @property
    def home(self) -> str:
        """The page a person lands on after signing in."""
        if self.is_webcare:
            return "/triage"
        if self.departments:
            return f"/afdeling/{self.departments[0]}"
        return "/overzicht"


def staff_pseudonym(key: bytes, issuer: str, subject: str) -> str:
    """Stable per person and identity provider, meaningless without the key (a Secret)."""
    digest = hmac.new(key, f"{issuer}\x00{subject}".encode("utf-8"), hashlib.sha256).hexdigest()
    return f"mw-{digest[:16]}"


def roles_from_groups(groups: Iterable[str], group_roles: dict[str, str], departments: Collection[str]) -> frozenset[str]:
    """The identity provider's group names → our roles, through the configured map ("gg-webcare" →
    "webcare", "gg-afval" → "afdeling:afval"). Unknown groups and departments give nothing."""
    roles = set()
    for group in groups:
        role = group_roles.get(group)
        if role in (WEBCARE, OPS):
            roles.add(role)
        elif role and role.startswith(DEPARTMENT_PREFIX) and role.removeprefix(DEPARTMENT_PREFIX) in departments:
            roles.add(role)
    return frozenset(roles)


def default_group_roles(departments: Iterable[str]) -> dict[str, str]:
    """The groups to create in the identity provider when CONSOLE_OIDC_GROUP_ROLES is not set:
    contact-webcare, contact-beheer (ops) and contact-afdeling-<department id> per department."""
    return {"contact-webcare": WEBCARE, "contact-beheer": OPS,
            **{f"contact-afdeling-{d}": DEPARTMENT_PREFIX + d for d in departments}}


def parse_group_roles(value: str) -> dict[str, str]:
    """"gg-webcare=webcare,gg-afval=afdeling:afval" → {group: role}."""
    pairs = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        group, separator, role = part.partition("=")
        if not separator or not group.strip() or not role.strip():
            raise ValueError(f"'{part}' is not a group=role pair")
        pairs[group.strip()] = role.strip()
    return pairs


# `make run` signs in without an identity provider: these people, each with the roles of a typical
# colleague. Only when CONSOLE_DEV_LOGIN is set, which the Kubernetes manifests never do.
DEV_USERS: dict[str, tuple[str, frozenset[str]]] = {
    "wendy": ("Wendy (webcare)", frozenset({WEBCARE})),
    "wim": ("Wim (webcare)", frozenset({WEBCARE})),
    "anna": ("Anna (afval)", frozenset({DEPARTMENT_PREFIX + "afval"})),
    "victor": ("Victor (verkeer)", frozenset({DEPARTMENT_PREFIX + "verkeer"})),
    "olga": ("Olga (beheer)", frozenset({OPS})),
}
