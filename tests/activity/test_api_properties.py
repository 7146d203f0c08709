"""Property-based tests of the API's input handling (hypothesis): whatever a client sends as
a POST body, a query string, an event id or a chaos body, the answer is never a 500, and a
refused request leaves the stored events (and the chaos settings) exactly as they were.

Each test owns an event loop (`asyncio.Runner`) so that hypothesis can drive many requests
against one running service; example counts stay modest to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from src.activity import create_app
from src.activity.store import ActivityQuery, ActivityStore
from src.activity.store import sqlite as sqlite_module
from src.activity.store.search_text import search_text
from src.common.settings import Settings
from tests.support.activity import AUTH, event_body, make_store

# Derandomized: the same examples on every run, as the team's tests must be deterministic.
PROPERTY_SETTINGS = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
operator_objects = st.dictionaries(
    st.sampled_from(["$gt", "$ne", "$where", "$regex", "$in"]), json_scalars, min_size=1
)
# Text that once broke a store or split its answers: NUL (SQLite's full-text index ends a
# text there), other control characters, and letters whose case or accents fold unevenly.
TRICKY_PIECES = [
    *"abcsei İıßSé",
    *"\x00\x01\x07\t\n\x1f\x7f",
    "e\u0301",  # e and a combining acute accent
    "ﬁ",
    "\U0001f389",
]
tricky_text = st.lists(st.sampled_from(TRICKY_PIECES), max_size=8).map("".join)
control_text = st.text(st.sampled_from("ab \x00\x01\x07\t\x1f"), min_size=1, max_size=6)
# Lone surrogates cannot be UTF-8: encoded with surrogatepass they are bytes a JSON body
# must refuse (a 400), never decode into a string the store would choke on.
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())


offsets = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
    lambda delta: timezone(timedelta(minutes=delta // timedelta(minutes=1)))
)
valid_fields: dict[str, st.SearchStrategy[Any]] = {
    "id": st.uuids().map(str),
    "type": st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True),
    "user_id": st.none() | st.integers(-(2**63), 2**63 - 1),
    "username": st.none() | st.text(max_size=64) | tricky_text,
    "timestamp": st.datetimes(timezones=st.none() | offsets).map(datetime.isoformat),
    "details": st.text(max_size=100) | tricky_text,
    "data": st.none() | st.dictionaries(st.text(max_size=6), json_values, max_size=4),
    "request_id": st.none() | st.text(min_size=1, max_size=20),
}


@st.composite
def near_events(draw: st.DrawFn) -> Any:
    """Events with a few fields given other valid values, invalid ones, or dropped, and
    sometimes an unknown field: a good share are valid, the rest miss narrowly."""
    body: dict[str, Any] = event_body()
    count = draw(st.integers(0, 3))
    fields = draw(
        st.lists(st.sampled_from(sorted(body)), min_size=count, max_size=count, unique=True)
    )
    for field in fields:
        choice = draw(st.sampled_from(["valid", "valid", "valid", "drop", "json", "operator"]))
        if choice == "drop":
            del body[field]
        elif choice == "json":
            body[field] = draw(json_values)
        elif choice == "operator":
            body[field] = draw(operator_objects)
        else:
            body[field] = draw(valid_fields[field])
    if count and draw(st.integers(0, 4)) == 0:
        body[draw(st.text(max_size=10))] = draw(json_values)
    return body


@st.composite
def surrogate_bodies(draw: st.DrawFn) -> bytes:
    """An event whose details hold a lone surrogate, as a careless encoder writes it."""
    details = draw(st.text(max_size=5)) + draw(lone_surrogates) + draw(st.text(max_size=5))
    text = json.dumps(event_body(details=details), ensure_ascii=False)
    return text.encode("utf-8", "surrogatepass")


raw_bodies = st.one_of(
    near_events().map(lambda body: json.dumps(body).encode()),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    surrogate_bodies(),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "application/xml"]
)

known_names = st.sampled_from(
    ["user_id", "username", "type", "since", "until", "q", "limit", "cursor"]
)
parameter_names = st.one_of(
    known_names, known_names, known_names, st.text(max_size=12), st.just("username[$ne]")
)
parameter_values = st.one_of(
    st.text(max_size=40),
    tricky_text,
    control_text,
    st.integers().map(str),
    st.sampled_from(
        ["$ne", '{"$gt": ""}', "2026-11-22T10:00:00Z", "post.vote", "1e9", "0", "50", "201"]
    ),
)
plausible_values: dict[str, st.SearchStrategy[str]] = {
    "user_id": st.integers(-3, 20).map(str),
    "username": tricky_text | st.sampled_from(["alice", "bob"]),
    "type": st.from_regex(r"[a-z][a-z0-9_.-]{0,10}", fullmatch=True),
    "since": st.sampled_from(["2026-11-22T10:00:00Z", "2020-01-01", "2026-11-22T10:01:11+01:00"]),
    "q": tricky_text | control_text | st.text(max_size=10),
    "limit": st.integers(1, 200).map(str),
}


@st.composite
def plausible_query_strings(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Filters a client would send, so that stores answer them too, not only the checks."""
    names = draw(st.lists(st.sampled_from(sorted(plausible_values)), unique=True, max_size=3))
    return [(name, draw(plausible_values[name])) for name in names]


