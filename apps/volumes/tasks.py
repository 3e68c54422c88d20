"""Celery tasks of volumes: ids in, the work in apps.volumes.copies."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.volumes import copies

RETRY_SECONDS = 3


@shared_task(name="apps.volumes.tasks.delete_volume", bind=True, acks_late=True, max_retries=100)
def delete_volume(self: Any, volume_id: int) -> bool:
    # Retried while an app (or its stopping tasks) still holds the volume; the sweep
    # takes over when the retries run out.
    if not copies.remove(volume_id):
        raise self.retry(countdown=RETRY_SECONDS)
    return True


@shared_task(name="apps.volumes.tasks.sweep_volumes", acks_late=True, ignore_result=True)
def sweep_volumes() -> dict[str, int]:
    return copies.sweep()
