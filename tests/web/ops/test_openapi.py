"""`/api/openapi.json` is a valid OpenAPI document that describes every ops API route."""

from __future__ import annotations

from openapi_spec_validator import validate

from .conftest import Ops


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
    documented = {
        (method, path.replace("{id}", "{id}"))
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes == documented
