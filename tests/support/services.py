"""Reaching the real services tests need, and failing loudly in CI when one is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip locally; fail when BERTH_REQUIRE_SERVICES=1 (CI), where a skip would hide a gap."""
    if os.environ.get("BERTH_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)