query_strings = st.one_of(
    st.lists(st.tuples(parameter_names, parameter_values), max_size=4), plausible_query_strings()
)
stats_query_strings: st.SearchStrategy[list[tuple[str, str]]] = st.one_of(
    st.just([]),
    st.integers(1, 1440).map(lambda minutes: [("minutes", str(minutes))]),
    st.integers(-5, 2000).map(lambda minutes: [("minutes", str(minutes))]),
    st.lists(
        st.tuples(
            st.sampled_from(["minutes", "days"]) | st.text(max_size=8),
            st.integers(-5, 2000).map(str) | st.text(max_size=8) | tricky_text,
        ),
        max_size=2,
    ),
)
event_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda value: str(value).upper()),
    st.uuids().map(lambda value: value.hex),
    st.text(min_size=1, max_size=40),
    tricky_text.filter(bool),
    st.sampled_from(["$ne", "%24ne", "..", "null", "{id}"]),
)
chaos_values = st.one_of(
    st.floats(min_value=-1, max_value=100, allow_nan=False),
    st.integers(-5, 100),
    json_values,
)
plausible_chaos = st.fixed_dictionaries(
    {},
    optional={
        "sleep_time": st.floats(0, 60) | st.integers(0, 60),
        "fail_rate": st.floats(0, 1) | st.sampled_from([0, 1]),
    },
)
chaos_bodies = st.one_of(
    plausible_chaos,
    st.dictionaries(
        st.sampled_from(["sleep_time", "fail_rate"]) | st.text(max_size=10),
        chaos_values,
        max_size=3,
    ),
    json_values,
)


class RunningService:
    """The activity service on a store of `kind`, served on a loop this test owns."""

    def __init__(self, settings: Settings, tmp_path: Path, kind: str) -> None:
        self.runner = asyncio.Runner()
        self.store: ActivityStore = make_store(kind, tmp_path)
        app = create_app(settings, store=self.store)

        async def start() -> TestClient:
            client = TestClient(TestServer(app))
            await client.start_server()
            return client

        self.client: TestClient = self.run(start())

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    def stored(self) -> dict[str, Any]:
        """Every stored event, by id: what a refused request must leave as it was."""
        events = self.run(self.store.find(ActivityQuery(limit=1_000_000)))
        return {stored["id"]: stored for stored in events}

    def request(
        self, method: str, path: str, *, record: bool = True, **kwargs: Any
    ) -> tuple[int, Any]:
        """Send one request; answer its status and JSON, noting the status for hypothesis."""
        headers = {**AUTH, **kwargs.pop("headers", {})}

        async def send() -> tuple[int, Any]:
            response = await self.client.request(method, path, headers=headers, **kwargs)
            return response.status, await response.json()

        status, answer = self.run(send())
        if record:
            event(f"status {status}")
        return status, answer

    def close(self) -> None:
        self.run(self.client.close())
        self.runner.close()


