"""Sign-in with the gemeente's identity provider: OpenID Connect's authorization code flow with PKCE, as
Keycloak and Microsoft Entra ID provide it.

The browser is sent to the provider with a one-time `state` (kept in Redis for ten minutes and bound to the
browser by a cookie, against login CSRF), a `nonce` and a PKCE challenge; the provider sends it back with a
code; the console exchanges the code (with its client secret and the PKCE verifier) for an ID token and
checks the token's signature (the provider's published keys), issuer, audience, expiry and nonce. Roles
come from a claim of group names (CONSOLE_OIDC_GROUPS_CLAIM) through CONSOLE_OIDC_GROUP_ROLES.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import jwt
from redis.asyncio import Redis

from services.runtime.redis_store import count_in_window

FLOW_PREFIX = "console:oidc:"
FLOW_SECONDS = 600
# Sign-ins started per minute, all replicas together: each keeps a small Redis key for FLOW_SECONDS, so
# an unbounded number would let anyone fill Redis by asking for /login. A gemeente's staff start far fewer.
MAX_FLOWS_PER_MINUTE = 300


class TooManySignIns(Exception):
    """More sign-ins started this minute than MAX_FLOWS_PER_MINUTE."""
# Provider metadata and keys are fetched again after this long (keys rotate).
METADATA_SECONDS = 3600
CLOCK_SKEW_SECONDS = 60


class SignInFailed(Exception):
    """The sign-in could not be completed; the message is for the log, never shown with token content."""


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    name: str
    groups: tuple[str, ...]


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def identity_from_claims(claims: dict, groups_claim: str) -> Identity:
    """The person in a verified ID token: who (issuer and subject), a display name and the group names."""
    groups = claims.get(groups_claim, [])
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        groups = []
    name = str(claims.get("name") or claims.get("preferred_username") or "medewerker")[:80]
    return Identity(str(claims["iss"]), str(claims["sub"]), name, tuple(str(g) for g in groups)[:200])


class OidcClient:
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str, redis: Redis,
                 groups_claim: str = "groups", scopes: str = "openid profile") -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.redis = redis
        self.groups_claim = groups_claim
        self.scopes = scopes
        self._metadata: dict | None = None
        self._keys: jwt.PyJWKSet | None = None
        self._fetched_at = 0.0

    async def _load(self, session: aiohttp.ClientSession, force: bool = False) -> dict:
        if self._metadata is None or force or time.monotonic() - self._fetched_at > METADATA_SECONDS:
            async with session.get(f"{self.issuer}/.well-known/openid-configuration") as response:
                response.raise_for_status()
                metadata = await response.json()
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise SignInFailed("the provider's metadata names another issuer")
            async with session.get(metadata["jwks_uri"]) as response:
                response.raise_for_status()
                try:
                    keys = jwt.PyJWKSet.from_dict(await response.json())
                except jwt.PyJWKSetError as exc:
                    raise SignInFailed("the provider publishes no usable signing key") from exc
            self._metadata, self._keys, self._fetched_at = metadata, keys, time.monotonic()
        return self._metadata

    async def start(self) -> tuple[str, str]:
        """(the provider's authorization URL to send the browser to, the state to bind to the browser)."""
        started, _ = await count_in_window(self.redis, FLOW_PREFIX + "started", 60)
        if started > MAX_FLOWS_PER_MINUTE:
            raise TooManySignIns()
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        await self.redis.set(FLOW_PREFIX + hashlib.sha256(state.encode()).hexdigest(),
                             json.dumps({"nonce": nonce, "verifier": verifier}), ex=FLOW_SECONDS)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            metadata = await self._load(session)
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "scope": self.scopes, "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256",
        })
        return f"{metadata['authorization_endpoint']}?{query}", state

    async def finish(self, code: str, state: str) -> Identity:
        """The identity of the person the provider sent back with `code`; raises SignInFailed."""
        stored = await self.redis.getdel(FLOW_PREFIX + hashlib.sha256(state.encode()).hexdigest())
        if stored is None:
            raise SignInFailed("unknown or expired state")
        flow = json.loads(stored)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            metadata = await self._load(session)
            async with session.post(metadata["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "code_verifier": flow["verifier"],
            }, auth=aiohttp.BasicAuth(self.client_id, self.client_secret)) as response:
                if response.status != 200:
                    raise SignInFailed(f"token endpoint answered {response.status}")
                tokens = await response.json()
            if "id_token" not in tokens:
                raise SignInFailed("no ID token")
            try:
                claims = self._verify(tokens["id_token"])
            except KeyError:  # a key id not seen yet: the provider rotated its keys
                await self._load(session, force=True)
                try:
                    claims = self._verify(tokens["id_token"])
                except KeyError as exc:
                    raise SignInFailed("unknown signing key") from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")), flow["nonce"]):
            raise SignInFailed("nonce mismatch")
        return identity_from_claims(claims, self.groups_claim)

    def _verify(self, token: str) -> dict:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SignInFailed(f"ID token refused: {type(exc).__name__}") from exc
        key = self._keys[header["kid"]] if "kid" in header else self._keys.keys[0]
        try:
            return jwt.decode(token, key=key, algorithms=["RS256", "ES256", "PS256"], audience=self.client_id,
                              issuer=self._metadata["issuer"], leeway=CLOCK_SKEW_SECONDS,
                              options={"require": ["exp", "iat", "iss", "sub", "aud"]})
        except jwt.InvalidTokenError as exc:
            raise SignInFailed(f"ID token refused: {type(exc).__name__}") from exc
