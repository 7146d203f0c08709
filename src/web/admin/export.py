"""The filtered activity log as a download, streamed page by page (CSV or JSON lines).

`stream_export` asks the activity service for the first page before it answers, so a bad
filter is still a 400 page and an unreachable service a 503 page. Then it sends the headers
(chunked transfer, no Content-Length, `Content-Disposition: attachment`) and writes each page
of `MAX_PAGE_SIZE` events as soon as it arrives, following the service's cursor: at most one
page is held at a time, so memory stays flat however long the log (there is no upper bound on
the number of events; an export of the whole log takes as long as the service needs).

If the service fails after the first page, the file cannot become an error page any more:
the export ends with a last line saying it is incomplete, how many events came before, and
why (`EXPORT_INCOMPLETE` in the CSV, a JSON object with `"export_incomplete": true` in JSON
lines), and the failure is logged. A file without that line is complete.

CSV columns, in this order (`CSV_COLUMNS`): id, timestamp, type, user_id, username,
request_id, details, data, received_at. `data` is the event's payload as compact JSON text;
absent values are empty cells. Cells are written verbatim, so the file round-trips: open it
in a spreadsheet with care, as any text typed by users may look like a formula there.
JSON lines: one stored event per line, exactly as the service answers it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from src.common.activity_client import ActivityClient, ActivityError
from src.web.admin.activity_filters import MAX_PAGE_SIZE, ActivityFilters
from src.web.security.headers import SECURITY_HEADERS

__all__ = ["CSV_COLUMNS", "EXPORT_FORMATS", "INCOMPLETE_MARKER", "stream_export"]

log = logging.getLogger(__name__)

CSV_COLUMNS = (
    "id",
    "timestamp",
    "type",
    "user_id",
    "username",
    "request_id",
    "details",
    "data",
    "received_at",
)
INCOMPLETE_MARKER = "EXPORT_INCOMPLETE"


def _csv_cell(event: dict[str, Any], column: str) -> str:
    value = event.get(column)
    if value is None:
        return ""
    if column == "data":
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def csv_page(events: list[dict[str, Any]]) -> str:
    """CSV rows (RFC 4180, CRLF line ends) of `events`, in the columns of `CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([_csv_cell(event, column) for column in CSV_COLUMNS] for event in events)
    return out.getvalue()


def csv_header() -> str:
    """The CSV header row."""
    out = io.StringIO()
    csv.writer(out).writerow(CSV_COLUMNS)
    return out.getvalue()


def csv_incomplete(exported: int, reason: str) -> str:
    """The CSV's last row when the service failed mid-export."""
    out = io.StringIO()
    csv.writer(out).writerow(
        [INCOMPLETE_MARKER, f"{exported} events exported before the activity service failed: "
         f"{reason}. Export again."]
    )  # fmt: skip
    return out.getvalue()


def jsonl_page(events: list[dict[str, Any]]) -> str:
    """One compact JSON object per line."""
    return "".join(json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for event in events)  # fmt: skip


def jsonl_incomplete(exported: int, reason: str) -> str:
    """The JSON lines' last line when the service failed mid-export."""
    marker = {"export_incomplete": True, "exported": exported, "error": reason}
    return json.dumps(marker) + "\n"


class ExportFormat:
    """How one format writes: its media type, file extension, header, pages and marker."""

    def __init__(
        self,
        content_type: str,
        extension: str,
        header: str,
        page: Callable[[list[dict[str, Any]]], str],
        incomplete: Callable[[int, str], str],
    ) -> None:
        self.content_type = content_type
        self.extension = extension
        self.header = header
        self.page = page
        self.incomplete = incomplete


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv", "csv", csv_header(), csv_page, csv_incomplete),
    "jsonl": ExportFormat("application/x-ndjson", "jsonl", "", jsonl_page, jsonl_incomplete),
}


def export_filename(extension: str, now: datetime | None = None) -> str:
    """`wolfit-activity-20261122T100111Z.csv`: what, and as of when."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"wolfit-activity-{moment:%Y%m%dT%H%M%SZ}.{extension}"


def _reason(exc: ActivityError) -> str:
    """Why the service failed, in words for the file (its URL stays in the log)."""
    if exc.status is None:
        return "the activity service did not answer"
    return f"the activity service answered HTTP {exc.status}"


async def stream_export(
    request: web.Request,
    client: ActivityClient,
    filters: ActivityFilters,
    kind: ExportFormat,
) -> web.StreamResponse:
    """Send every event matching `filters`, newest first, page by page as it arrives.

    Errors of the first page propagate (`ActivityError`) so the caller can answer a page;
    later ones end the file with the format's incomplete marker.
    """
    params = filters.params()
    page = await client.list_activities(**params, limit=MAX_PAGE_SIZE)
    response = web.StreamResponse(
        headers={
            **SECURITY_HEADERS,
            "Content-Type": f"{kind.content_type}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{export_filename(kind.extension)}"',
            "Cache-Control": "no-store",
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    exported = 0
    try:
        if kind.header:
            await response.write(kind.header.encode())
        while True:
            items = list(page.get("items") or [])
            if items:
                await response.write(kind.page(items).encode())
                exported += len(items)
            cursor = page.get("next_cursor")
            if not cursor:
                break
            del page, items  # hold one page at a time
            try:
                page = await client.list_activities(**params, limit=MAX_PAGE_SIZE, cursor=cursor)
            except ActivityError as exc:
                log.warning("activity export cut short after %d events: %s", exported, exc)
                await response.write(kind.incomplete(exported, _reason(exc)).encode())
                break
        await response.write_eof()
    except ConnectionError:
        # The browser went away (cancelled download): nothing left to answer.
        log.info("activity export abandoned by the client after %d events", exported)
    return response
