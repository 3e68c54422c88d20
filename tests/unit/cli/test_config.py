"""The saved login: a file only its owner can read; the environment wins over it."""

import json
import os
import stat

import pytest

from berth_cli import config
from berth_cli.errors import CliError


@pytest.fixture
def env(tmp_path):
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}


def test_it_writes_the_file_readable_by_its_owner_only(env, tmp_path):
    old = os.umask(0)  # even with a permissive umask
    try:
        path = config.save(config.Config("https://b.example", "berth_abc"), env)
    finally:
        os.umask(old)
    assert path == tmp_path / "xdg" / "berth" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {"url": "https://b.example", "token": "berth_abc"}


def test_it_tightens_a_file_that_was_readable_by_others(env):
    path = config.config_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    path.chmod(0o644)
    config.save(config.Config("https://b.example", "t"), env)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_falls_back_to_home_dot_config(tmp_path):
    env = {"HOME": str(tmp_path)}
    assert config.config_path(env) == tmp_path / ".config" / "berth" / "config.json"


def test_the_environment_overrides_the_saved_login(env):
    config.save(config.Config("https://saved.example", "saved"), env)
    assert config.load(env) == config.Config("https://saved.example", "saved")
    override = {**env, "BERTH_URL": "http://127.0.0.1:8000/", "BERTH_TOKEN": "from-env"}
    assert config.load(override) == config.Config("http://127.0.0.1:8000", "from-env")


def test_it_says_how_to_log_in_when_nothing_is_saved(env):
    with pytest.raises(CliError, match="berth login") as caught:
        config.load(env)
    assert caught.value.code == 2


def test_a_corrupt_file_is_one_clear_error(env):
    path = config.config_path(env)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(CliError, match="cannot read"):
        config.load(env)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("berth.example.com", "https://berth.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://example.com/berth/", "https://example.com/berth"),
        ("https://berth.example.com/api/v1/", "https://berth.example.com"),
    ],
)
def test_it_normalises_the_portal_url(given, expected):
    assert config.normalise_url(given) == expected


def test_it_refuses_a_url_that_is_not_http():
    with pytest.raises(CliError, match="not a portal URL"):
        config.normalise_url("ftp://example.com")
