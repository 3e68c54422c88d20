"""Celery tasks of the gateway, domains and certificates: ids in, the work in services."""

from __future__ import annotations

import logging

from celery import shared_task

from routing import domains, health

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def check_gateway() -> str:
    """Beat, every minute: put back a gateway service that was removed by hand."""
    return health.check_gateway()


@shared_task(name="routing.tasks.apply_app_route", acks_late=True, ignore_result=True)
def apply_app_route(app_id: int) -> str:
    """Re-render the app's gateway file after a domain, certificate or option changed."""
    return domains.apply_app(app_id)


@shared_task(name="routing.tasks.verify_domain", acks_late=True, ignore_result=True)
def verify_domain(domain_id: int) -> str:
    return domains.verify_domain(domain_id)


@shared_task(name="routing.tasks.issue_certificate", acks_late=True, ignore_result=True)
def issue_certificate(domain_id: int) -> str:
    return domains.issue_certificate(domain_id)


@shared_task(name="routing.tasks.issue_portal_certificate", acks_late=True, ignore_result=True)
def issue_portal_certificate() -> str:
    return domains.issue_portal_certificate()


@shared_task(name="routing.tasks.maintain_domains", acks_late=True, ignore_result=True)
def maintain_domains() -> dict[str, int]:
    """Beat: renew certificates close to expiry (the portal's too), retry failed orders,
    re-check domains."""
    return domains.maintain()
