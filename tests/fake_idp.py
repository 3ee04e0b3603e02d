"""A small OpenID Connect provider for the console's sign-in tests: discovery, a login page with a button
per person, the authorization code flow with PKCE (S256 checked), RS256-signed ID tokens and the key set.
It stands in for Keycloak or Entra ID, which the test machine cannot run; it follows the same protocol
(OpenID Connect Core 1.0, RFC 7636), so the console cannot tell the difference."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class FakeIdentityProvider:
    users: dict[str, tuple[str, list[str]]]  # subject → (name, groups)
    client_id: str = "gemeente-contactconsole"
    client_secret: str = "test-client-secret-0123456789abcdef"
    port: int = 0
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    codes: dict[str, dict] = field(default_factory=dict)
    tokens_issued: int = 0

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/gemeente"

    def app(self) -> web.Application:
        prefix = "/realms/gemeente"

        async def discovery(request: web.Request) -> web.Response:
            return web.json_response({
                "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/auth",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/certs",
                "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            })

        async def certs(request: web.Request) -> web.Response:
            public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return web.json_response({"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]})

        async def authorize(request: web.Request) -> web.Response:
            query = request.query
            if (query.get("client_id") != self.client_id or query.get("response_type") != "code"
                    or query.get("code_challenge_method") != "S256" or not query.get("code_challenge")):
                return web.Response(status=400, text="invalid authorization request")
            buttons = "".join(f'<button name="sub" value="{html.escape(sub)}">{html.escape(name)}</button>'
                              for sub, (name, _) in self.users.items())
            hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in query.items())
            return web.Response(content_type="text/html", text=(
                f'<!doctype html><html lang="nl"><title>IdP</title><form method="post" action="{prefix}/auth">'
                f"{hidden}{buttons}</form></html>"))

        async def approve(request: web.Request) -> web.Response:
            form = await request.post()
            code = secrets.token_urlsafe(24)
            self.codes[code] = {"sub": form["sub"], "nonce": form["nonce"], "challenge": form["code_challenge"],
                                "redirect_uri": form["redirect_uri"]}
            raise web.HTTPFound(f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form['state']})}")

        async def token(request: web.Request) -> web.Response:
            form = await request.post()
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                return web.json_response({"error": "invalid_client"}, status=401)
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                return web.json_response({"error": "invalid_grant"}, status=400)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["challenge"]:
                return web.json_response({"error": "invalid_grant", "error_description": "PKCE"}, status=400)
            name, groups = self.users[grant["sub"]]
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": grant["sub"], "aud": self.client_id, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], "name": name, "groups": groups}
            self.tokens_issued += 1
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})
            return web.json_response({"access_token": "unused", "token_type": "Bearer", "id_token": id_token})

        app = web.Application()
        app.router.add_get(f"{prefix}/.well-known/openid-configuration", discovery)
        app.router.add_get(f"{prefix}/certs", certs)
        app.router.add_get(f"{prefix}/auth", authorize)
        app.router.add_post(f"{prefix}/auth", approve)
        app.router.add_post(f"{prefix}/token", token)
        return app

    def start(self, port: int) -> None:
        """Serve on 127.0.0.1:`port` from a thread of its own (the tests' own thread runs the browser)."""
        self.port = port
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            runner = web.AppRunner(self.app())
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
            ready.set()
            loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        assert ready.wait(10), "the fake identity provider did not start"
