"""Celery tasks: ids in, the work in apps.pipeline and apps.reconcile."""

from __future__ import annotations

from celery import shared_task

from apps import pipeline, reconcile


@shared_task(name="apps.tasks.run_deployment", acks_late=True)
def run_deployment(deployment_id: int) -> None:
    pipeline.run(deployment_id)


@shared_task(name="apps.tasks.delete_app", acks_late=True)
def delete_app(app_id: int) -> bool:
    return reconcile.delete_app(app_id)


@shared_task(name="apps.tasks.reconcile_apps", acks_late=True, ignore_result=True)
def reconcile_apps() -> dict[str, list[str]]:
    return reconcile.reconcile()


@shared_task(name="apps.tasks.reap_deployments", acks_late=True, ignore_result=True)
def reap_deployments() -> dict[str, int]:
    return reconcile.reap()
