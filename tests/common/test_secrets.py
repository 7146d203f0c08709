from __future__ import annotations

import stat
from pathlib import Path

import pytest

from src.common.secrets import activity_token, load_or_create_secret, secret_key
from src.common.settings import Settings, SettingsError


def test_a_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path / "var", "secret-key")
    assert len(first) >= 32
    assert load_or_create_secret(tmp_path / "var", "secret-key") == first
    mode = stat.S_IMODE((tmp_path / "var" / "secret-key").stat().st_mode)
    assert mode == 0o600


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, activity_token="t" * 20, secret_key="k" * 20)
    assert activity_token(settings) == "t" * 20
    assert secret_key(settings) == "k" * 20
    assert not list(tmp_path.iterdir())


def test_an_activity_token_is_required_outside_wolfit_up(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    with pytest.raises(SettingsError, match=r"^ACTIVITY_TOKEN is not set"):
        activity_token(settings)
    made = activity_token(settings, create=True)
    assert activity_token(settings) == made  # services started beside `wolfit up` share it
