"""The only writers of stacks: apply a compose file (create or redeploy), delete a stack.

A file is parsed, validated and translated completely before anything is
written: a refused file changes nothing. Applying writes the rows and an audit
event in one transaction and hands the rollout to the worker
(:mod:`apps.compose.progress`), which deploys services in dependency order
through the apps' deploy pipeline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps import builds
from apps import services as app_services
from apps.compose import caprover, files, parse, translate, validate
from apps.compose.models import (
    STACK_NAME_PATTERN,
    FileKind,
    ServiceState,
    Stack,
    StackFile,
    StackService,
    StackStatus,
)
from apps.compose.parse import ComposeError
from apps.compose.sources import Sources
from apps.compose.translate import ServicePlan, StackPlan
from apps.models import App
from paas import audit, crypto, policy
from paas.access import Level, Principal
from paas.models import Team

STACK_NAME_RE = re.compile(STACK_NAME_PATTERN)
MAX_VARIABLES = 500


def clean_stack_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError({"name": "Give the stack a name."})
    if len(name) > 40:
        raise ValidationError(
            {"name": "Use at most 40 characters: services are <stack>-<service>."}
        )
    if not STACK_NAME_RE.match(name):
        raise ValidationError(
            {"name": "Use lowercase letters, digits and hyphens, not at the start or end."}
        )
    return name


def clean_variables(value: object) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            return parse.parse_env_file(value, path="variables")
        except ComposeError as exc:
            raise ValidationError(exc.errors) from None
    if not isinstance(value, dict):
        raise ValidationError({"variables": "Give variables as an object of NAME: value."})
    if len(value) > MAX_VARIABLES:
        raise ValidationError({"variables": f"At most {MAX_VARIABLES} variables."})
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not parse.NAME_RE.fullmatch(key):
            raise ValidationError({"variables": f"{key!r} is not a variable name."})
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ValidationError({"variables": f"The value of {key} must be text or a number."})
        out[key] = str(item)
    return out


def plan_stack(
    *,
    name: str,
    team: Team,
    compose: str,
    variables: Mapping[str, str],
    ignore_unsupported: bool = False,
    sources: Sources | None = None,
) -> StackPlan:
    """Parse, check and translate; every refusal as a ValidationError keyed by path."""
    if not isinstance(compose, str) or not compose.strip():
        raise ValidationError({"compose": "Paste or upload a compose file."})
    try:
        data = parse.parse(compose, variables)
        checked = validate.check(data, ignore_unsupported=ignore_unsupported)
        return translate.translate(
            name,
            checked,
            rules=policy.rules_for(trusted=bool(team.trusted)),
            variables=variables,
            sources=sources,
        )
    except ComposeError as exc:
        raise ValidationError(exc.errors) from None


def _caprover(
    text: str | None, *, stack: str, variables: Mapping[str, str]
) -> tuple[str, dict[str, str]] | None:
    """A CapRover one-click template as compose text and its variables; None for compose."""
    if not text:
        return None
    try:
        data = parse.load(text)
    except ComposeError:
        return None  # plan_stack reports it
    if not caprover.is_template(data):
        return None
    try:
        return caprover.convert(data, stack=stack, variables=variables)
    except ComposeError as exc:
        raise ValidationError(exc.errors) from None


def _stored_spec(plan: ServicePlan) -> dict[str, Any]:
    return json.loads(json.dumps(asdict(plan)))  # type: ignore[no-any-return]


def apply_stack(
    *,
    team: Team,
    principal: Principal,
    name: object,
    compose: str | None = None,
    variables: object = None,
    ignore_unsupported: bool = False,
    upload: IO[bytes] | None = None,
    prune: bool = False,
    existing: Stack | None = None,
) -> Stack:
    """Create a stack (``existing`` None) or redeploy one; returns it with the rollout queued."""
    principal.require(team, Level.DEPLOY)
    if prune:
        principal.require(team, Level.ADMIN)  # pruning deletes apps
    clean_name = existing.name if existing is not None else clean_stack_name(name)
    given = clean_variables(variables)
    unpacked = files.extract(upload, compose_given=bool(compose)) if upload is not None else None
    try:
        text = compose or (unpacked.compose if unpacked else "")
        values = dict(given)
        if unpacked is not None and unpacked.env:
            try:
                values = {**parse.parse_env_file(unpacked.env, path=".env"), **given}
            except ComposeError as exc:
                raise ValidationError(exc.errors) from None
        sources = Sources(unpacked.root if unpacked else None)
        template = _caprover(text, stack=clean_name, variables=values)
        if template is not None:
            # Generated passwords are kept with the stack, so a redeploy reuses them.
            converted, used = template
            given, values = {**given, **used}, {**values, **used}
        plan = plan_stack(
            name=clean_name,
            team=team,
            compose=converted if template is not None else text,
            variables=values,
            ignore_unsupported=ignore_unsupported,
            sources=sources,
        )
        return _write(
            team=team,
            principal=principal,
            name=clean_name,
            compose=text,
            variables=given,
            ignore_unsupported=ignore_unsupported,
            plan=plan,
            unpacked=unpacked,
            prune=prune,
            existing=existing,
        )
    finally:
        if unpacked is not None:
            unpacked.remove()


@transaction.atomic
def _write(
    *,
    team: Team,
    principal: Principal,
    name: str,
    compose: str,
    variables: dict[str, str],
    ignore_unsupported: bool,
    plan: StackPlan,
    unpacked: files.Upload | None,
    prune: bool,
    existing: Stack | None,
) -> Stack:
    from apps.compose.tasks import advance_stack as advance_stack_task

    now = timezone.now()
    if existing is None:
        if Stack.objects.filter(name=name).exists():
            raise ValidationError({"name": f"A stack named {name!r} already exists."})
        stack = Stack(team=team, name=name, created_at=now, revision=0)
    else:
        stack = Stack.objects.select_for_update().get(pk=existing.pk)
        if stack.deleting_at is not None:
            raise ValidationError("This stack is being deleted.")
    rows = (
        {row.service: row for row in StackService.objects.filter(stack_id=stack.pk)}
        if stack.pk
        else {}
    )
    _check_app_names(plan, rows)
    stack.compose = compose
    stack.variables_encrypted = crypto.encrypt(json.dumps(variables)) if variables else ""
    stack.ignore_unsupported = ignore_unsupported
    stack.warnings = plan.warnings
    stack.revision += 1
    stack.status = StackStatus.DEPLOYING
    stack.reason = ""
    stack.applied_by_user = (
        principal.user
        if principal.token is None
        and principal.user is not None
        and principal.user.is_authenticated
        else None
    )
    stack.applied_by_token = principal.token
    stack.updated_at = now
    stack.save()
    for file in plan.files:
        if not StackFile.objects.filter(engine_name=file.engine_name).exists():
            data = crypto.encrypt(file.content) if file.kind == FileKind.SECRET else file.content
            StackFile.objects.create(
                stack=stack, kind=file.kind, name=file.name, engine_name=file.engine_name, data=data
            )
    warnings = _volumes(team, principal, plan)
    if warnings:
        stack.warnings = [*plan.warnings, *warnings]
        stack.save(update_fields=["warnings"])
    changed: list[str] = []
    for position, service in enumerate(plan.services):
        row = rows.get(service.service)
        if row is None:
            app = app_services.create_app(
                team=team, principal=principal, name=service.app, **service.settings
            )
            row = StackService(stack=stack, service=service.service, app=app)
        _domains(row.app, service, row.spec.get("domains") or [], principal)
        in_flight = service.digest == row.requested_hash and row.state == ServiceState.DEPLOYING
        retry = row.state in (ServiceState.FAILED, ServiceState.BLOCKED)
        needs_deploy = (service.digest != row.deployed_hash and not in_flight) or retry
        if needs_deploy:
            changed.append(service.service)
            builds.remove_build_dir(row.build_dir)
            row.build_dir = ""
            if service.build is not None and unpacked is not None:
                row.build_dir = files.copy_context(
                    unpacked.root, service.build["context"], service.build["dockerfile"]
                )
            row.requested_hash = ""
            row.state = ServiceState.WAITING
            row.reason = ""
        row.position = position
        row.spec = _stored_spec(service)
        row.spec_hash = service.digest
        row.removed = False
        row.save()
    dropped = [row for key, row in rows.items() if key not in {s.service for s in plan.services}]
    for row in dropped:
        if prune:
            app_services.delete_app(app=row.app, principal=principal)
        else:
            row.removed = True
            row.state = ServiceState.REMOVED
            row.reason = "Removed from the compose file; redeploy with prune to delete it."
            row.save(update_fields=["removed", "state", "reason"])
    audit.record(
        principal,
        "stack.create" if existing is None else "stack.update",
        team=team,
        target=stack,
        data={
            "revision": stack.revision,
            "services": [s.service for s in plan.services],
            "changed": changed,
            "pruned": [row.service for row in dropped] if prune else [],
            "warnings": len(plan.warnings),
        },
    )
    stack_id = stack.pk
    transaction.on_commit(lambda: advance_stack_task.delay(stack_id))
    return stack


def _volumes(team: Team, principal: Principal, plan: StackPlan) -> list[str]:
    """The team's Berth volumes the stack's named volumes are: made when missing, else reused
    (their data stays across redeploys and even a deleted and re-created stack)."""
    from apps.volumes import services as volume_services
    from apps.volumes.models import Volume

    used = {m["volume"] for service in plan.services for m in service.volumes}
    warnings: list[str] = []
    for name, spec in plan.volumes.items():
        if spec["volume"] not in used:
            continue
        existing = Volume.objects.filter(team=team, name=spec["volume"]).first()
        if existing is not None:
            if existing.deleting_at is not None:
                raise ValidationError(
                    {f"volumes.{name}": f"The volume {existing.name} is being deleted."}
                )
            if (existing.driver, existing.driver_options) != (spec["driver"], spec["driver_opts"]):
                warnings.append(
                    f"volumes.{name}: the volume {existing.name} exists with other driver "
                    "options, which cannot change; it is used as it is."
                )
            continue
        try:
            volume_services.create_volume(
                team=team,
                principal=principal,
                name=spec["volume"],
                driver=spec["driver"],
                driver_options=spec["driver_opts"],
                labels=spec["labels"],
            )
        except ValidationError as exc:
            raise ValidationError({f"volumes.{name}": exc.messages}) from None
    return warnings


def _check_app_names(plan: StackPlan, rows: dict[str, StackService]) -> None:
    errors: dict[str, list[str]] = {}
    for service in plan.services:
        owned = rows.get(service.service)
        if owned is not None:
            continue
        if App.objects.filter(name=service.app).exists():
            errors[f"services.{service.service}"] = [
                f"An app named {service.app!r} already exists outside this stack."
            ]
    if errors:
        raise ValidationError(errors)


def _domains(app: App, service: ServicePlan, before: list[str], principal: Principal) -> None:
    from routing import services as routing_services
    from routing.models import Domain

    for hostname in before:
        if hostname not in service.domains:
            domain = Domain.objects.filter(app=app, hostname=hostname).first()
            if domain is not None:
                routing_services.remove_domain(domain=domain, principal=principal)
    for hostname in service.domains:
        if hostname in before and Domain.objects.filter(app=app, hostname=hostname).exists():
            continue
        try:
            routing_services.add_domain(app=app, principal=principal, hostname=hostname)
        except ValidationError as exc:
            raise ValidationError(
                {f"services.{service.service}.x-berth.domains": exc.messages}
            ) from None


@transaction.atomic
def delete_stack(*, stack: Stack, principal: Principal, volumes: bool = False) -> None:
    """Delete the stack's apps, then (in the worker) its networks, secrets, configs and,
    when asked, its volumes."""
    from apps.compose.tasks import delete_stack as delete_stack_task
    from apps.volumes import services as volume_services

    principal.require(stack.team_id, Level.ADMIN)
    stack = Stack.objects.select_for_update().get(pk=stack.pk)
    if stack.deleting_at is None:
        stack.deleting_at = timezone.now()
        stack.delete_volumes = volumes
        stack.status = StackStatus.DELETING
        stack.save(update_fields=["deleting_at", "delete_volumes", "status"])
    rows = list(StackService.objects.filter(stack=stack).select_related("app"))
    names = {row.app.name for row in rows}
    for row in rows:
        app_services.delete_app(app=row.app, principal=principal)
        if volumes:
            # Volumes shared by the stack's own services go too; one another app uses stays.
            volume_services.delete_with_app(app=row.app, principal=principal, together=names)
    audit.record(
        principal, "stack.delete", team=stack.team, target=stack, data={"volumes": volumes}
    )
    stack_id = stack.pk
    transaction.on_commit(lambda: delete_stack_task.delay(stack_id))


def variables_of(stack: Stack) -> dict[str, str]:
    if not stack.variables_encrypted:
        return {}
    return dict(json.loads(crypto.decrypt(stack.variables_encrypted)))
