"""The app's Domains and Access pages in the portal (under /t/<slug>/apps/<name>/).

Every view fetches the app through ``apps.views.common.team_app`` (404 for
another team's app, 403 below the level) and writes through routing.services.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from apps.models import App
from apps.views.common import render_app, team_app
from paas.access import Level
from paas.portal import TeamRequest, apply_errors, posted, team_view
from routing import selectors, services
from routing.forms import (
    AuthUserForm,
    CertificateForm,
    DomainForm,
    DomainOptionsForm,
    GatewayOptionsForm,
)
from routing.models import Domain
from routing.verify import PATH


def _domains_page(request: TeamRequest, name: str) -> HttpResponse:
    return redirect("app-domains", slug=request.team.slug, name=name)


def _domain(request: TeamRequest, name: str, hostname: str, level: Level) -> Domain:
    return selectors.get_domain(team_app(request, name, level), hostname)


@team_view(read=Level.READ, write=Level.DEPLOY)
def domain_list(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    form = DomainForm(posted(request), initial={"https": True})
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            try:
                domain = services.add_domain(
                    app=app, principal=request.principal, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, f"Added {domain.hostname}. It is routed once its check passes."
                )
                return _domains_page(request, app.name)
    rows = [
        {"domain": d, "https": selectors.describe_certificate(d)} for d in selectors.domains_of(app)
    ]
    context = {
        "form": form,
        "rows": rows,
        "verify_path": PATH,
        "is_operator": request.principal.is_operator,
    }
    status = 400 if form.errors else 200
    return render_app(request, app, "routing/domains.html", context, tab="domains", status=status)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def domain_options(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.DEPLOY)
    form = DomainOptionsForm(request.POST)
    if form.is_valid():
        try:
            services.update_domain(domain=domain, principal=request.principal, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Saved {domain.hostname}.")
    return _domains_page(request, name)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def domain_remove(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.DEPLOY)
    services.remove_domain(domain=domain, principal=request.principal)
    messages.success(request, f"Removed {domain.hostname}.")
    return _domains_page(request, name)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def domain_check(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.DEPLOY)
    services.request_check(domain=domain, principal=request.principal)
    messages.success(request, f"Checking {domain.hostname} again; this page shows the result.")
    return _domains_page(request, name)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def domain_skip_check(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.DEPLOY)
    services.skip_verification(domain=domain, principal=request.principal)
    messages.success(request, f"{domain.hostname} is routed without its check.")
    return _domains_page(request, name)


@team_view(read=Level.READ, write=Level.DEPLOY)
def domain_certificate(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.READ)
    form = CertificateForm(posted(request), request.FILES or None)
    if request.method == "POST":
        domain = _domain(request, name, hostname, Level.DEPLOY)
        if form.is_valid():
            try:
                services.upload_certificate(
                    domain=domain,
                    principal=request.principal,
                    chain_pem=form.cleaned_data["certificate"],
                    key_pem=form.cleaned_data["key"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, f"{domain.hostname} is served with the uploaded certificate."
                )
                return _domains_page(request, name)
    app = domain.app
    context = {
        "domain": domain,
        "certificate": selectors.certificate_of(domain),
        "https": selectors.describe_certificate(domain),
        "form": form,
        "renew_days": settings.BERTH_CERT_RENEW_DAYS,
    }
    status = 400 if form.errors else 200
    return render_app(
        request, app, "routing/certificate.html", context, tab="domains", status=status
    )


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def certificate_remove(request: TeamRequest, name: str, hostname: str) -> HttpResponse:
    domain = _domain(request, name, hostname, Level.DEPLOY)
    services.remove_certificate(domain=domain, principal=request.principal)
    messages.success(request, f"Removed the certificate of {domain.hostname}.")
    return _domains_page(request, name)


@team_view(read=Level.READ, write=Level.DEPLOY)
def access(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    options = selectors.options_of(app)
    form = GatewayOptionsForm(
        posted(request), initial={"websocket": options.websocket, "snippet": options.snippet}
    )
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            try:
                services.set_gateway_options(
                    app=app, principal=request.principal, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, "Saved. The gateway checks and applies it in a moment.")
                return redirect("app-access", slug=request.team.slug, name=app.name)
    return _access_page(request, app, form, AuthUserForm())


def _access_page(
    request: TeamRequest, app: App, form: GatewayOptionsForm, user_form: AuthUserForm
) -> HttpResponse:
    context = {
        "form": form,
        "user_form": user_form,
        "users": selectors.auth_users_of(app),
        "trusted": app.team.trusted,
    }
    status = 400 if form.errors or user_form.errors else 200
    return render_app(request, app, "routing/access.html", context, tab="access", status=status)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def auth_user_add(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    user_form = AuthUserForm(request.POST)
    if user_form.is_valid():
        try:
            user = services.add_auth_user(
                app=app, principal=request.principal, **user_form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(user_form, exc)
        else:
            messages.success(request, f"{user.username} can now sign in to {app.name}.")
            return redirect("app-access", slug=request.team.slug, name=app.name)
    options = selectors.options_of(app)
    form = GatewayOptionsForm(initial={"websocket": options.websocket, "snippet": options.snippet})
    return _access_page(request, app, form, user_form)


@team_view(read=Level.DEPLOY, write=Level.DEPLOY, methods=("POST",))
def auth_user_remove(request: TeamRequest, name: str, username: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    user = selectors.get_auth_user(app, username)
    services.remove_auth_user(user=user, principal=request.principal)
    messages.success(request, f"Removed {user.username}.")
    return redirect("app-access", slug=request.team.slug, name=app.name)
