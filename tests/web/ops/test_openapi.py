"""`/api/openapi.json` is a valid OpenAPI document that describes every ops API route."""

from __future__ import annotations

from openapi_spec_validator import validate

from tests.web.ops.conftest import Ops


async def test_the_document_is_valid_and_covers_every_ops_route(ops: Ops) -> None:
    response = await ops.site.client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    validate(document)
    routes = {
        (method.lower(), resource.canonical)
        for resource in ops.app.router.resources()
        if resource.canonical.startswith("/api/ops")
        for method in {route.method for route in resource if route.method != "HEAD"}
    }
    # aiohttp's canonical form of "/api/ops/jobs/{id:[^/]{1,200}}" is "/api/ops/jobs/{id}",
    # OpenAPI's: they compare as they are (and `validate` checks each {id} is declared).
    assert ("get", "/api/ops/jobs/{id}") in routes
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == documented
    for path, item in document["paths"].items():  # the guard's answers, on every operation
        for method, operation in item.items():
            if method != "parameters":
                assert {"200", "401", "403", "503"} <= set(operation["responses"]), (method, path)
