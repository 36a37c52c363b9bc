"""The hand-written OpenAPI 3.1 description of the registration API, served as JSON (or YAML) at
``/api/schema/`` and as a browsable page at ``/api/docs/``.

The page renders a server-side summary of every operation and its responses, so it is readable
without script; Swagger UI, served from this origin (drf-spectacular-sidecar's copy of
swagger-ui-dist, no CDN), replaces the summary when it loads.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenants.resolve import base_url

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
SCHEMA_URL = "/api/schema/"


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    return document


def openapi_document(request: HttpRequest | None = None) -> dict[str, Any]:
    """The document; with a request, ``servers`` names the host it was asked from."""
    document = copy.deepcopy(_load())
    if request is not None:
        document["servers"] = [{"url": base_url(request), "description": "this server"}]
    return document


def _to_yaml(document: dict[str, Any]) -> str:
    try:
        import yaml  # PyYAML is optional: it is not a runtime dependency
    except ImportError:
        # JSON is a subset of YAML 1.2, so the JSON text is still a valid YAML answer.
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    dumped: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return dumped


@require_GET
def schema(request: HttpRequest) -> HttpResponse:
    document = openapi_document(request)
    if request.GET.get("format", "").lower() in ("yaml", "yml"):
        response = HttpResponse(_to_yaml(document), content_type="application/yaml; charset=utf-8")
    else:
        response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # a public document, for hosted viewers
    return response


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref`` pointers (``#/components/...``) until a concrete object."""
    seen = 0
    while "$ref" in node and seen < 10:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
        seen += 1
    return node


def _security_names(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    requirements = operation.get("security", document.get("security", []))
    names = []
    for requirement in requirements:
        if not requirement:
            names.append("none")
        for name, scopes in requirement.items():
            names.append(f"{name} ({' '.join(scopes)})" if scopes else name)
    return names


def operations_summary(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation with its request content types and responses, for the HTML fallback."""
    summary = []
    for path, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = _resolve(document, operation.get("requestBody", {}))
            responses = []
            for status, response in operation.get("responses", {}).items():
                resolved = _resolve(document, response)
                responses.append(
                    {
                        "status": status,
                        "description": resolved.get("description", ""),
                        "headers": sorted(resolved.get("headers", {})),
                        "content_types": sorted(resolved.get("content", {})),
                    }
                )
            summary.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "operation_id": operation.get("operationId", ""),
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "security": _security_names(document, operation),
                    "request_content_types": sorted(body.get("content", {})),
                    "responses": responses,
                }
            )
    return summary


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    document = openapi_document(request)
    schemes = document.get("components", {}).get("securitySchemes", {})
    context = {
        "info": document["info"],
        "openapi_version": document["openapi"],
        "operations": operations_summary(document),
        "security_schemes": [
            {"name": name, "description": scheme.get("description", "")}
            for name, scheme in schemes.items()
        ],
        "schema_url": SCHEMA_URL,
    }
    return render(request, "api/docs.html", context)
