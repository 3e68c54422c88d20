"""Celery tasks: ids in, the work in apps.compose.progress."""

from __future__ import annotations

from celery import Task, shared_task

from apps.compose import progress


@shared_task(name="apps.compose.tasks.advance_stack", acks_late=True)
def advance_stack(stack_id: int) -> str | None:
    return progress.advance(stack_id)


@shared_task(name="apps.compose.tasks.delete_stack", acks_late=True, bind=True, max_retries=40)
def delete_stack(self: Task, stack_id: int) -> bool:  # type: ignore[type-arg]
    # Networks go only once the apps' tasks are gone: try again shortly until then.
    if not progress.delete(stack_id):
        raise self.retry(countdown=3)
    return True


@shared_task(name="apps.compose.tasks.maintain_stacks", acks_late=True, ignore_result=True)
def maintain_stacks() -> dict[str, int]:
    return progress.maintain()
