"""An HTTPS server for Client ID Metadata Documents in tests: its own CA, on 127.0.0.1.

The certificate names ``localhost`` (and 127.0.0.1): client_id URLs are
``https://localhost:PORT/...``, fetched with ``DCR_FETCH_ALLOW_PRIVATE_ADDRESSES=1`` (loopback
document hosts) and ``SSL_CERT_FILE`` pointing at :attr:`DocumentServer.ca_file`.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def localhost_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed CA certificate valid for localhost and 127.0.0.1; (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CIMD test CA")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Resource:
    """What one path answers; may change while the server runs."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    cache_control: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (to overlap concurrent fetches)
    hits: int = 0


class DocumentServer:
    """Serves :class:`Resource` objects by path over TLS; counts the requests per path."""

    def __init__(self, directory: Path) -> None:
        self.ca_file, key_file = localhost_certificate(directory)
        self.resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path
                with server._lock:
                    resource = server.resources.get(path)
                    if resource is not None:
                        resource.hits += 1
                if resource is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if resource.delay:
                    time.sleep(resource.delay)
                self.send_response(resource.status)
                self.send_header("Content-Type", resource.content_type)
                self.send_header("Content-Length", str(len(resource.body)))
                if resource.cache_control is not None:
                    self.send_header("Cache-Control", resource.cache_control)
                for name, value in resource.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(resource.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.ca_file), str(key_file))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.origin = f"https://localhost:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def new_url(self, name: str = "client.json") -> str:
        """A URL no other test uses (back-off and cache entries are keyed by URL)."""
        return f"{self.origin}/{uuid.uuid4().hex}/{name}"

    def path_of(self, url: str) -> str:
        assert url.startswith(self.origin), url
        return url[len(self.origin) :] or "/"

    def publish(self, url: str, document: Any, **options: Any) -> Resource:
        """Serve ``document`` (JSON-encoded unless bytes) at ``url``."""
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        resource = Resource(body=body, **options)
        with self._lock:
            self.resources[self.path_of(url)] = resource
        return resource

    def hits(self, url: str) -> int:
        resource = self.resources.get(self.path_of(url))
        return resource.hits if resource is not None else 0

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
