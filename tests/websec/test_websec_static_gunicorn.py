"""Static files under the production app server: gunicorn, DEBUG off, WhiteNoise."""

from __future__ import annotations

import http.client
from http import HTTPStatus

from tests.websec.conftest import StartServer, csp_directives

ASSETS = [
    ("/static/admin/css/base.css", "text/css"),
    ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", "text/javascript"),
    ("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", "text/css"),
    ("/static/registration/api/swagger-init.js", "text/javascript"),
]


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_gunicorn_serves_admin_css_and_swagger_ui_with_a_csp(app_servers: StartServer) -> None:
    server = app_servers()
    for path, content_type in ASSETS:
        status, headers, body = get(server.port, path)
        assert status == HTTPStatus.OK, path
        assert headers["content-type"].startswith(content_type), (path, headers)
        assert len(body) > 100
        assert csp_directives(headers["content-security-policy"])["default-src"] == ["'self'"]
    status, headers, _ = get(server.port, "/static/no-such-file.css")
    assert status == HTTPStatus.NOT_FOUND


def test_gunicorn_pages_send_the_csp(app_servers: StartServer) -> None:
    server = app_servers()
    for path in ("/admin/login/", "/accounts/login/", "/api/docs/"):
        status, headers, _ = get(server.port, path)
        assert status == HTTPStatus.OK, path
        directives = csp_directives(headers["content-security-policy"])
        assert directives["script-src"][0] == "'self'" and directives["object-src"] == ["'none'"]
    _, _, docs = get(server.port, "/api/docs/")
    assert b"unpkg.com" not in docs and b"/static/drf_spectacular_sidecar/" in docs
