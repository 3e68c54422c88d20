"""A stack service's extra spec with engine ids: its networks, secrets and configs made sure of.

Called by :func:`apps.converge.spec_for` for apps a stack owns, so deploys,
rollbacks and the reconcile all put back what a stack's service needs (a
removed network or config is created again from the rows).
"""

from __future__ import annotations

from typing import Any

from apps.compose.models import FileKind, StackFile
from apps.compose.translate import STACK_LABEL, object_labels
from paas import crypto, naming
from paas.transport import Conflict, EngineError, NotFound, call, client


def api() -> Any:
    return client().api


def ensure_network(name: str, *, stack: str, internal: bool) -> str:
    try:
        return str(call(api().inspect_network, name)["Id"])
    except NotFound:
        pass
    try:
        created = call(
            api().create_network,
            name,
            driver="overlay",
            internal=internal,
            labels=object_labels("stack-network", stack),
            check_duplicate=True,
            retries=0,
        )
        return str(created["Id"])
    except Conflict:
        return str(call(api().inspect_network, name)["Id"])


def _stack_filter(kind: str, stack: str) -> list[str]:
    return [
        f"{naming.NAMESPACE_LABEL}={naming.namespace()}",
        f"{naming.KIND_LABEL}={kind}",
        f"{STACK_LABEL}={stack}",
    ]


def file_ids(kind: str, stack: str) -> dict[str, str]:
    lister = api().secrets if kind == FileKind.SECRET else api().configs
    found = call(lister, filters={"label": _stack_filter(f"stack-{kind}", stack)})
    return {item["Spec"]["Name"]: item["ID"] for item in found}


def ensure_file(kind: str, stack: str, engine_name: str, existing: dict[str, str]) -> str:
    if engine_name in existing:
        return existing[engine_name]
    row = StackFile.objects.filter(engine_name=engine_name, kind=kind).first()
    if row is None:
        raise EngineError(
            f"The {kind} {engine_name!r} of this version is gone; redeploy the stack."
        )
    content = crypto.decrypt(row.data) if kind == FileKind.SECRET else row.data
    labels = object_labels(f"stack-{kind}", stack)
    create = api().create_secret if kind == FileKind.SECRET else api().create_config
    try:
        result = call(create, engine_name, content.encode(), labels=labels, retries=0)
        existing[engine_name] = str(result["ID"])
    except Conflict:
        existing.update(file_ids(kind, stack))
    return existing[engine_name]


def overlay(compose: dict[str, Any]) -> dict[str, Any]:
    """``{"template": ..., "service": ...}`` to lay over the app's service spec."""
    stack = str(compose["stack"])
    networks = [
        {
            "Target": ensure_network(n["name"], stack=stack, internal=bool(n.get("internal"))),
            "Aliases": list(n["aliases"]),
        }
        for n in compose.get("networks", [])
    ]
    container: dict[str, Any] = dict(compose.get("container") or {})
    if compose.get("mounts"):
        container["Mounts"] = list(compose["mounts"])
    for kind, key, id_key, name_key in (
        (FileKind.SECRET, "secrets", "SecretID", "SecretName"),
        (FileKind.CONFIG, "configs", "ConfigID", "ConfigName"),
    ):
        refs = compose.get(key) or []
        if not refs:
            continue
        existing = file_ids(kind, stack)
        container["Secrets" if kind == FileKind.SECRET else "Configs"] = [
            {
                "File": dict(ref["file"]),
                id_key: ensure_file(kind, stack, ref["engine_name"], existing),
                name_key: ref["engine_name"],
            }
            for ref in refs
        ]
    template: dict[str, Any] = {**(compose.get("template") or {}), "ContainerSpec": container}
    if networks:
        template["Networks"] = networks
    return {"template": template, "service": dict(compose.get("service_spec") or {})}
