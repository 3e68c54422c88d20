"""Secret values: encrypted with a key kept apart from the database, never stored plain."""

from __future__ import annotations

import pytest

from apps import services
from apps.models import AppSecret
from paas import crypto

pytestmark = pytest.mark.django_db


def test_a_value_round_trips_and_is_not_stored_plain(people):
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="s")

    services.set_secret(
        app=app, principal=people.principal("developer"), name="TOKEN", value="abc-123"
    )

    stored = AppSecret.objects.get()
    assert "abc-123" not in stored.ciphertext
    assert crypto.decrypt(stored.ciphertext) == "abc-123"


def test_the_key_is_generated_once_into_the_data_folder(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.BERTH_SECRETS_KEY = None

    token = crypto.encrypt("v")

    key_file = tmp_path / "secrets.key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert crypto.decrypt(token) == "v"


def test_a_different_key_cannot_read_it_and_says_why(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "one"
    token = crypto.encrypt("v")
    settings.DATA_DIR = tmp_path / "two"

    with pytest.raises(crypto.SecretUnreadable, match="secrets key changed"):
        crypto.decrypt(token)


def test_a_configured_key_is_used(settings):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    settings.BERTH_SECRETS_KEY = key.decode()

    assert Fernet(key).decrypt(crypto.encrypt("v").encode()) == b"v"
