"""Judging a rollout from swarm's service and task states."""

from __future__ import annotations

from typing import Any

from apps.rollout import FAILED, HEALTHY, ROLLED_BACK, WAITING, Progress, assess
from apps.spec import TEMPLATE_LABEL


def task(
    tid: str, template: str, state: str, desired: str = "running", err: str = ""
) -> dict[str, Any]:
    status = {"State": state, "Timestamp": f"2026-01-01T00:00:{len(tid):02d}Z"}
    if err:
        status["Err"] = err
    return {
        "ID": tid,
        "DesiredState": desired,
        "Status": status,
        "Spec": {"ContainerSpec": {"Labels": {TEMPLATE_LABEL: template}}},
    }


def judge(
    tasks: list[dict[str, Any]],
    *,
    update: dict[str, Any] | None = None,
    stale: dict[str, Any] | None = None,
    replicas: int = 2,
    known: frozenset[str] = frozenset(),
    **kw: Any,
) -> Progress:
    service = {"UpdateStatus": update} if update else {}
    return assess(
        service=service,
        tasks=tasks,
        template="new",
        replicas=replicas,
        known_task_ids=known,
        stale_update=stale,
        **kw,
    )


def test_it_waits_while_new_tasks_start():
    progress = judge([task("a", "new", "starting"), task("o", "old", "running")])

    assert progress.state == WAITING
    assert progress.detail == "0/2 new tasks running"
    assert progress.running == 0


def test_it_counts_the_new_tasks_that_run_while_old_ones_still_serve():
    tasks = [
        task("a", "new", "running"),
        task("b", "new", "starting"),
        task("c", "old", "running"),
        task("o", "old", "running"),
    ]

    progress = judge(tasks, update={"State": "updating"})

    assert progress.state == WAITING
    assert progress.running == 1


def test_healthy_when_every_new_task_runs_and_the_old_ones_are_told_to_stop():
    tasks = [
        task("a", "new", "running"),
        task("b", "new", "running"),
        task("o", "old", "running", desired="shutdown"),
    ]

    assert judge(tasks, update={"State": "completed"}).state == HEALTHY


def test_not_healthy_while_swarm_still_watches_the_update():
    tasks = [task("a", "new", "running"), task("b", "new", "running")]

    progress = judge(tasks, update={"State": "updating"})

    assert progress.state == WAITING
    assert "watching" in progress.detail
    assert progress.running == 2


def test_a_swarm_rollback_is_reported_with_the_task_error():
    tasks = [
        task(
            "a",
            "new",
            "failed",
            desired="shutdown",
            err="task: non-zero exit (137): dockerexec: unhealthy container",
        ),
        task("o", "old", "running"),
    ]

    progress = judge(
        tasks,
        update={"State": "rollback_started", "Message": "update rolled back"},
        health_path="/health",
        port=80,
    )

    assert progress.state == ROLLED_BACK
    assert "health check (GET /health on port 80)" in progress.reason


def test_a_missing_image_fails_at_once():
    tasks = [task("a", "new", "rejected", desired="shutdown", err="No such image: shop:9")]

    progress = judge(tasks, replicas=1)

    assert progress.state == FAILED
    assert progress.reason == "The image could not be found: No such image: shop:9"


def test_repeated_crashes_fail_the_rollout():
    tasks = [
        task(f"t{i}", "new", "failed", desired="shutdown", err="task: non-zero exit (1)")
        for i in range(3)
    ]

    progress = judge(tasks)

    assert progress.state == FAILED
    assert "exited" in progress.reason


def test_failures_of_an_earlier_attempt_do_not_count():
    old_failures = [
        task(f"t{i}", "new", "failed", desired="shutdown", err="boom") for i in range(3)
    ]

    progress = judge(old_failures, known=frozenset({"t0", "t1", "t2"}))

    assert progress.state == WAITING


def test_an_update_status_left_from_an_earlier_update_is_ignored():
    earlier = {"State": "rollback_completed", "Message": "old"}
    tasks = [task("a", "new", "running"), task("b", "new", "running")]

    assert judge(tasks, update=earlier, stale=earlier).state == HEALTHY


def test_scaling_to_zero_is_healthy_once_nothing_runs():
    stopping = judge([task("a", "new", "running", desired="shutdown")], replicas=0)
    stopped = judge([task("a", "new", "shutdown", desired="shutdown")], replicas=0)

    assert stopping.state == WAITING
    assert stopped.state == HEALTHY
