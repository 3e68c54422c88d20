"""Fixtures for deploying apps on the real swarm through the real gateway and worker."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apps import selectors
from apps.models import App, Deployment
from tests.support.apps import deploy_worker, fast_deploys, wait_finished

__all__ = ["deploy_worker", "fast_deploys"]


@pytest.fixture
def finished() -> Callable[..., Deployment]:
    return wait_finished


def refreshed(app: App) -> App:
    return selectors.live_apps().select_related("current_deployment").get(pk=app.pk)


@pytest.fixture(autouse=True)
def _remove_built_images(engine: Any, settings: Any) -> Iterator[None]:
    """Images the test's builds made (labelled with its namespace) go with it."""
    yield
    label = f"berth.namespace={settings.BERTH_NAMESPACE}"
    built = engine.images.list(filters={"label": label})
    if not built:
        return
    for service in engine.services.list(filters={"label": label}):
        service.remove()
    # An image cannot be removed while a stopping task's container still uses it.
    deadline = time.monotonic() + 60
    while engine.api.containers(all=True, filters={"label": label}):
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    for image in built:
        for tag in image.tags or [image.id]:
            engine.images.remove(tag, force=True)
