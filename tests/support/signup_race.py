"""Two first sign-ups at the same moment, against the database Berth's settings name.

Run in a process of its own by tests/integration/test_databases.py (``DATABASE_URL``
set for Postgres, unset for SQLite) after ``manage.py migrate``. Both sign-ups pass
the open-for-signup check, then meet before saving; prints what the database holds
as JSON.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402

from paas.adapters import AccountAdapter  # noqa: E402

# Pages without collected static files, as in the other tests.
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
met = threading.Barrier(2, timeout=30)
original = AccountAdapter.save_user


def save_user(self: Any, request: Any, user: Any, form: Any, commit: bool = True) -> Any:
    met.wait()
    return original(self, request, user, form, commit)


AccountAdapter.save_user = save_user  # type: ignore[method-assign]
answers: dict[str, int | str] = {}


def sign_up(name: str) -> None:
    try:
        response = Client().post(
            "/accounts/signup/",
            {
                "username": name,
                "email": f"{name}@example.test",
                "password1": "a-long-test-password-1",
                "password2": "a-long-test-password-1",
            },
        )
        answers[name] = response.status_code
    except Exception as exc:
        answers[name] = repr(exc)
    finally:
        connections.close_all()


threads = [threading.Thread(target=sign_up, args=(name,)) for name in ("ada", "bob")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
users = get_user_model().objects
print(
    json.dumps(
        {
            "answers": answers,
            "users": sorted(users.values_list("username", flat=True)),
            "operators": sorted(users.filter(is_superuser=True).values_list("username", flat=True)),
        }
    )
)
