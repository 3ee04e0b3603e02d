"""The gRPC port with a certificate serves TLS only: a TLS client is answered, a plaintext one is not; a
renewed certificate is served without a restart."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.contract.access import KCC, TokenTable
from services.runtime.grpc_server import add_port, create_server
from tools.devstack.servers import free_port


def make_certificate(cert: Path, key: Path, name: str = "localhost") -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    make_certificate(cert, key)
    return cert, key


async def health_check(address: str, trusted: bytes) -> int:
    async with grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(trusted)) as secure:
        answer = await health_pb2_grpc.HealthStub(secure).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return answer.status


async def test_with_a_certificate_the_port_speaks_tls_only(certificate):
    cert, key = certificate
    server = create_server(TokenTable.build({KCC: "k" * 32}, {}))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"127.0.0.1:{free_port()}"
    add_port(server, address, str(cert), str(key))
    await server.start()
    try:
        credentials = grpc.ssl_channel_credentials(cert.read_bytes())
        async with grpc.aio.secure_channel(address, credentials) as secure:
            answer = await health_pb2_grpc.HealthStub(secure).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        async with grpc.aio.insecure_channel(address) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await health_pb2_grpc.HealthStub(plaintext).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(None)


async def test_a_renewed_certificate_is_served_without_a_restart(tmp_path):
    """As cert-manager renews it: the Secret volume's files are swapped through a symlink."""
    live = tmp_path / "live"
    for version in ("v1", "v2"):
        (tmp_path / version).mkdir()
        make_certificate(tmp_path / version / "tls.crt", tmp_path / version / "tls.key", f"gemeente-{version}")
    os.symlink("v1", live)
    server = create_server(TokenTable.build({KCC: "k" * 32}, {}))
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    address = f"127.0.0.1:{free_port()}"
    add_port(server, address, str(live / "tls.crt"), str(live / "tls.key"))
    await server.start()
    try:
        first, renewed = ((tmp_path / v / "tls.crt").read_bytes() for v in ("v1", "v2"))
        assert await health_check(address, first) == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError):
            await health_check(address, renewed)  # not yet: the server still has the first
        os.symlink("v2", tmp_path / "next")
        os.replace(tmp_path / "next", live)
        assert await health_check(address, renewed) == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError):
            await health_check(address, first)
    finally:
        await server.stop(None)
