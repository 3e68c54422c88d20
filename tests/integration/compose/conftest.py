"""Stacks on the real swarm: the apps' worker and gateway fixtures, and waiting for a stack."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from apps.compose.models import Stack, StackStatus
from tests.support.apps import deploy_worker, fast_deploys

__all__ = ["deploy_worker", "fast_deploys"]

# A CGI script for the busybox web image: GET /cgi-bin/relay?HOST/PATH fetches
# http://HOST/PATH from inside the task and prints it, so a test sees one
# service reach another by its compose name.
RELAY = r"""#!/bin/sh
echo "Content-Type: text/plain"
echo
target="$QUERY_STRING"
host="${target%%/*}"
path="/${target#*/}"
echo "via=$(hostname)"
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$host" | nc -w 3 "$host" 80 | sed '1,/^\r*$/d'
"""


def wait_stack(stack: Stack, *, revision: int | None = None, timeout: float = 150) -> Stack:
    """Poll until the stack (at ``revision``, if given) is healthy or failed."""
    deadline = time.monotonic() + timeout
    while True:
        stack.refresh_from_db()
        done = stack.status in (StackStatus.HEALTHY, StackStatus.FAILED)
        if done and (revision is None or stack.revision == revision):
            return stack
        if time.monotonic() > deadline:
            states = {s.service: (s.state, s.reason) for s in stack.services.all()}
            raise AssertionError(
                f"stack {stack} still {stack.status} after {timeout:.0f} s: {states}"
            )
        time.sleep(0.3)


@pytest.fixture
def stack_ready() -> Callable[..., Stack]:
    return wait_stack


def task_ids(engine: Any, service: str) -> set[str]:
    return {
        t["ID"] for t in engine.api.tasks(filters={"service": service, "desired-state": "running"})
    }
