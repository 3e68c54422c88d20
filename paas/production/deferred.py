"""An import the web puts off until it is needed: REST framework's test client.

drf-spectacular imports ``rest_framework.test`` when it loads (and with it
``django.test`` and ``unittest``: 35 modules, 3.0 MiB of the web's memory in the
portal image) for one use: the mock requests it makes while generating the API
schema, which the web does only when ``/api/v1/schema/`` is asked for.
:func:`defer_test_client` puts a stand-in in its place: its ``APIRequestFactory``
loads the real module when first called, and any other name loads it when first
looked up. Like :mod:`paas.docker_sdk`'s hidden paramiko, only for the stack's web
process (:mod:`paas.production.web`); tests and the worker import the real module.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

NAME = "rest_framework.test"
_lock = threading.Lock()


def _real() -> types.ModuleType:
    with _lock:
        if isinstance(sys.modules.get(NAME), _StandIn):
            del sys.modules[NAME]
        return importlib.import_module(NAME)


def _api_request_factory(*args: Any, **kwargs: Any) -> Any:
    return _real().APIRequestFactory(*args, **kwargs)


class _StandIn(types.ModuleType):
    APIRequestFactory = staticmethod(_api_request_factory)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system's questions (``__path__``, ...)
            raise AttributeError(name)
        return getattr(_real(), name)


def defer_test_client() -> None:
    """Put the stand-in in place, unless the real module is loaded already."""
    if NAME not in sys.modules:
        sys.modules[NAME] = _StandIn(NAME)
