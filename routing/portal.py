"""HTTPS for the portal's own hostname (``BERTH_PORTAL_HTTPS``).

When Berth runs behind its gateway (``BERTH_PORTAL_UPSTREAM``), the portal lives at
``<BERTH_PORTAL_SUBDOMAIN>.<BERTH_ROOT_DOMAIN>``. With HTTPS on, the beat orders a
certificate for that name from the ACME directory (the gateway answers the
challenge on port 80 of every name, so the order works before HTTPS does), renews it
like a domain's, and the gateway serves the portal on 443 with port 80 redirecting
there. The row keeps the name its certificate is for: a new subdomain or root domain
makes a new order, and until it is issued the portal is served over plain HTTP.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paas import audit, crypto, naming
from routing.models import PortalCertificate
from routing.routes import TlsPair

log = logging.getLogger(__name__)

# An order in progress is not started again for this long (an order takes < 2 min).
CLAIM = datetime.timedelta(minutes=10)
# A failed order is tried again after this long (Let's Encrypt allows 5 failed
# validations of a name an hour).
RETRY_FAILED = datetime.timedelta(hours=1)


def hostname() -> str | None:
    """The portal's hostname when the gateway routes it, else None."""
    if not settings.BERTH_PORTAL_UPSTREAM or not settings.BERTH_PORTAL_SUBDOMAIN:
        return None
    return f"{settings.BERTH_PORTAL_SUBDOMAIN}.{settings.BERTH_ROOT_DOMAIN}"


def _wanted() -> str | None:
    # Beside an external proxy the portal is the proxy's to serve (and its TLS too).
    if not settings.BERTH_PORTAL_HTTPS or settings.BERTH_GATEWAY == "external":
        return None
    return hostname()


def _row() -> PortalCertificate | None:
    return PortalCertificate.objects.filter(namespace=naming.namespace()).first()


def served_pair(now: datetime.datetime | None = None) -> TlsPair | None:
    """The pair the gateway serves the portal with: HTTPS on, issued for today's name, unexpired."""
    name = _wanted()
    row = _row() if name else None
    if row is None or row.hostname != name or not (row.chain_pem and row.key_ciphertext):
        return None
    if row.not_after is not None and row.not_after <= (now or timezone.now()):
        return None
    try:
        key_pem = crypto.decrypt(row.key_ciphertext)
    except crypto.SecretUnreadable as exc:
        # Another secrets key (a restore without it): served plain until the next order.
        log.warning("portal certificate of %s: %s", name, exc)
        return None
    return TlsPair(chain_pem=row.chain_pem, key_pem=key_pem)


@dataclass(frozen=True)
class Status:
    """What the operators' gateway page says about the portal's address."""

    hostname: str | None
    https: bool
    # "off" (plain HTTP), "valid", "ordering", "failed", "waiting" (no order yet).
    state: str
    detail: str = ""


def status(now: datetime.datetime | None = None) -> Status:
    name = hostname()
    if name is None or not settings.BERTH_PORTAL_HTTPS:
        return Status(hostname=name, https=False, state="off")
    now = now or timezone.now()
    row = _row()
    if row is None:
        return Status(name, True, "waiting", "the beat orders it within 10 minutes")
    if row.hostname == name and row.chain_pem and row.not_after and row.not_after > now:
        detail = f"until {row.not_after:%Y-%m-%d} ({row.issuer})"
        if row.last_error:
            detail += f"; the last renewal failed: {row.last_error}"
        return Status(name, True, "valid", detail)
    if row.last_error:
        return Status(name, True, "failed", f"{row.last_error} (ordered again hourly)")
    if not _due(row, name, now):
        return Status(name, True, "ordering")
    return Status(name, True, "waiting", "the beat orders it within 10 minutes")


def _due(row: PortalCertificate | None, name: str, now: datetime.datetime) -> bool:
    if row is None:
        return True
    renew_before = now + datetime.timedelta(days=settings.BERTH_CERT_RENEW_DAYS)
    current = row.hostname == name and bool(row.chain_pem)
    if current and row.not_after is not None and row.not_after > renew_before:
        return False
    if row.last_attempt_at is None:
        return True
    if row.last_error:
        return row.last_attempt_at <= now - RETRY_FAILED
    ordering = row.issued_at is None or row.issued_at < row.last_attempt_at
    return not ordering or row.last_attempt_at <= now - CLAIM


def due(now: datetime.datetime | None = None) -> bool:
    """Whether the beat should order a certificate for the portal now."""
    name = _wanted()
    return name is not None and _due(_row(), name, now or timezone.now())


def start(now: datetime.datetime | None = None) -> str | None:
    """Claim the portal's order (the task calls this): the name to order, or None."""
    name = _wanted()
    if name is None:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        row, _ = PortalCertificate.objects.select_for_update().get_or_create(
            namespace=naming.namespace(), defaults={"hostname": name}
        )
        if not _due(row, name, now):
            return None
        row.last_attempt_at = now
        row.last_error = ""
        row.save(update_fields=["last_attempt_at", "last_error"])
    return name


def record_issued(name: str, chain_pem: str, key_pem: str) -> PortalCertificate:
    from routing import certificates  # X.509 parsing, when it is needed (routing.services._store)

    info = certificates.describe(chain_pem)
    with transaction.atomic():
        row = PortalCertificate.objects.select_for_update().get(namespace=naming.namespace())
        renewed = bool(row.chain_pem) and row.hostname == name
        row.hostname = name
        row.chain_pem = chain_pem
        row.key_ciphertext = crypto.encrypt(key_pem)
        row.issuer = info.issuer
        row.fingerprint = info.fingerprint
        row.not_after = info.not_after
        row.issued_at = row.updated_at = timezone.now()
        row.last_error = ""
        row.save()
        audit.record(
            None,
            "portal.certificate_renewed" if renewed else "portal.certificate_issued",
            target=name,
            target_type="certificate",
            data={"fingerprint": info.fingerprint, "not_after": str(info.not_after)},
        )
    return row


def record_failure(error: str) -> None:
    PortalCertificate.objects.filter(namespace=naming.namespace()).update(
        last_error=error[:4000], updated_at=timezone.now()
    )
