from __future__ import annotations

import dataclasses

from bench.enqueue_cost import EnqueueCost
from bench.throughput_runs import Drain, Figure, figure_of, medians


def _drain(**fields: float) -> Drain:
    values = {
        "jobs": 2000, "seconds": 4.0, "failed": 0, "worker_cpu": 1.5, "round_trips": 2500,
        "redis_commands": 9000, "redis_cpu": 0.25, "service_cpu": 0.9, "stored": 2000,
    }  # fmt: skip
    return Drain(**{**values, **fields})


def test_a_drain_becomes_totals_and_costs_per_job() -> None:
    figure = figure_of("post_activity", "wolfit", 0.05, None, _drain())
    assert (figure.seconds, figure.per_second, figure.worker_cpu) == (4.0, 500.0, 1.5)
    assert (figure.activity_cpu, figure.redis_cpu, figure.stored) == (0.9, 0.25, 2000)
    assert figure.cpu_ms_per_job == 0.75
    assert (figure.round_trips_per_job, figure.redis_commands_per_job) == (1.25, 4.5)
    assert (figure.redis_cpu_ms_per_job, figure.service_cpu_ms_per_job) == (0.125, 0.45)
    assert figure.start_p50_ms is None  # the idle run fills these in


def test_a_drain_where_every_job_failed_has_no_rate() -> None:
    figure = figure_of("noop", "arq", 0.05, None, _drain(seconds=float("-inf"), failed=2000))
    assert (figure.seconds, figure.per_second, figure.failed) == (0.0, 0.0, 2000)


def test_medians_are_taken_field_by_field_and_whole_numbers_stay_whole() -> None:
    base = figure_of("post_activity", "arq", 0.05, None, _drain())
    runs = [
        [dataclasses.replace(base, per_second=per_second, stored=stored, start_p50_ms=start)]
        for per_second, stored, start in (
            (400.0, 2000, 3.0),
            (700.0, 1999, None),
            (500.0, 2000, 1.0),
        )
    ]
    [median] = medians(runs)
    assert isinstance(median, Figure)
    assert (median.per_second, median.stored, median.worker) == (500.0, 2000, "arq")
    assert median.start_p50_ms == 3.0  # not a number in every run: the first run's
    two = medians(
        [[EnqueueCost("p", 10, 1.0, 100.0, 50.0)], [EnqueueCost("p", 10, 3.0, 200.0, 70.0)]]
    )
    assert two == [EnqueueCost("p", 10, 2.0, 150.0, 60.0)]
