"""Model fields of Berth's own."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import models

from paas import crypto

if TYPE_CHECKING:
    _Field = models.Field[Any, Any]
else:  # generic for the type checker only (django-stubs' patch loads with the admin)
    _Field = models.Field


class EncryptedJSONField(_Field):
    """A JSON value stored Fernet-encrypted (:mod:`paas.crypto`): read and written as the
    value, held in the database (and its backups) only as ciphertext. It cannot be
    filtered on: every write encrypts anew."""

    description = "A JSON value, encrypted at rest"

    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else self._load(value)

    def to_python(self, value: Any) -> Any:
        return self._load(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, sort_keys=True))

    @staticmethod
    def _load(text: str) -> Any:
        return json.loads(crypto.decrypt(text)) if text else None
