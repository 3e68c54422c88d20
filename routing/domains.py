"""The work behind the domain tasks: checks, ACME orders, renewals, re-rendering.

Tasks receive ids, re-read the rows and are safe to run twice: a claimed
order is not started again, a verified domain stays verified.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apps import routes as app_routes
from apps.models import App
from routing import portal, services, verify
from routing.models import Certificate, CertificateSource, CertificateState, Domain

log = logging.getLogger(__name__)

# A failed order is tried again after this long (ACME servers limit failures).
RETRY_FAILED = datetime.timedelta(hours=6)
# Unverified domains are checked again this often for a week after they were added.
RECHECK = datetime.timedelta(minutes=10)
RECHECK_FOR = datetime.timedelta(days=7)


def apply_app(app_id: int) -> str:
    app = App.objects.select_related("team", "current_deployment").filter(pk=app_id).first()
    if app is None:
        return "gone"
    error = app_routes.apply(app)
    return error or "ok"


def verify_domain(domain_id: int) -> str:
    domain = Domain.objects.filter(pk=domain_id).first()
    if domain is None:
        return "gone"
    verify.publish(domain.verify_token)
    problem = verify.check(domain.hostname, domain.verify_token)
    services.record_check(domain.pk, problem)
    return problem or "verified"


def issue_certificate(domain_id: int) -> str:
    # The ACME client (acme, josepy, pyOpenSSL: ~1.5 MB) loads in the worker only when
    # a certificate is due.
    from routing import acme

    domain = services.start_issuing(domain_id)
    if domain is None:
        return "nothing to do"
    try:
        issued = acme.issue(domain.hostname)
    except acme.AcmeFailed as exc:
        services.record_failure(domain, str(exc))
        return f"failed: {exc}"
    services.record_issued(domain, issued.chain_pem, issued.key_pem)
    return "issued"


def issue_portal_certificate() -> str:
    """Order the portal's certificate (when due) and serve the portal with it."""
    from routing import acme, gateway

    name = portal.start()
    if name is None:
        return "nothing to do"
    try:
        issued = acme.issue(name)
    except acme.AcmeFailed as exc:
        portal.record_failure(str(exc))
        return f"failed: {exc}"
    portal.record_issued(name, issued.chain_pem, issued.key_pem)
    result = gateway.apply_portal()
    if result is not None and not result.ok:
        return f"issued, but the gateway refused the portal's file: {result.error}"
    return "issued"


def due_for_acme(now: datetime.datetime | None = None) -> list[int]:
    """Domains whose ACME certificate is missing, close to expiry, or failed long enough ago."""
    now = now or timezone.now()
    renew_before = now + datetime.timedelta(days=settings.BERTH_CERT_RENEW_DAYS)
    wanted = Domain.objects.filter(verified=True, https=True).exclude(hostname__startswith="*.")
    missing = wanted.filter(certificate__isnull=True)
    acme_certs = Certificate.objects.filter(domain__in=wanted, source=CertificateSource.ACME)
    due = acme_certs.filter(
        Q(state=CertificateState.PENDING)
        | Q(state=CertificateState.VALID, not_after__lt=renew_before)
        | Q(state=CertificateState.FAILED, last_attempt_at__lt=now - RETRY_FAILED)
        | Q(state=CertificateState.FAILED, last_attempt_at__isnull=True)
        # An order whose worker died is taken up again.
        | Q(state=CertificateState.ISSUING, last_attempt_at__lt=now - datetime.timedelta(hours=1))
    )
    ids = set(missing.values_list("pk", flat=True)) | set(due.values_list("domain_id", flat=True))
    return sorted(ids)


def maintain() -> dict[str, int]:
    from routing.tasks import issue_certificate as issue_certificate_task
    from routing.tasks import issue_portal_certificate as issue_portal_certificate_task
    from routing.tasks import verify_domain as verify_domain_task

    now = timezone.now()
    orders = due_for_acme(now)
    for domain_id in orders:
        issue_certificate_task.delay(domain_id)
    portal_order = portal.due(now)
    if portal_order:
        issue_portal_certificate_task.delay()
    recheck = Domain.objects.filter(
        Q(last_check_at__lt=now - RECHECK) | Q(last_check_at__isnull=True),
        verified=False,
        created_at__gt=now - RECHECK_FOR,
    ).values_list("pk", flat=True)
    checks = list(recheck)
    for domain_id in checks:
        verify_domain_task.delay(domain_id)
    return {"orders": len(orders), "portal": int(portal_order), "checks": len(checks)}
