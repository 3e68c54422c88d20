"""The only writers of apps and their secrets.

Each function checks the principal's level, validates, writes the rows and an
audit event in one transaction, and enqueues engine work after commit. A change
of settings on an app that runs becomes a deployment (health-gated like any
other), so what runs always matches a numbered deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps import deploy, validation
from apps.models import ACTIVE, App, AppSecret, Status
from paas import audit, crypto
from paas.access import Level, Principal
from paas.models import Team

Cleaner = Callable[[object], Any]

CLEANERS: dict[str, Cleaner] = {
    "instances": validation.clean_instances,
    "container_port": validation.clean_port,
    "env": validation.clean_env,
    "health_check_path": validation.clean_health_path,
    "placement": validation.clean_placement,
    "cpu_limit": lambda v: validation.clean_cpu("cpu_limit", v),
    "cpu_reservation": lambda v: validation.clean_cpu("cpu_reservation", v),
    "memory_limit_mb": lambda v: validation.clean_memory("memory_limit_mb", v),
    "memory_reservation_mb": lambda v: validation.clean_memory("memory_reservation_mb", v),
    "internal": lambda v: _clean_bool("internal", v),
}
SETTINGS = tuple(CLEANERS)


def _clean_bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError({field: "Give true or false."})
    return value


def clean_settings(values: dict[str, Any], base: App | None = None) -> dict[str, Any]:
    unknown = sorted(set(values) - set(CLEANERS))
    if unknown:
        raise ValidationError({key: "This setting does not exist." for key in unknown})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        try:
            cleaned[key] = CLEANERS[key](value)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    merged = {key: getattr(base, key) for key in SETTINGS} if base is not None else {}
    merged.update(cleaned)
    validation.check_resources(merged)
    return cleaned


@transaction.atomic
def create_app(*, team: Team, principal: Principal, name: object, **values: Any) -> App:
    principal.require(team, Level.DEPLOY)
    clean = validation.clean_name(name)
    settings_ = clean_settings(values)
    if App.objects.filter(name=clean).exists():
        raise ValidationError({"name": f"An app named {clean!r} already exists."})
    app = App.objects.create(team=team, name=clean, **settings_)
    audit.record(principal, "app.create", team=team, target=app, data=_loggable(settings_))
    return app


def _loggable(values: dict[str, Any]) -> dict[str, Any]:
    # Env values may be sensitive even when they should be secrets: log the names only.
    data = dict(values)
    if "env" in data:
        data["env"] = sorted(data["env"])
    return data


def _describe(changes: dict[str, tuple[Any, Any]]) -> str:
    parts = []
    for key, (old, new) in changes.items():
        if key == "env":
            parts.append("environment")
        elif key == "instances":
            parts.append(f"instances {old} → {new}")
        else:
            parts.append(key.replace("_", " "))
    return "Settings: " + ", ".join(parts)


def has_run(app: App) -> bool:
    return (
        app.current_deployment_id is not None or app.deployments.filter(status__in=ACTIVE).exists()
    )


@transaction.atomic
def update_app(*, app: App, principal: Principal, **values: Any) -> App:
    principal.require(app.team_id, Level.DEPLOY)
    app = App.objects.select_for_update().get(pk=app.pk)
    _not_deleting(app)
    cleaned = clean_settings(values, base=app)
    changes = {
        key: (getattr(app, key), value)
        for key, value in cleaned.items()
        if getattr(app, key) != value
    }
    if not changes:
        return app
    for key, (_, new) in changes.items():
        setattr(app, key, new)
    app.updated_at = timezone.now()
    app.save(update_fields=[*changes, "updated_at"])
    audit.record(
        principal,
        "app.update",
        team=app.team,
        target=app,
        data={key: (sorted(new) if key == "env" else new) for key, (_, new) in changes.items()},
    )
    if has_run(app):
        deploy.request_settings_change(app=app, principal=principal, summary=_describe(changes))
    return app


def _not_deleting(app: App) -> None:
    if app.deleting_at is not None:
        raise ValidationError("This app is being deleted.")


@transaction.atomic
def set_secret(*, app: App, principal: Principal, name: object, value: object) -> AppSecret:
    principal.require(app.team_id, Level.DEPLOY)
    app = App.objects.select_for_update().get(pk=app.pk)
    _not_deleting(app)
    clean_name = validation.clean_secret_name(name)
    clean_value = validation.clean_secret_value(value)
    secret = AppSecret.objects.filter(app=app, name=clean_name).first()
    if secret is None:
        secret = AppSecret.objects.create(
            app=app, name=clean_name, ciphertext=crypto.encrypt(clean_value)
        )
        action = "secret.create"
    else:
        secret.ciphertext = crypto.encrypt(clean_value)
        secret.version += 1
        secret.updated_at = timezone.now()
        secret.save(update_fields=["ciphertext", "version", "updated_at"])
        action = "secret.update"
    # The name only: a secret's value never reaches the audit log.
    audit.record(principal, action, team=app.team, target=app, data={"secret": clean_name})
    if has_run(app):
        deploy.request_settings_change(
            app=app, principal=principal, summary=f"Secret {clean_name} set"
        )
    return secret


@transaction.atomic
def delete_secret(*, secret: AppSecret, principal: Principal) -> None:
    app = secret.app
    principal.require(app.team_id, Level.DEPLOY)
    app = App.objects.select_for_update().get(pk=app.pk)
    _not_deleting(app)
    name = secret.name
    secret.delete()
    audit.record(principal, "secret.delete", team=app.team, target=app, data={"secret": name})
    if has_run(app):
        deploy.request_settings_change(
            app=app, principal=principal, summary=f"Secret {name} removed"
        )


@transaction.atomic
def delete_app(
    *, app: App, principal: Principal, delete_volumes: bool = False
) -> tuple[list[str], list[str]]:
    """Mark the app for deletion; a task removes its service, route, secrets and images.

    With ``delete_volumes`` the volumes it mounts go too, except those another app
    uses; returns the names of the volumes (deleted, kept).
    """
    from apps.tasks import delete_app as delete_app_task
    from apps.volumes import services as volume_services

    principal.require(app.team_id, Level.ADMIN)
    app = App.objects.select_for_update().get(pk=app.pk)
    if app.deleting_at is None:
        app.deleting_at = timezone.now()
        app.save(update_fields=["deleting_at"])
    now = timezone.now()
    app.deployments.filter(status=Status.QUEUED).update(
        status=Status.CANCELLED, reason="The app is being deleted.", finished_at=now
    )
    app.deployments.filter(status__in=(Status.BUILDING, Status.DEPLOYING)).update(
        cancel_requested=True
    )
    audit.record(principal, "app.delete", team=app.team, target=app)
    app_id = app.pk
    transaction.on_commit(lambda: delete_app_task.delay(app_id))
    if delete_volumes:
        return volume_services.delete_with_app(app=app, principal=principal)
    return [], []
