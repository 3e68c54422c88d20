"""Reads of an app's domains and gateway options (the app itself is scoped by apps.selectors)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from routing.models import AppGateway, BasicAuthUser, Certificate, Domain

if TYPE_CHECKING:
    from apps.models import App


def domains_of(app: App) -> QuerySet[Domain]:
    return Domain.objects.filter(app=app).select_related("certificate").order_by("hostname")


def get_domain(app: App, hostname: str) -> Domain:
    domain = domains_of(app).filter(hostname=hostname.lower().rstrip(".")).first()
    if domain is None:
        raise Http404
    return domain


def certificate_of(domain: Domain) -> Certificate | None:
    try:
        return domain.certificate
    except Certificate.DoesNotExist:
        return None


def options_of(app: App) -> AppGateway:
    """The app's gateway options, or the defaults when it has never changed them."""
    return AppGateway.objects.filter(app=app).first() or AppGateway(app=app)


def auth_users_of(app: App) -> QuerySet[BasicAuthUser]:
    return BasicAuthUser.objects.filter(app=app).order_by("username")


def get_auth_user(app: App, username: str) -> BasicAuthUser:
    user = auth_users_of(app).filter(username=username).first()
    if user is None:
        raise Http404
    return user


@dataclass(frozen=True)
class CertificateView:
    """A certificate's state as a person reads it."""

    state: str
    label: str
    source: str
    expires_in_days: int | None
    detail: str


def describe_certificate(domain: Domain, now: datetime.datetime | None = None) -> CertificateView:
    now = now or timezone.now()
    certificate = certificate_of(domain)
    if not domain.https:
        return CertificateView("off", "HTTP only", "", None, "")
    if certificate is None:
        if domain.hostname.startswith("*."):
            return CertificateView(
                "none", "No certificate", "", None, "Upload a wildcard certificate."
            )
        waiting = "after the domain's check passes" if not domain.verified else "soon"
        return CertificateView("pending", "Waiting", "acme", None, f"Requested {waiting}.")
    days = None
    if certificate.not_after is not None:
        days = (certificate.not_after - now).days
    if certificate.served and certificate.not_after is not None:
        label = f"Valid until {certificate.not_after:%Y-%m-%d}"
        if certificate.last_error:
            return CertificateView(
                "warning",
                label,
                certificate.source,
                days,
                f"Renewal failed: {certificate.last_error}",
            )
        return CertificateView("valid", label, certificate.source, days, "")
    if certificate.chain_pem:
        return CertificateView(
            "expired", "Expired", certificate.source, days, certificate.last_error
        )
    return CertificateView(
        certificate.state,
        certificate.get_state_display(),
        certificate.source,
        days,
        certificate.last_error,
    )
