"""One set of Kafka security settings reaches every kind of client (aiokafka, kafka-python, faust)."""

import ssl

import faust

from services.runtime.kafka import aiokafka_security, kafka_python_security
from services.runtime.settings import CommonSettings
from services.runtime.stream import faust_credentials


def test_plaintext_is_the_default_and_adds_nothing():
    settings = CommonSettings()
    assert aiokafka_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert kafka_python_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(settings) is None


def test_scram_over_tls_for_a_strimzi_listener(monkeypatch):
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "gemeente-router")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "s3cret")
    settings = CommonSettings()
    aio = aiokafka_security(settings)
    assert (aio["sasl_mechanism"], aio["sasl_plain_username"], aio["sasl_plain_password"]) == (
        "SCRAM-SHA-512", "gemeente-router", "s3cret")
    assert isinstance(aio["ssl_context"], ssl.SSLContext)
    assert kafka_python_security(settings)["sasl_plain_password"] == "s3cret"
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL" and credentials.username == "gemeente-router"
    assert "s3cret" not in repr(settings)  # the password stays out of logs and tracebacks


def test_tls_only():
    settings = CommonSettings(kafka_security_protocol="SSL")
    assert isinstance(faust_credentials(settings), faust.SSLCredentials)
    assert "sasl_mechanism" not in aiokafka_security(settings)
