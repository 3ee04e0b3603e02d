"""OpenID Connect's pure parts: PKCE, the sealed sign-in flow cookie, the identity from verified claims."""

from __future__ import annotations

import time

import pytest

from services.console.oidc import (
    FLOW_SECONDS,
    SignInFailed,
    identity_from_claims,
    pkce_challenge,
    seal,
    unseal,
)

KEY = b"k" * 32


def test_pkce_challenge_is_rfc7636s_example():
    # RFC 7636, appendix B.
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_identity_from_claims_keeps_groups_and_a_short_name():
    claims = {"iss": "https://idp", "sub": "abc", "preferred_username": "f.devries", "groups": "contact-webcare"}
    identity = identity_from_claims(claims, "groups")
    assert (identity.subject, identity.name, identity.groups) == ("abc", "f.devries", ("contact-webcare",))
    assert identity_from_claims({**claims, "groups": {"x": 1}, "name": "N" * 200}, "groups").groups == ()
    assert len(identity_from_claims({**claims, "name": "N" * 200}, "groups").name) == 80


def test_the_flow_cookie_opens_only_with_the_key_and_only_for_ten_minutes():
    now = time.time()
    flow = {"state": "s", "nonce": "n", "verifier": "v", "at": now}
    sealed = seal(KEY, flow)
    assert unseal(KEY, sealed, now + 5) == flow
    with pytest.raises(SignInFailed):
        unseal(b"other-key" * 4, sealed, now)
    body, mac = sealed.rsplit(".", 1)
    with pytest.raises(SignInFailed):
        unseal(KEY, body[:-2] + "AA." + mac, now)  # another flow under the same seal
    with pytest.raises(SignInFailed):
        unseal(KEY, sealed, now + FLOW_SECONDS + 1)
    with pytest.raises(SignInFailed):
        unseal(KEY, "", now)
