"""Values encrypted at rest with Fernet (app secrets, certificate keys, the ACME key).

The key comes from ``BERTH_SECRETS_KEY`` or is generated once into the data
folder (``secrets.key``, mode 0600), apart from Django's SECRET_KEY so that
rotating the session key does not make stored secrets unreadable.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored value cannot be decrypted with the configured key."""


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "secrets.key"


@functools.cache
def _fernet(configured: str | None, key_path: str) -> Fernet:
    if configured:
        return Fernet(configured.encode())
    path = Path(key_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: processes starting together agree on the first key written.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def fernet() -> Fernet:
    return _fernet(settings.BERTH_SECRETS_KEY, str(_key_file()))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: the secrets key changed. "
            "Restore BERTH_SECRETS_KEY or the data folder's secrets.key, or set the secret again."
        ) from None
