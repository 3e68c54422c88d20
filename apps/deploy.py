"""Asking for deployments: from an image, a captain-definition or a tarball; rollback; cancel.

A request is never refused because another deployment of the app runs: it
queues. A new version replaces a still-queued one (it would be superseded
anyway); a settings change queues behind it, since it carries no image.
"""

from __future__ import annotations

from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps import builds, validation
from apps.models import App, Deployment, Source, Status
from paas import audit
from paas.access import Level, Principal


def _enqueue(
    *,
    app: App,
    principal: Principal,
    source: str,
    summary: str,
    image: str = "",
    build_dir: str = "",
    definition: str = "",
    rollback_of: Deployment | None = None,
) -> Deployment:
    from apps.tasks import run_deployment as run_deployment_task

    with transaction.atomic():
        # The row lock serialises numbering on databases that honour it;
        # SQLite serialises writers anyway.
        app = App.objects.select_for_update().get(pk=app.pk)
        if app.deleting_at is not None:
            raise ValidationError("This app is being deleted.")
        last = app.deployments.aggregate(top=Max("number"))["top"] or 0
        number = last + 1
        queued = app.deployments.filter(status=Status.QUEUED)
        if source == Source.CONFIG:
            queued = queued.filter(source=Source.CONFIG)
        now = timezone.now()
        queued.update(status=Status.CANCELLED, reason=f"Replaced by #{number}.", finished_at=now)
        deployment = Deployment.objects.create(
            app=app,
            number=number,
            source=source,
            summary=summary[:200],
            image=image,
            build_dir=build_dir,
            definition=definition,
            rollback_of=rollback_of,
            created_by=principal.label[:150],
        )
        audit.record(
            principal,
            "deployment.create",
            team=app.team,
            target=deployment,
            data={"number": number, "source": source, "image": image},
        )
        deployment_id = deployment.pk
        transaction.on_commit(lambda: run_deployment_task.delay(deployment_id))
    return deployment


def deploy_image(*, app: App, principal: Principal, image: object) -> Deployment:
    principal.require(app.team_id, Level.DEPLOY)
    clean = validation.clean_image(image)
    return _enqueue(
        app=app, principal=principal, source=Source.IMAGE, summary=f"Image {clean}", image=clean
    )


def deploy_definition(*, app: App, principal: Principal, text: object) -> Deployment:
    principal.require(app.team_id, Level.DEPLOY)
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"definition": "Paste a captain-definition."})
    prepared = builds.prepare_definition(text)
    try:
        return _enqueue(
            app=app,
            principal=principal,
            source=Source.DEFINITION,
            summary=f"captain-definition{': ' + prepared.image if prepared.image else ''}",
            image=prepared.image,
            build_dir=prepared.build_dir,
            definition=text,
        )
    except BaseException:
        builds.remove_build_dir(prepared.build_dir)
        raise


def deploy_tarball(
    *, app: App, principal: Principal, upload: IO[bytes], filename: str = ""
) -> Deployment:
    # Checked before the archive is even opened: outsiders cannot make Berth unpack.
    principal.require(app.team_id, Level.DEPLOY)
    prepared = builds.prepare_upload(upload)
    try:
        return _enqueue(
            app=app,
            principal=principal,
            source=Source.TARBALL,
            summary=f"Upload {filename}".strip()[:200],
            image=prepared.image,
            build_dir=prepared.build_dir,
        )
    except BaseException:
        builds.remove_build_dir(prepared.build_dir)
        raise


def rollback(*, deployment: Deployment, principal: Principal) -> Deployment:
    """Run an earlier healthy deployment's image again (no rebuild), as a new deployment."""
    app = deployment.app
    principal.require(app.team_id, Level.DEPLOY)
    if deployment.status != Status.HEALTHY or not deployment.image:
        raise ValidationError(
            f"Only a deployment that became healthy can be rolled back to; #{deployment.number} "
            f"is {deployment.get_status_display().lower()}."
        )
    return _enqueue(
        app=app,
        principal=principal,
        source=Source.ROLLBACK,
        summary=f"Rollback to #{deployment.number}",
        image=deployment.image,
        rollback_of=deployment,
    )


def request_settings_change(*, app: App, principal: Principal, summary: str) -> Deployment:
    """Apply changed settings to the running app; the image is the one running when it starts."""
    return _enqueue(app=app, principal=principal, source=Source.CONFIG, summary=summary)


@transaction.atomic
def cancel(*, deployment: Deployment, principal: Principal) -> Deployment:
    principal.require(deployment.app.team_id, Level.DEPLOY)
    now = timezone.now()
    by = principal.label
    cancelled = Deployment.objects.filter(pk=deployment.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, reason=f"Cancelled by {by} before it started.", finished_at=now
    )
    if not cancelled:
        running = Deployment.objects.filter(
            pk=deployment.pk, status__in=(Status.BUILDING, Status.DEPLOYING)
        ).update(cancel_requested=True)
        if not running:
            raise ValidationError(
                f"Deployment #{deployment.number} has already finished "
                f"({deployment.get_status_display().lower()})."
            )
    audit.record(
        principal,
        "deployment.cancel",
        team=deployment.app.team,
        target=deployment,
        data={"number": deployment.number},
    )
    deployment.refresh_from_db()
    return deployment


def deploy_prepared(
    *, app: App, principal: Principal, summary: str, image: str = "", build_dir: str = ""
) -> Deployment:
    """A deployment whose access the caller checked (a compose stack's service, in the worker)."""
    return _enqueue(
        app=app,
        principal=principal,
        source=Source.TARBALL if build_dir else Source.IMAGE,
        summary=summary,
        image=image,
        build_dir=build_dir,
    )