@pytest.fixture(params=["sqlite", "mongomock"])
def service(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[RunningService]:
    running = RunningService(settings, tmp_path, request.param)
    try:
        yield running
    finally:
        running.close()


@PROPERTY_SETTINGS
@given(body=raw_bodies, content_type=content_types)
def test_no_post_body_gets_a_500_and_a_refused_one_stores_nothing(
    service: RunningService, body: bytes, content_type: str
) -> None:
    before = service.stored()
    status, answer = service.request(
        "POST", "/api/activities", data=body, headers={"Content-Type": content_type}
    )
    assert status in (200, 201, 400, 409, 415), answer
    after = service.stored()
    if status == 201:
        assert after == {**before, answer["id"]: answer}
    else:
        assert after == before
        if status == 200:
            assert before[answer["id"]] == answer
        else:
            assert isinstance(answer["error"], str)


@PROPERTY_SETTINGS
@given(body=near_events())
def test_an_accepted_event_reads_back_as_it_was_answered(
    service: RunningService, body: Any
) -> None:
    status, answer = service.request("POST", "/api/activities", json=body)
    # Drawn ids repeat across examples, so an event may already be stored (200, 409).
    assert status in (200, 201, 400, 409), answer
    if status in (200, 201):
        fetched_status, fetched = service.request(
            "GET", f"/api/activities/{answer['id']}", record=False
        )
        assert (fetched_status, fetched) == (200, answer)


@PROPERTY_SETTINGS
@given(params=query_strings)
@example(params=[("q", "ab\x00c")])  # once a 503: FTS5 read the NUL as an unterminated string
@example(params=[("q", "\x07\x1f\t"), ("username", "\x00")])
def test_no_query_string_gets_a_500_or_changes_the_store(
    service: RunningService, params: list[tuple[str, str]]
) -> None:
    before = service.stored()
    status, answer = service.request("GET", "/api/activities", params=params)
    assert status in (200, 400), answer
    if status == 200:
        assert set(answer) == {"items", "next_cursor"}
        assert all(before[item["id"]] == item for item in answer["items"])
    else:
        assert answer["error"] == "invalid query"
    assert service.stored() == before


@PROPERTY_SETTINGS
@given(params=stats_query_strings)
def test_no_stats_window_gets_a_500(service: RunningService, params: list[tuple[str, str]]) -> None:
    before = service.stored()
    status, answer = service.request("GET", "/api/stats", params=params)
    assert status in (200, 400), answer
    if status == 200:
        given_minutes = [value for name, value in params if name == "minutes" and value]
        minutes = int(given_minutes[0]) if given_minutes else 60
        assert (answer["minutes"], len(answer["by_minute"])) == (minutes, minutes)
        assert answer["stored_total"] == len(before)
    else:
        assert answer["error"] == "invalid query"
        assert answer["fields"]
    assert service.stored() == before


@PROPERTY_SETTINGS
@given(body=near_events(), raw_id=event_ids, same=st.booleans())
def test_no_event_id_gets_a_500(
    service: RunningService, body: Any, raw_id: str, same: bool
) -> None:
    """Any text as `{id}`: the stored event (in any UUID spelling of its id) or a 404."""
    posted, stored = service.request("POST", "/api/activities", json=body, record=False)
    if same and posted in (200, 201):
        raw_id = stored["id"].upper()
    before = service.stored()
    status, answer = service.request(
        "GET", "/api/activities/" + urllib.parse.quote(raw_id, safe="")
    )
    assert status in (200, 404), answer
    if status == 200:
        assert before[answer["id"]] == answer
    else:
        assert isinstance(answer["error"], str)
    assert service.stored() == before


@PROPERTY_SETTINGS
@given(body=chaos_bodies)
def test_no_chaos_body_gets_a_500_and_a_refused_one_changes_nothing(
    service: RunningService, body: Any
) -> None:
    _, before = service.request("GET", "/api/chaos", record=False)
    status, answer = service.request(
        "PUT", "/api/chaos", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert status in (200, 400), answer
    _, after = service.request("GET", "/api/chaos", record=False)
    if status == 200:
        assert after == answer == {**before, **{key: float(value) for key, value in body.items()}}
    else:
        assert after == before
        assert answer["error"] == "invalid chaos settings"
        assert answer["fields"]


# -- q: every store and both SQLite search paths answer what the one rule says -----------

SEARCH_CORPUS = [
    "İstanbul",
    "istanbul",
    "ISTANBUL",
    "Straße",
    "strasse",
    "café",
    "cafe\u0301",
    "ab\x00cd",
    "tab\there",
    "bell \x07 rings",
    "ﬁne",
    "ıi",
    "plain words",
]


@pytest.fixture(params=["sqlite-index", "sqlite-walk", "mongomock"])
def search_service(
    settings: Settings,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[RunningService, dict[str, str]]]:
    """A service holding SEARCH_CORPUS, and the id of each text. On `sqlite-walk` every
    term counts as common, so the newest events are tested one by one; on `sqlite-index`
    none does, so the trigram index answers."""
    kind = str(request.param)
    if kind.startswith("sqlite"):
        monkeypatch.setattr(
            sqlite_module, "COMMON_TERM_HITS", 0 if kind == "sqlite-walk" else 10**9
        )
    running = RunningService(settings, tmp_path, kind.partition("-")[0])
    try:
        ids = {}
        for details in SEARCH_CORPUS:
            body = event_body(details=details)
            status, stored = running.request("POST", "/api/activities", json=body, record=False)
            assert status == 201, stored
            ids[stored["id"]] = details
        yield running, ids
    finally:
        running.close()


@PROPERTY_SETTINGS
@given(q=tricky_text.filter(bool))
@example(q="STRASSE")  # once found Straße on the walk but not through the index
@example(q="istanbul")  # once found İstanbul on MongoDB but not on SQLite
def test_q_finds_exactly_the_events_the_search_rule_names(
    search_service: tuple[RunningService, dict[str, str]], q: str
) -> None:
    service, details_of = search_service
    status, answer = service.request("GET", "/api/activities", params={"q": q, "limit": "200"})
    assert status == 200, answer
    found = {item["id"] for item in answer["items"]}
    wanted = {key for key, details in details_of.items() if search_text(q) in search_text(details)}
    assert found == wanted
