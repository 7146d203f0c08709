"""The activity export against the real activity service: the filtered set, streamed, in
CSV and JSON lines, over several of the service's pages; a failure mid-stream is marked."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.typedefs import Handler

from src.web.admin.export import CSV_COLUMNS, INCOMPLETE_MARKER
from tests.web.admin.activity_seed import Seeded, seed
from tests.web.ops.conftest import Ops

COUNT = 450  # more than two of the service's largest pages (200)


@pytest.fixture
async def seeded(ops: Ops) -> Seeded:
    return await seed(ops.activity, COUNT)


async def export(ops: Ops, query: str, status: int = 200) -> tuple[ClientResponse, str]:
    response = await ops.site.client.get(f"/admin/activity/export?{query}")
    body = await response.text()
    assert response.status == status, (response.status, body[:300])
    return response, body


def csv_rows(body: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(body, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def as_csv_row(event: dict[str, Any]) -> dict[str, str]:
    """What the CSV holds of `event`: text cells, the payload as JSON, empty for none."""
    row = {}
    for column in CSV_COLUMNS:
        value = event.get(column)
        row[column] = "" if value is None else str(value)
    row["data"] = json.dumps(event["data"], separators=(",", ":"), ensure_ascii=False)
    return row


async def test_csv_holds_every_event_of_the_filter_in_its_columns(ops: Ops, seeded: Seeded) -> None:
    response, body = await export(ops, "format=csv&username=alice&type=post.create")
    rows = csv_rows(body)
    expected = [e for e in seeded.events if e["username"] == "alice" and e["type"] == "post.create"]
    assert rows == [as_csv_row(event) for event in expected]
    assert json.loads(rows[0]["data"]) == expected[0]["data"]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="wolfit-activity-\d{8}T\d{6}Z\.csv"', disposition)


async def test_csv_of_the_whole_log_spans_the_services_pages(ops: Ops, seeded: Seeded) -> None:
    _, body = await export(ops, "format=csv")
    assert [row["id"] for row in csv_rows(body)] == seeded.ids()


async def test_jsonl_is_the_stored_events_one_per_line(ops: Ops, seeded: Seeded) -> None:
    response, body = await export(ops, "format=jsonl")
    assert response.headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response.headers["Content-Disposition"].endswith('.jsonl"')
    lines = body.splitlines()
    assert [json.loads(line) for line in lines] == seeded.events


async def test_jsonl_honours_every_filter(ops: Ops, seeded: Seeded) -> None:
    query = "format=jsonl&user_id=2&since=2026-01-03T00:00:00Z&until=2026-01-10&q=needle"
    _, body = await export(ops, query)
    expected = seeded.ids(
        lambda e: (
            e["user_id"] == 2
            and "2026-01-03" <= e["timestamp"] < "2026-01-10"
            and "needle" in e["details"]
        )
    )
    assert expected
    assert [json.loads(line)["id"] for line in body.splitlines()] == expected


async def test_the_export_is_streamed_not_sized_up_front(ops: Ops, seeded: Seeded) -> None:
    response, _ = await export(ops, "format=csv")
    assert "Content-Length" not in response.headers
    assert response.headers["Transfer-Encoding"] == "chunked"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_empty_selection_is_a_header_only_csv(ops: Ops, seeded: Seeded) -> None:
    _, body = await export(ops, "format=csv&username=nobody")
    assert csv_rows(body) == []
    _, body = await export(ops, "format=jsonl&username=nobody")
    assert body == ""


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("format=xml", "format"),
        ("format=csv&format=jsonl", "format"),
        ("format=csv&user_id=me", "user_id"),
        ("format=jsonl&since=last+week", "since"),
    ],
)
async def test_bad_parameters_are_a_400_page_naming_them(ops: Ops, query: str, field: str) -> None:
    response, body = await export(ops, query, 400)
    assert response.content_type == "text/html"
    assert f"<code>{field}</code>" in body


async def test_a_failure_mid_stream_ends_the_file_with_a_marker(ops: Ops, seeded: Seeded) -> None:
    @web.middleware
    async def fail_later_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/api/activities" and "cursor" in request.query:
            return web.json_response({"error": "down for a moment"}, status=503)
        return await handler(request)

    await ops.activity.stop()
    app = ops.activity.app()
    app.middlewares.insert(0, fail_later_pages)
    await ops.activity.start(app)

    _, body = await export(ops, "format=csv")
    *rows, last = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert [row[0] for row in rows[1:]] == seeded.ids()[:200]
    assert last[0] == INCOMPLETE_MARKER
    assert "200 events exported" in last[1]
    assert "HTTP 503" in last[1]

    _, body = await export(ops, "format=jsonl")
    lines = [json.loads(line) for line in body.splitlines()]
    assert [event["id"] for event in lines[:-1]] == seeded.ids()[:200]
    assert lines[-1]["export_incomplete"] is True
    assert lines[-1]["exported"] == 200


async def test_head_is_refused_rather_than_paging_through_the_log(ops: Ops) -> None:
    response = await ops.site.client.head("/admin/activity/export?format=csv")
    assert response.status == 405
