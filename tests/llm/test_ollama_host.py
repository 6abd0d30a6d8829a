"""Where Ollama is and whether it is safe to talk to: the start hint, plain http to another machine,
and TLS against a loopback https server with a self-signed certificate."""

from __future__ import annotations

import datetime
import ipaddress
import logging
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError
from desktop_assistant.llm.catalog import list_models
from desktop_assistant.llm.ollama_host import insecure_host_warning, ollama_start_hint, open_client

REMOTE = "http://192.168.1.5:11434"


@pytest.fixture
def ollama_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``ollama`` executable, and nothing else, on PATH."""
    program = tmp_path / "ollama"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.usefixtures("ollama_on_path")
@pytest.mark.parametrize(
    ("platform", "start"),
    [
        ("linux", "Run 'ollama serve' (or 'systemctl start ollama' where it is installed as a service)"),
        ("darwin", "Open the Ollama app, or run 'ollama serve'"),
        ("win32", "Start Ollama from the Start menu"),
    ],
)
def test_the_start_hint_fits_the_platform(platform: str, start: str) -> None:
    assert ollama_start_hint(platform) == f"{start}; or set OLLAMA_HOST / llm.host to another server."


def test_the_start_hint_says_where_to_get_ollama_when_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ollama_start_hint("win32") == (
        "Install Ollama from https://ollama.com, then: start Ollama from the Start menu; "
        "or set OLLAMA_HOST / llm.host to another server."
    )


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:11434",
        "http://127.8.9.1:1",
        "http://localhost:11434",
        "http://[::1]:11434",
        "localhost:11434",
        "https://ollama.example.com",
        "",
    ],
)
def test_this_machine_or_https_is_let_through(host: str) -> None:
    settings = LlmSettings(host=host)
    _, client = open_client(settings)
    client.close()  # type: ignore[no-untyped-call]
    assert insecure_host_warning(settings) is None


@pytest.mark.parametrize("host", [REMOTE, "192.168.1.5:11434", "http://ollama.example.com"])
def test_plain_http_to_another_machine_is_refused(host: str) -> None:
    with pytest.raises(LLMError) as caught:
        open_client(LlmSettings(host=host))
    assert caught.value.line() == (
        f"Ollama at {host} is not this machine and the connection is not encrypted. "
        "Use an https:// address, or set llm.allow_insecure true on a network you trust."
    )


def test_allow_insecure_lets_it_through_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    settings = LlmSettings(host=REMOTE, allow_insecure=True)
    warning = f"Questions go to Ollama at {REMOTE} unencrypted (llm.allow_insecure is on)"
    with caplog.at_level(logging.WARNING):
        host, client = open_client(settings)
    client.close()  # type: ignore[no-untyped-call]
    assert host == REMOTE
    assert insecure_host_warning(settings) == warning
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [warning]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietHTTPServer(HTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client refusing the certificate ends the handshake: expected here


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    """A loopback https server whose certificate is self-signed."""
    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _QuietHTTPServer(("127.0.0.1", 0), _Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="https-test-server")
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_certificate_no_authority_signed_is_refused(https_url: str) -> None:
    with pytest.raises(LLMError) as caught:
        list_models(LlmSettings(host=https_url))
    line = caught.value.line()
    assert "\n" not in line
    assert line.startswith(f"The certificate of Ollama at {https_url} is not trusted (")
    assert "certificate" in line.removeprefix("The certificate")
