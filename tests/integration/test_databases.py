"""Berth on each database it supports: SQLite (the default) and a real Postgres
(``DATABASE_URL``): the migrations apply, and two first sign-ups at the same moment
make one operator.

Each run is a process of its own (``manage.py migrate``, then
tests/support/signup_race.py) with the settings an installation would have. Postgres
is the one scripts/services.sh starts (``BERTH_TEST_POSTGRES_URL`` names another).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get(
    "BERTH_TEST_POSTGRES_URL", "postgres://berth:berth@127.0.0.1:5432/postgres"
)


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _environment(tmp_path: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BERTH_", "DATABASE_URL", "DJANGO_"))
    }
    env.update(
        BERTH_DATA_DIR=str(tmp_path / "data"),
        BERTH_SECRET_KEY="test-databases",
        BERTH_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="paas.settings",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh database on the test Postgres, dropped afterwards."""
    # paas.settings hides psycopg from a process on SQLite, as this one is.
    sys.modules.pop("psycopg", None)
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[dev]')")
    name = f"berth_test_{secrets.token_hex(4)}"
    try:
        admin: Any = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        unavailable(f"no Postgres at {POSTGRES} (scripts/services.sh starts one): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _race(env: dict[str, str]) -> dict[str, Any]:
    _run(env, "manage.py", "migrate", "--noinput", "-v0")
    result: dict[str, Any] = json.loads(_run(env, "tests/support/signup_race.py"))
    return result


def _one_operator(result: dict[str, Any]) -> None:
    # One sign-up made the operator; the other found sign-up closed and made nothing.
    assert len(result["operators"]) == 1, result
    assert result["users"] == result["operators"], result
    assert sorted(result["answers"].values()) == [302, 403], result


def test_on_postgres_two_first_sign_ups_make_one_operator(postgres_database, tmp_path):
    _one_operator(_race(_environment(tmp_path, postgres_database)))


def test_on_sqlite_two_first_sign_ups_make_one_operator(tmp_path):
    _one_operator(_race(_environment(tmp_path, None)))
