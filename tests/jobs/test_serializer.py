from __future__ import annotations

import asyncio
import json

import pytest
from arq.jobs import SerializationError, deserialize_result, serialize_job, serialize_result

from src.jobs.queue.serializer import JobFailed, job_deserializer, job_serializer


def test_a_job_is_plain_json_that_round_trips() -> None:
    event = {"id": "e1", "type": "post.vote", "data": {"post_id": 7}, "user_id": None}
    raw = serialize_job(
        "post_activity", (event,), {}, None, 1_700_000_000_000, serializer=job_serializer
    )
    assert json.loads(raw) == {
        "t": None,
        "f": "post_activity",
        "a": [event],
        "k": {},
        "et": 1_700_000_000_000,
    }
    assert job_deserializer(raw)["a"] == [event]


def test_an_argument_that_is_not_json_is_refused_at_enqueue() -> None:
    with pytest.raises(SerializationError, match="unable to serialize job"):
        serialize_job("post_activity", (object(),), {}, None, 0, serializer=job_serializer)


def _failed_result(exc: BaseException) -> bytes:
    raw = serialize_result(
        "post_activity", ({"id": "e1"},), {}, 3, 0, False, exc, 1, 2, "ref", "arq:queue", "e1",
        serializer=job_serializer,
    )  # fmt: skip
    assert raw is not None
    return raw


def test_a_failed_job_keeps_its_error_type_message_and_traceback() -> None:
    try:
        raise ValueError("the service said no")
    except ValueError as exc:
        raw = _failed_result(exc)
    result = deserialize_result(raw, deserializer=job_deserializer)
    assert result.success is False
    assert isinstance(result.result, JobFailed)
    assert result.result.type_name == "ValueError"
    assert result.result.message == "the service said no"
    assert 'raise ValueError("the service said no")' in result.result.traceback_text
    assert str(result.result) == "ValueError: the service said no"


def test_an_aborted_job_reads_back_as_cancelled_which_arq_abort_waits_for() -> None:
    result = deserialize_result(
        _failed_result(asyncio.CancelledError()), deserializer=job_deserializer
    )
    assert isinstance(result.result, asyncio.CancelledError)


def test_a_job_failed_read_back_is_written_again_unchanged() -> None:
    original = JobFailed("KeyError", "'x'", "Traceback ...")
    again = deserialize_result(_failed_result(original), deserializer=job_deserializer).result
    assert (again.type_name, again.message, again.traceback_text) == (
        "KeyError",
        "'x'",
        "Traceback ...",
    )


def test_a_dict_that_only_looks_like_an_exception_needs_the_exact_tag() -> None:
    data = {"a": [{"__exception__": {"type": "X"}, "other": 1}]}
    assert job_deserializer(job_serializer(data)) == data
