"""Writes for custom domains, certificates, basic auth and snippets.

Each function validates with :mod:`routing.validation` (the same checks the
renderer makes), writes its rows and an audit event in one transaction, and
enqueues the gateway work after commit. Nothing here touches the gateway.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.routes import primary_host
from paas import audit, crypto
from paas.access import Principal
from routing import htpasswd, validation, verify
from routing.models import (
    AppGateway,
    BasicAuthUser,
    Certificate,
    CertificateSource,
    CertificateState,
    Domain,
)

if TYPE_CHECKING:
    from apps.models import App

MAX_DOMAINS_PER_APP = 50
MAX_AUTH_USERS = 50


def _later(task: Callable[[int], Any], object_id: int) -> None:
    transaction.on_commit(lambda: task(object_id))


def _apply_route_later(app: App) -> None:
    from routing.tasks import apply_app_route as apply_app_route_task

    _later(apply_app_route_task.delay, app.pk)


def _check_later(domain: Domain) -> None:
    from routing.tasks import verify_domain as verify_domain_task

    _later(verify_domain_task.delay, domain.pk)


def _issue_later(domain: Domain) -> None:
    from routing.tasks import issue_certificate as issue_certificate_task

    _later(issue_certificate_task.delay, domain.pk)


# --- domains ------------------------------------------------------------------------


def clean_hostname(hostname: str, *, trusted: bool) -> str:
    value = validation.normalize_hostname(hostname)
    problem = validation.domain_problem(
        value, root_domain=str(settings.BERTH_ROOT_DOMAIN), allow_wildcard=trusted
    )
    if problem:
        raise ValidationError({"hostname": problem})
    return value


def add_domain(
    *,
    app: App,
    principal: Principal | None,
    hostname: str,
    alias: bool = False,
    https: bool = True,
    force_https: bool = False,
) -> Domain:
    """Add a custom domain; it is routed once its check passes (or an operator skips it).

    The app's own name (``<app>.<root>``) may be added too, for a certificate of its
    own: it needs no check (the root domain's DNS points to the gateway) and never
    redirects.
    """
    own = validation.normalize_hostname(hostname) == primary_host(app)
    if own and alias:
        raise ValidationError({"alias": "The app's own name cannot redirect to another."})
    value = primary_host(app) if own else clean_hostname(hostname, trusted=bool(app.team.trusted))
    if value.startswith("*.") and https:
        # HTTP-01 cannot prove a wildcard; its certificate is uploaded.
        https = False
    if Domain.objects.filter(app=app).count() >= MAX_DOMAINS_PER_APP:
        raise ValidationError({"hostname": f"An app has at most {MAX_DOMAINS_PER_APP} domains."})
    if Domain.objects.filter(hostname=value).exists():
        raise ValidationError({"hostname": f"{value} is already used by an app on this Berth."})
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                app=app,
                hostname=value,
                alias=alias,
                https=https,
                force_https=force_https,
                verified=own,
                verified_at=timezone.now() if own else None,
                verify_token=verify.new_token(),
            )
            audit.record(
                principal,
                "domain.add",
                team=app.team,
                target=value,
                target_type="domain",
                data={"app": app.name, "alias": alias, "https": https, "force_https": force_https},
            )
            if not own:
                _check_later(domain)
            elif https:
                _issue_later(domain)
    except IntegrityError:
        raise ValidationError(
            {"hostname": f"{value} is already used by an app on this Berth."}
        ) from None
    return domain


def update_domain(
    *,
    domain: Domain,
    principal: Principal | None,
    alias: bool | None = None,
    https: bool | None = None,
    force_https: bool | None = None,
) -> Domain:
    changes = {
        key: value
        for key, value in {"alias": alias, "https": https, "force_https": force_https}.items()
        if value is not None and getattr(domain, key) != value
    }
    if changes.get("https") and domain.hostname.startswith("*."):
        raise ValidationError(
            {"https": "A wildcard domain gets HTTPS from an uploaded certificate only."}
        )
    if changes.get("alias") and domain.hostname == primary_host(domain.app):
        raise ValidationError({"alias": "The app's own name cannot redirect to another."})
    if not changes:
        return domain
    with transaction.atomic():
        for key, value in changes.items():
            setattr(domain, key, value)
        domain.save(update_fields=list(changes))
        audit.record(
            principal,
            "domain.update",
            team=domain.app.team,
            target=domain.hostname,
            target_type="domain",
            data={"app": domain.app.name, **changes},
        )
        _apply_route_later(domain.app)
        if changes.get("https") and domain.verified and not _has_upload(domain):
            _issue_later(domain)
    return domain


def remove_domain(*, domain: Domain, principal: Principal | None) -> None:
    app = domain.app
    token = domain.verify_token
    with transaction.atomic():
        audit.record(
            principal,
            "domain.remove",
            team=app.team,
            target=domain.hostname,
            target_type="domain",
            data={"app": app.name},
        )
        domain.delete()
        _apply_route_later(app)
        transaction.on_commit(lambda: verify.withdraw(token))


def request_check(*, domain: Domain, principal: Principal | None) -> None:
    """Check again whether the domain reaches the gateway (after a DNS change)."""
    with transaction.atomic():
        audit.record(
            principal,
            "domain.check",
            team=domain.app.team,
            target=domain.hostname,
            target_type="domain",
            data={"app": domain.app.name},
        )
        _check_later(domain)


def skip_verification(*, domain: Domain, principal: Principal) -> Domain:
    """An operator vouches for the domain: it is routed without the check."""
    if not principal.is_operator:
        raise PermissionDenied("Only an operator can skip a domain's check.")
    with transaction.atomic():
        domain.verified = True
        domain.verified_at = timezone.now()
        domain.verification_skipped_by = principal.label[:150]
        domain.last_check_error = ""
        domain.save(
            update_fields=["verified", "verified_at", "verification_skipped_by", "last_check_error"]
        )
        audit.record(
            principal,
            "domain.skip_check",
            team=domain.app.team,
            target=domain.hostname,
            target_type="domain",
            data={"app": domain.app.name},
        )
        _apply_route_later(domain.app)
        if domain.https and not _has_upload(domain):
            _issue_later(domain)
    return domain


def record_check(domain_id: int, problem: str | None) -> Domain | None:
    """Store a check's outcome (the task calls this); a first success routes the domain."""
    with transaction.atomic():
        domain = (
            Domain.objects.select_for_update().select_related("app__team").filter(pk=domain_id)
        ).first()
        if domain is None:
            return None
        domain.last_check_at = timezone.now()
        domain.last_check_error = problem or ""
        fields = ["last_check_at", "last_check_error"]
        newly = problem is None and not domain.verified
        if newly:
            domain.verified = True
            domain.verified_at = domain.last_check_at
            fields += ["verified", "verified_at"]
        domain.save(update_fields=fields)
        if newly:
            audit.record(
                None,
                "domain.verified",
                team=domain.app.team,
                target=domain.hostname,
                target_type="domain",
                data={"app": domain.app.name},
            )
            _apply_route_later(domain.app)
            if domain.https and not _has_upload(domain):
                _issue_later(domain)
    return domain


# --- certificates -------------------------------------------------------------------


def _has_upload(domain: Domain) -> bool:
    return Certificate.objects.filter(domain=domain, source=CertificateSource.UPLOAD).exists()


def _store(certificate: Certificate, chain_pem: str, key_pem: str) -> None:
    # X.509 parsing (cryptography.x509, ~30 modules) loads when a certificate is stored
    # or uploaded, not in every web and worker process at start.
    from routing import certificates

    info = certificates.describe(chain_pem)
    certificate.chain_pem = chain_pem
    certificate.key_ciphertext = crypto.encrypt(key_pem)
    certificate.names = list(info.names)
    certificate.issuer = info.issuer
    certificate.serial = info.serial
    certificate.fingerprint = info.fingerprint
    certificate.not_before = info.not_before
    certificate.not_after = info.not_after
    certificate.issued_at = timezone.now()
    certificate.state = CertificateState.VALID
    certificate.last_error = ""
    certificate.updated_at = timezone.now()


def upload_certificate(
    *, domain: Domain, principal: Principal | None, chain_pem: str, key_pem: str
) -> Certificate:
    """Serve ``domain`` with an uploaded pair (checked first); ACME stops for it."""
    from routing import certificates  # as in _store

    try:
        checked = certificates.check_pair(chain_pem, key_pem, domain.hostname)
    except certificates.CertificateProblem as exc:
        raise ValidationError({exc.field: str(exc)}) from None
    with transaction.atomic():
        certificate, _ = Certificate.objects.select_for_update().get_or_create(
            domain=domain, defaults={"source": CertificateSource.UPLOAD}
        )
        certificate.source = CertificateSource.UPLOAD
        _store(certificate, checked.chain_pem, checked.key_pem)
        certificate.save()
        audit.record(
            principal,
            "certificate.upload",
            team=domain.app.team,
            target=domain.hostname,
            target_type="certificate",
            # The fingerprint identifies the certificate; the key never leaves the row.
            data={"app": domain.app.name, "fingerprint": checked.info.fingerprint},
        )
        if not domain.https:
            domain.https = True
            domain.save(update_fields=["https"])
        _apply_route_later(domain.app)
    return certificate


def remove_certificate(*, domain: Domain, principal: Principal | None) -> None:
    """Stop serving the domain's certificate; with HTTPS on, ACME issues a new one."""
    with transaction.atomic():
        deleted, _ = Certificate.objects.filter(domain=domain).delete()
        if not deleted:
            return
        audit.record(
            principal,
            "certificate.remove",
            team=domain.app.team,
            target=domain.hostname,
            target_type="certificate",
            data={"app": domain.app.name},
        )
        _apply_route_later(domain.app)
        if domain.https and domain.verified and not domain.hostname.startswith("*."):
            _issue_later(domain)


def start_issuing(domain_id: int) -> Domain | None:
    """Claim the domain's ACME order (the task calls this); None when there is nothing to do."""
    with transaction.atomic():
        domain = (
            Domain.objects.select_for_update().select_related("app__team").filter(pk=domain_id)
        ).first()
        if domain is None or not domain.verified or not domain.https:
            return None
        certificate, _ = Certificate.objects.get_or_create(
            domain=domain, defaults={"source": CertificateSource.ACME}
        )
        if certificate.source != CertificateSource.ACME:
            return None
        stale = timezone.now() - datetime.timedelta(minutes=10)
        if (
            certificate.state == CertificateState.ISSUING
            and certificate.last_attempt_at is not None
            and certificate.last_attempt_at > stale
        ):
            return None
        certificate.state = CertificateState.ISSUING
        certificate.last_attempt_at = timezone.now()
        certificate.save(update_fields=["state", "last_attempt_at"])
    return domain


def record_issued(domain: Domain, chain_pem: str, key_pem: str) -> Certificate:
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(domain=domain)
        renewed = bool(certificate.chain_pem)
        _store(certificate, chain_pem, key_pem)
        certificate.save()
        audit.record(
            None,
            "certificate.renewed" if renewed else "certificate.issued",
            team=domain.app.team,
            target=domain.hostname,
            target_type="certificate",
            data={"app": domain.app.name, "not_after": str(certificate.not_after)},
        )
        _apply_route_later(domain.app)
    return certificate


def record_failure(domain: Domain, error: str) -> None:
    Certificate.objects.filter(domain=domain).update(
        state=CertificateState.FAILED, last_error=error[:4000], updated_at=timezone.now()
    )


# --- basic auth, websockets, snippets -----------------------------------------------


def _options(app: App) -> AppGateway:
    options, _ = AppGateway.objects.select_for_update().get_or_create(app=app)
    return options


def add_auth_user(
    *, app: App, principal: Principal | None, username: str, password: str
) -> BasicAuthUser:
    """Ask for this user and password before the app (replaces the user's password)."""
    errors = {}
    problem = validation.username_problem(username)
    if problem:
        errors["username"] = problem
    problem = validation.password_problem(password)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    existing = BasicAuthUser.objects.filter(app=app, username=username).first()
    if existing is None and BasicAuthUser.objects.filter(app=app).count() >= MAX_AUTH_USERS:
        raise ValidationError({"username": f"An app has at most {MAX_AUTH_USERS} users."})
    with transaction.atomic():
        user, created = BasicAuthUser.objects.update_or_create(
            app=app, username=username, defaults={"password_hash": htpasswd.hash_password(password)}
        )
        audit.record(
            principal,
            "basic_auth.add" if created else "basic_auth.password",
            team=app.team,
            target=username,
            target_type="basic_auth_user",
            data={"app": app.name},
        )
        _apply_route_later(app)
    return user


def remove_auth_user(*, user: BasicAuthUser, principal: Principal | None) -> None:
    app = user.app
    with transaction.atomic():
        audit.record(
            principal,
            "basic_auth.remove",
            team=app.team,
            target=user.username,
            target_type="basic_auth_user",
            data={"app": app.name},
        )
        user.delete()
        _apply_route_later(app)


def set_gateway_options(
    *,
    app: App,
    principal: Principal | None,
    websocket: bool | None = None,
    snippet: str | None = None,
) -> AppGateway:
    """Websockets on or off, and the app's location snippet (checked, then nginx -t)."""
    if snippet is not None:
        snippet = snippet.replace("\r\n", "\n").strip()
        problem = validation.snippet_problem(snippet, trusted=bool(app.team.trusted))
        if problem:
            raise ValidationError({"snippet": problem})
    with transaction.atomic():
        options = _options(app)
        changes: dict[str, Any] = {}
        if websocket is not None and websocket != options.websocket:
            changes["websocket"] = websocket
        if snippet is not None and snippet != options.snippet:
            changes["snippet"] = snippet
        if not changes:
            return options
        for key, value in changes.items():
            setattr(options, key, value)
        options.updated_at = timezone.now()
        options.save(update_fields=[*changes, "updated_at"])
        data: dict[str, Any] = {"app": app.name}
        if "websocket" in changes:
            data["websocket"] = changes["websocket"]
        if "snippet" in changes:
            data["snippet_lines"] = len(snippet.splitlines()) if snippet else 0
        audit.record(
            principal,
            "gateway_options.update",
            team=app.team,
            target=app.name,
            target_type="app",
            data=data,
        )
        _apply_route_later(app)
    return options
