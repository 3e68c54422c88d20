"""The worker's side of a stack: roll services out in dependency order, delete a stack.

:func:`advance` is idempotent: it reads the rows, starts the deployments whose
dependencies are healthy and records each service's state. It runs after a
stack is applied, whenever a deployment of one of its apps finishes (the
deploy pipeline's hook) and from the beat, so a worker that died mid-way
leaves nothing stuck.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps import builds, deploy, locks
from apps import reconcile as app_reconcile
from apps.compose import resolve
from apps.compose.models import (
    FileKind,
    ServiceState,
    Stack,
    StackFile,
    StackService,
    StackStatus,
)
from apps.compose.translate import STACK_LABEL
from apps.models import ACTIVE, App, Status
from apps.services import SETTINGS
from paas import audit, naming
from paas.access import Principal
from paas.transport import EngineError, NotFound, call

log = logging.getLogger(__name__)
DONE = (ServiceState.HEALTHY,)
BROKEN = (ServiceState.FAILED, ServiceState.BLOCKED)


def stack_lock(stack_id: int) -> Any:
    return locks.connection().lock(
        f"berth:{naming.namespace()}:stack:{stack_id}", timeout=120, thread_local=False
    )


def principal_of(stack: Stack) -> Principal:
    """Who applied the stack: its later deployments are made (and audited) in their name."""
    if stack.applied_by_token is not None:
        return Principal(token=stack.applied_by_token)
    if stack.applied_by_user is not None:
        return Principal(user=stack.applied_by_user)
    return Principal()


def deployment_finished(app_id: int) -> None:
    """Called by the deploy pipeline when a deployment of ``app_id`` ends."""
    from apps.compose.tasks import advance_stack as advance_stack_task

    stack_id = (
        StackService.objects.filter(app_id=app_id, stack__deleting_at__isnull=True)
        .values_list("stack_id", flat=True)
        .first()
    )
    if stack_id is not None:
        advance_stack_task.delay(stack_id)


def advance(stack_id: int) -> str | None:
    """One pass over the stack; returns its status (None when it is gone or busy)."""
    lock = stack_lock(stack_id)
    if not lock.acquire(blocking=True, blocking_timeout=30):
        return None
    try:
        return _advance(stack_id)
    finally:
        try:
            lock.release()
        except Exception:
            log.debug("lock of stack %s already gone", stack_id)


def _evaluate(row: StackService, states: dict[str, str]) -> tuple[str, str]:
    if row.spec_hash == row.deployed_hash:
        return ServiceState.HEALTHY, ""
    deployment = row.deployment
    if deployment is not None and row.requested_hash == row.spec_hash:
        if deployment.status == Status.HEALTHY:
            row.deployed_hash = row.spec_hash
            return ServiceState.HEALTHY, ""
        if deployment.status in ACTIVE:
            return (
                ServiceState.DEPLOYING,
                f"Deployment #{deployment.number} is {deployment.status}.",
            )
        why = deployment.reason or deployment.get_status_display()
        return ServiceState.FAILED, f"Deployment #{deployment.number}: {why}"
    depends = list((row.spec.get("depends_on") or {}).keys())
    broken = [d for d in depends if states.get(d) in BROKEN]
    if broken:
        return ServiceState.BLOCKED, f"It depends on {', '.join(broken)}, which did not deploy."
    waiting = [d for d in depends if states.get(d) not in DONE]
    if waiting:
        return ServiceState.WAITING, f"Waiting for {', '.join(waiting)} to be healthy."
    return "ready", ""


def _start(stack: Stack, row: StackService, principal: Principal) -> None:
    spec = row.spec
    with transaction.atomic():
        app = App.objects.select_for_update().get(pk=row.app_id)
        wanted = {key: spec["settings"][key] for key in SETTINGS if key in spec["settings"]}
        changed = [key for key, value in wanted.items() if getattr(app, key) != value]
        for key in changed:
            setattr(app, key, wanted[key])
        if changed:
            app.updated_at = timezone.now()
            app.save(update_fields=[*changed, "updated_at"])
        _sync_mounts(app, stack, list(spec.get("volumes") or []))
        what = f"build of {spec['build']['context']}" if spec.get("build") else spec["image"]
        deployment = deploy.deploy_prepared(
            app=app,
            principal=principal,
            summary=f"Stack {stack.name} r{stack.revision}: {what}",
            image=spec.get("image") or "",
            build_dir=row.build_dir,
        )
        row.deployment = deployment
        row.requested_hash = row.spec_hash
        row.build_dir = ""  # the pipeline removes it with the deployment


def _sync_mounts(app: App, stack: Stack, wanted: list[dict[str, Any]]) -> None:
    """The app's mounts of the stack's volumes as the file says; mounts attached by hand stay."""
    from apps.volumes.models import Mount, Volume

    want = {(m["volume"], m["path"], bool(m["read_only"])) for m in wanted}
    for mount in Mount.objects.filter(app=app, volume__isnull=False).select_related("volume"):
        if mount.volume is None:
            continue
        key = (mount.volume.name, mount.path, mount.read_only)
        if key in want:
            want.discard(key)
        elif mount.volume.name.startswith(f"{stack.name}-"):
            mount.delete()
    for name, path, read_only in sorted(want):
        volume = Volume.objects.filter(
            team_id=app.team_id, name=name, deleting_at__isnull=True
        ).first()
        if volume is None:
            raise ValueError(f"The volume {name} is gone; redeploy the stack to make it again.")
        if Mount.objects.filter(app=app, path=path).exists():
            raise ValueError(f"{path} already has a mount attached by hand: detach it first.")
        Mount.objects.create(
            app=app, volume=volume, path=path, read_only=read_only, created_by=f"stack {stack.name}"
        )


def _advance(stack_id: int) -> str | None:
    # The stack's row lock orders this pass with a redeploy being written (on databases
    # that honour it); the conditional updates below keep a pass that read rows before a
    # redeploy from overwriting what the redeploy wrote (its own pass follows it).
    with transaction.atomic():
        stack = (
            Stack.objects.select_for_update().filter(pk=stack_id, deleting_at__isnull=True).first()
        )
        if stack is None:
            return None
        rows = list(
            StackService.objects.filter(stack=stack, removed=False)
            .select_related("deployment")
            .defer("deployment__log", "deployment__config", "deployment__definition")
            .order_by("position")
        )
        principal = principal_of(stack)
        states: dict[str, str] = {}
        for row in rows:
            seen = (row.spec_hash, row.requested_hash)
            state, reason = _evaluate(row, states)
            if state == "ready":
                try:
                    _start(stack, row, principal)
                    state, reason = ServiceState.DEPLOYING, "Deploying."
                except Exception as exc:  # a refusal (e.g. the app is being deleted) fails it
                    log.warning("stack %s: starting %s: %s", stack.name, row.service, exc)
                    state, reason = ServiceState.FAILED, f"Could not start its deployment: {exc}"
            states[row.service] = state
            row.state, row.reason = state, reason[:2000]
            StackService.objects.filter(
                pk=row.pk, spec_hash=seen[0], requested_hash=seen[1]
            ).update(
                state=row.state,
                reason=row.reason,
                deployed_hash=row.deployed_hash,
                requested_hash=row.requested_hash,
                deployment=row.deployment,
                build_dir=row.build_dir,
            )
        status, reason = _status(rows)
        if (status, reason) != (stack.status, stack.reason):
            Stack.objects.filter(pk=stack.pk, revision=stack.revision).update(
                status=status, reason=reason
            )
            if status in (StackStatus.HEALTHY, StackStatus.FAILED):
                audit.record(
                    None,
                    f"stack.{status}",
                    team=stack.team,
                    target=stack,
                    data={"revision": stack.revision},
                )
    if status == StackStatus.HEALTHY:
        _cleanup_files(stack)
    return status


def _status(rows: list[StackService]) -> tuple[str, str]:
    failed = [r for r in rows if r.state in BROKEN]
    if failed:
        return StackStatus.FAILED, "; ".join(f"{r.service}: {r.reason}" for r in failed)[:4000]
    if all(r.state == ServiceState.HEALTHY for r in rows):
        return StackStatus.HEALTHY, ""
    return StackStatus.DEPLOYING, ""


def _cleanup_files(stack: Stack) -> None:
    """Secrets and configs no service of the stack uses any more (swarm refuses in-use ones)."""
    used: set[str] = set()
    for spec in StackService.objects.filter(stack=stack).values_list("spec", flat=True):
        compose = (spec or {}).get("compose") or {}
        used.update(
            ref["engine_name"] for key in ("secrets", "configs") for ref in compose.get(key) or []
        )
    stale = StackFile.objects.filter(stack=stack).exclude(engine_name__in=used)
    for row in list(stale):
        if _remove_file(row.kind, row.engine_name):
            row.delete()


def _remove_file(kind: str, engine_name: str) -> bool:
    api = resolve.api()
    remover = api.remove_secret if kind == FileKind.SECRET else api.remove_config
    try:
        call(remover, engine_name, retries=0)
    except NotFound:
        return True
    except EngineError:
        return False  # still used by a stopping task: a later pass removes it
    return True


def _labelled(kind: str, stack: str) -> list[str]:
    return [
        f"{naming.NAMESPACE_LABEL}={naming.namespace()}",
        f"{naming.KIND_LABEL}={kind}",
        f"{STACK_LABEL}={stack}",
    ]


def delete(stack_id: int, *, wait: float = 60) -> bool:
    """Remove a deleting stack's apps, then its engine objects, then its row; False to retry."""
    stack = Stack.objects.filter(pk=stack_id, deleting_at__isnull=False).first()
    if stack is None:
        return True
    for app_id in StackService.objects.filter(stack=stack).values_list("app_id", flat=True):
        app_reconcile.delete_app(app_id, wait=wait)
    if StackService.objects.filter(stack=stack).exists():
        return False
    api = resolve.api()
    left: list[str] = []
    for kind, lister, remover in (
        ("stack-network", api.networks, api.remove_network),
        ("stack-secret", api.secrets, api.remove_secret),
        ("stack-config", api.configs, api.remove_config),
    ):
        try:
            found = call(lister, filters={"label": _labelled(kind, stack.name)})
        except EngineError as exc:
            log.warning("deleting stack %s: %s", stack.name, exc)
            return False
        for item in found:
            ident = item.get("Id") or item.get("ID")
            try:
                call(remover, ident, retries=0)
            except NotFound:
                continue
            except EngineError:
                left.append(f"{kind} {ident}")
    if left:
        log.info("deleting stack %s: %s still in use; retrying later", stack.name, ", ".join(left))
        return False
    for build_dir in StackService.objects.filter(stack=stack).values_list("build_dir", flat=True):
        builds.remove_build_dir(build_dir)
    stack.delete()
    return True


def maintain() -> dict[str, int]:
    """The beat's pass: advance stacks still rolling out, finish deletions."""
    advanced = 0
    for stack_id in Stack.objects.filter(
        deleting_at__isnull=True, status=StackStatus.DEPLOYING
    ).values_list("pk", flat=True):
        advance(stack_id)
        advanced += 1
    deleted = 0
    for stack_id in Stack.objects.filter(deleting_at__isnull=False).values_list("pk", flat=True):
        if delete(stack_id, wait=5):
            deleted += 1
    return {"advanced": advanced, "deleted": deleted}
