from __future__ import annotations

from celery import shared_task

from nodes import registry, services


@shared_task(ignore_result=True)
def sync_nodes() -> int:
    """Beat, every minute: the Node table follows the swarm; operations of dead workers end."""
    services.reap_operations()
    return services.sync_nodes().total


@shared_task(ignore_result=True, acks_late=True)
def run_operation(operation_id: int) -> None:
    """A join, drain or removal; claimed once, so a redelivery does nothing."""
    # Here, not at the top: joins over SSH load paramiko (~3 MB), which a worker
    # that never runs an operation need not hold.
    from nodes import operations

    operations.run(operation_id)


@shared_task(ignore_result=True)
def converge_registry() -> None:
    """Set up, check or take down the registry as the operator chose (also after a restart)."""
    registry.converge(lambda line: None)
