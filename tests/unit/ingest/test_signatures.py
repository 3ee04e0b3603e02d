import hashlib
import hmac

import pytest

from services.ingest.meta.webhook import verification_answer
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, check_hex_signature, hex_signature

SECRET = b"app-secret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_signature_is_metas_format():
    expected = "sha256=" + hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()
    assert hex_signature(SECRET, BODY) == expected


@pytest.mark.parametrize(
    ("secret", "body", "header", "result"),
    [
        (SECRET, BODY, hex_signature(SECRET, BODY), SignatureCheck.VALID),
        (SECRET, BODY, hex_signature(SECRET, BODY).upper().replace("SHA256=", "sha256="), SignatureCheck.VALID),
        (SECRET, BODY, None, SignatureCheck.MISSING),
        (SECRET, BODY, "", SignatureCheck.MISSING),
        (SECRET, BODY, hex_signature(b"wrong-secret", BODY), SignatureCheck.INVALID),
        (SECRET, BODY + b" ", hex_signature(SECRET, BODY), SignatureCheck.INVALID),
        (SECRET, BODY, "sha1=" + hmac.new(SECRET, BODY, hashlib.sha1).hexdigest(), SignatureCheck.INVALID),
        (SECRET, BODY, "sha256=ünïcode", SignatureCheck.INVALID),
    ],
)
def test_signature_checks(secret, body, header, result):
    assert check_hex_signature(secret, body, header) is result


def test_meta_verification_echoes_the_challenge_only_for_our_token():
    good = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert verification_answer(good, "tok") == (200, "1158201444")
    assert verification_answer({**good, "hub.verify_token": "other"}, "tok")[0] == 403
    assert verification_answer({**good, "hub.mode": "unsubscribe"}, "tok")[0] == 403
    assert verification_answer({k: v for k, v in good.items() if k != "hub.challenge"}, "tok")[0] == 403


def test_pseudonyms_are_stable_keyed_and_kind_separated():
    p = Pseudonymizer(b"0123456789abcdef")
    assert p.pseudonym("phone", "31612345678") == p.pseudonym("phone", "31612345678")
    assert p.pseudonym("phone", "31612345678") != p.pseudonym("psid", "31612345678")
    assert p.pseudonym("phone", "31612345678") != Pseudonymizer(b"fedcba9876543210").pseudonym("phone", "31612345678")
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")
