"""Deploying from git on the real swarm: the apps tests' worker, and built images removed."""

from __future__ import annotations

from tests.integration.apps.conftest import _remove_built_images, finished
from tests.support.apps import deploy_worker, fast_deploys

__all__ = ["_remove_built_images", "deploy_worker", "fast_deploys", "finished"]
