from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from src.activity import create_app
from src.activity.openapi import openapi_document
from src.common.settings import Settings
from tests.activity.conftest import ClientFactory
from tests.support.activity import AUTH


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_of_the_app_is_described(settings: Settings) -> None:
    app = create_app(settings)
    paths = openapi_document()["paths"]
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        assert route.name, f"{route.method} {route.resource} has no name"
        assert isinstance(route.resource, web.Resource)
        path = route.resource.canonical
        assert route.method.lower() in paths.get(path, {}), f"{route.method} {path} undocumented"


def test_the_documented_event_is_the_schema_the_service_enforces() -> None:
    event = openapi_document()["components"]["schemas"]["Event"]
    assert set(event["required"]) == {"user_id", "username", "timestamp", "details"}
    assert event["properties"]["type"]["pattern"] == "^[a-z][a-z0-9_.-]{0,63}$"
    assert event["additionalProperties"] is False


async def test_the_service_serves_it_to_token_holders(activity_client: ClientFactory) -> None:
    client: TestClient = await activity_client()
    response = await client.get("/api/openapi.json", headers=AUTH)
    assert response.status == 200
    assert await response.json() == openapi_document()
    assert (await client.get("/api/openapi.json")).status == 401
