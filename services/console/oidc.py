"""Sign-in with the gemeente's identity provider: OpenID Connect's authorization code flow with PKCE, as
Keycloak and Microsoft Entra ID provide it.

The browser is sent to the provider with a one-time `state`, a `nonce` and a PKCE challenge; state, nonce
and verifier travel in a sealed cookie (HMAC, ten minutes) that binds the flow to that browser (against login
CSRF) and leaves nothing on the server, so asking for /login endlessly costs the console nothing; the provider sends it back with a
code; the console exchanges the code (with its client secret and the PKCE verifier) for an ID token and
checks the token's signature (the provider's published keys), issuer, audience, expiry and nonce. Roles
come from a claim of group names (CONSOLE_OIDC_GROUPS_CLAIM) through CONSOLE_OIDC_GROUP_ROLES.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import jwt

FLOW_SECONDS = 600

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


def seal(key: bytes, flow: dict) -> str:
    """`flow` as a cookie value only this console can have made: base64 JSON and its HMAC."""
    body = base64.urlsafe_b64encode(json.dumps(flow, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}"


def unseal(key: bytes, value: str, now: float) -> dict:
    """The flow of a sealed cookie; raises SignInFailed when forged, damaged or older than FLOW_SECONDS."""
    body, _, mac = value.rpartition(".")
    if not body or not hmac.compare_digest(mac, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        raise SignInFailed("sign-in cookie missing or forged")
    flow = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if not isinstance(flow, dict) or not now - FLOW_SECONDS <= flow.get("at", 0) <= now + 60:
        raise SignInFailed("sign-in expired")
    return flow


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
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str, sealing_key: bytes,
                 groups_claim: str = "groups", scopes: str = "openid profile") -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.sealing_key = sealing_key
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
        """(the provider's authorization URL to send the browser to, the sealed flow for the browser's cookie)."""
        state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            metadata = await self._load(session)
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "scope": self.scopes, "state": state, "nonce": nonce,
            "code_challenge": pkce_challenge(verifier), "code_challenge_method": "S256",
        })
        sealed = seal(self.sealing_key, {"state": state, "nonce": nonce, "verifier": verifier, "at": time.time()})
        return f"{metadata['authorization_endpoint']}?{query}", sealed

    async def finish(self, code: str, state: str, sealed: str) -> Identity:
        """The identity of the person the provider sent back with `code` and `state`, in the browser that
        holds `sealed` (its cookie from start()); raises SignInFailed."""
        flow = unseal(self.sealing_key, sealed, time.time())
        if not secrets.compare_digest(state, str(flow.get("state", ""))):
            raise SignInFailed("state does not match this browser's sign-in")
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
