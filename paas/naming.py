"""Names and labels of everything Berth creates on the engine.

Every object carries the namespace as a name prefix and as the
``berth.namespace`` label, so two installations (or Berth and other stacks)
share one swarm without touching each other's objects.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

NAMESPACE_LABEL = "berth.namespace"
KIND_LABEL = "berth.kind"
APP_LABEL = "berth.app"
MAX_NAME = 63


def namespace() -> str:
    return str(settings.BERTH_NAMESPACE)


def labels(kind: str, **extra: str) -> dict[str, str]:
    return {NAMESPACE_LABEL: namespace(), KIND_LABEL: kind, **extra}


def namespaced(*parts: str) -> str:
    """``<namespace>-<parts...>``, shortened with a hash suffix to fit a DNS label."""
    name = "-".join((namespace(), *parts))
    if len(name) <= MAX_NAME:
        return name
    suffix = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9].rstrip('-')}-{suffix}"


def app_service(app_name: str) -> str:
    return namespaced("app", app_name)


def apps_network() -> str:
    return namespaced("apps")


def gateway_service() -> str:
    return namespaced("gateway")
