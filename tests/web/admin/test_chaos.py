"""The chaos controls against the real activity service: shown, changed, refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.support.site_client import SiteClient
from tests.web.ops.conftest import Ops, add_user


async def service_chaos(ops: Ops) -> dict[str, float]:
    values: dict[str, float] = await ops.activity.call("chaos")
    return values


async def test_the_page_shows_the_values_in_force(ops: Ops) -> None:
    await ops.activity.call("set_chaos", sleep_time=0.125, fail_rate=0.375)
    page = await ops.site.page("/admin/chaos")
    assert '<strong class="chaos-sleep-time">0.125</strong>' in page
    assert '<strong class="chaos-fail-rate">0.375</strong>' in page
    assert 'name="csrf_token"' in page
    assert 'href="/admin"' in page  # the hint: watch the overview


async def test_a_change_reaches_the_service_and_comes_back_as_a_notice(ops: Ops) -> None:
    csrf = await ops.site.csrf("/admin/chaos")
    response = await ops.site.post(
        "/admin/chaos", {"sleep_time": "0.25", "fail_rate": "0.1"}, csrf=csrf
    )
    assert response.status == 303
    assert response.headers["Location"] == "/admin/chaos"
    assert await service_chaos(ops) == {"sleep_time": 0.25, "fail_rate": 0.1}
    page = await ops.site.page("/admin/chaos")
    assert "SLEEP_TIME is now 0.25 s and FAIL_RATE 0.1" in page
    # the notice is shown once
    assert "SLEEP_TIME is now" not in await ops.site.page("/admin/chaos")


async def test_an_empty_field_is_left_as_it_is(ops: Ops) -> None:
    await ops.activity.call("set_chaos", sleep_time=2.0, fail_rate=0.5)
    csrf = await ops.site.csrf("/admin/chaos")
    response = await ops.site.post("/admin/chaos", {"sleep_time": "", "fail_rate": "0"}, csrf=csrf)
    assert response.status == 303
    assert await service_chaos(ops) == {"sleep_time": 2.0, "fail_rate": 0.0}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"sleep_time": "61", "fail_rate": "0"}, "sleep_time"),
        ({"sleep_time": "-1"}, "sleep_time"),
        ({"sleep_time": "slow"}, "sleep_time"),
        ({"sleep_time": "nan"}, "sleep_time"),
        ({"fail_rate": "1.5"}, "fail_rate"),
        ({"fail_rate": "inf"}, "fail_rate"),
        ({"sleep_time": "1", "fail_rate": "half"}, "fail_rate"),
        ({"sleep_time": "", "fail_rate": ""}, "sleep_time"),
    ],
)
async def test_a_bad_value_is_a_400_that_changes_nothing(
    ops: Ops, form: dict[str, str], field: str
) -> None:
    await ops.activity.call("set_chaos", sleep_time=0.5, fail_rate=0.25)
    csrf = await ops.site.csrf("/admin/chaos")
    response = await ops.site.client.post(
        "/admin/chaos", data={**form, "csrf_token": csrf}, allow_redirects=False
    )
    page = await response.text()
    assert response.status == 400
    assert f"<code>{field}</code>" in page
    assert "Nothing was changed" in page
    assert await service_chaos(ops) == {"sleep_time": 0.5, "fail_rate": 0.25}


async def test_a_post_without_the_csrf_token_changes_nothing(ops: Ops) -> None:
    response = await ops.site.post("/admin/chaos", {"sleep_time": "5"}, csrf=None)
    assert response.status == 403
    assert await service_chaos(ops) == {"sleep_time": 0.0, "fail_rate": 0.0}


async def test_a_plain_user_can_neither_see_nor_change_chaos(
    ops: Ops, visitor: Callable[[SiteClient], Awaitable[SiteClient]]
) -> None:
    bob = await visitor(ops.site)
    await add_user(ops.site, "bob", admin=False)
    assert (await bob.login("bob")).status == 303
    await bob.page("/admin/chaos", 403)
    response = await bob.post("/admin/chaos", {"sleep_time": "5"}, csrf=await bob.csrf("/"))
    assert response.status == 403
    assert await service_chaos(ops) == {"sleep_time": 0.0, "fail_rate": 0.0}


async def test_an_unreachable_activity_service_is_a_503_page(ops: Ops) -> None:
    csrf = await ops.site.csrf("/admin/chaos")
    await ops.activity.stop()
    page = await ops.site.page("/admin/chaos", 503)
    assert "activity service is not answering" in page
    response = await ops.site.post("/admin/chaos", {"sleep_time": "1"}, csrf=csrf)
    assert response.status == 503
