"""The periodic work that keeps apps as Berth describes them is scheduled."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from paas.celery import app


def test_reconcile_runs_at_least_every_minute_and_the_reaper_more_often():
    schedule: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE

    assert schedule["apps-reconcile"]["task"] == "apps.tasks.reconcile_apps"
    assert float(schedule["apps-reconcile"]["schedule"]) <= 60
    assert schedule["apps-reap-deployments"]["task"] == "apps.tasks.reap_deployments"
    assert (
        float(schedule["apps-reap-deployments"]["schedule"]) < settings.BERTH_DEPLOY_STALE_SECONDS
    )


def test_the_scheduled_tasks_exist_in_the_worker():
    app.loader.import_default_modules()

    for name in (
        "apps.tasks.reconcile_apps",
        "apps.tasks.reap_deployments",
        "apps.tasks.run_deployment",
        "apps.tasks.delete_app",
    ):
        assert name in app.tasks
