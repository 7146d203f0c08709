from __future__ import annotations

import stat
import subprocess
import sys
import threading
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


def test_processes_racing_to_create_a_secret_all_read_the_same_one(tmp_path: Path) -> None:
    """The workers of `wolfit web` may all look for `var/secret-key` at once: one creates
    it, and none reads it empty or reads another value."""
    go = tmp_path / "go"
    code = (
        "import pathlib, sys, time\n"
        "from src.common.secrets import load_or_create_secret\n"
        f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.001)\n"
        f"print(load_or_create_secret(pathlib.Path({str(tmp_path / 'var')!r}), 'secret-key'))\n"
    )
    racers = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    go.touch()
    values = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert all(racer.returncode == 0 for racer in racers)
    assert values == {(tmp_path / "var" / "secret-key").read_text().strip()}
    assert len(values.pop()) >= 32
    assert [path.name for path in (tmp_path / "var").iterdir()] == ["secret-key"]


def test_a_secret_file_still_being_written_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "secret-key"
    path.touch()  # created, not yet written (as an older version did it)
    writer = threading.Timer(0.2, lambda: path.write_text("k" * 40 + "\n"))
    writer.start()
    try:
        assert load_or_create_secret(tmp_path, "secret-key") == "k" * 40
    finally:
        writer.join()


def test_a_secret_file_left_empty_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    (tmp_path / "secret-key").touch()
    with pytest.raises(SettingsError, match=r"secret-key is empty: .*or set SECRET_KEY$"):
        secret_key(Settings(var_dir=tmp_path))
