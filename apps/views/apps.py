"""The apps list, an app's overview, settings, secrets, scale and delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect

from apps import selectors, services
from apps.forms import AppCreateForm, DeployForm, ScaleForm, SecretForm, SettingsForm
from apps.models import AppSecret
from apps.views.common import render_app, team_app
from paas.access import Level
from paas.portal import TeamRequest, apply_errors, posted, render_team, team_view

PAGE_SIZE = 50


@team_view(read=Level.READ, write=Level.DEPLOY)
def app_list(request: TeamRequest) -> HttpResponse:
    form = AppCreateForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            app = services.create_app(
                team=request.team, principal=request.principal, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Created {app.name}. Deploy a first version to run it.")
            return redirect("app-detail", slug=request.team.slug, name=app.name)
    queryset = selectors.apps_for(request.principal, team_id=request.team.pk)
    query = request.GET.get("q", "").strip()
    if query:
        queryset = queryset.filter(name__icontains=query)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query, "extra_css": True}
    return render_team(request, "apps/list.html", context, status=400 if form.errors else 200)


@team_view(read=Level.READ, methods=("GET",))
def app_detail(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    deployments = list(selectors.deployments_of(app)[:5])
    context = {
        "deployments": deployments,
        "active": next((d for d in deployments if d.is_active), None),
        "deploy_form": DeployForm(),
        "scale_form": ScaleForm(initial={"instances": app.instances}),
    }
    return render_app(request, app, "apps/detail.html", context)


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def app_scale(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    form = ScaleForm(request.POST)
    if form.is_valid():
        try:
            services.update_app(app=app, principal=request.principal, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Scaling {app.name} to {form.cleaned_data['instances']}.")
    else:
        messages.error(request, "Give a number of instances, 0 or more.")
    return redirect("app-detail", slug=request.team.slug, name=app.name)


@team_view(read=Level.READ, write=Level.DEPLOY)
def app_settings(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    form = SettingsForm.for_app(app, posted(request))
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            try:
                services.update_app(app=app, principal=request.principal, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request, "Settings saved. A running app gets them by a new deployment."
                )
                return redirect("app-settings", slug=request.team.slug, name=app.name)
    status = 400 if form.errors else 200
    return render_app(
        request, app, "apps/settings.html", {"form": form}, tab="settings", status=status
    )


@team_view(read=Level.READ, write=Level.DEPLOY)
def app_secrets(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name)
    form = SecretForm(posted(request))
    if request.method == "POST":
        app = team_app(request, name, Level.DEPLOY)
        if form.is_valid():
            try:
                secret = services.set_secret(
                    app=app, principal=request.principal, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"Secret {secret.name} saved.")
                return redirect("app-secrets", slug=request.team.slug, name=app.name)
    context = {"form": form, "secrets": selectors.secrets_of(app)}
    return render_app(
        request,
        app,
        "apps/secrets.html",
        context,
        tab="secrets",
        status=400 if form.errors else 200,
    )


@team_view(read=Level.READ, write=Level.DEPLOY, methods=("POST",))
def secret_delete(request: TeamRequest, name: str, secret: str) -> HttpResponse:
    app = team_app(request, name, Level.DEPLOY)
    row = AppSecret.objects.filter(app=app, name=secret).first()
    if row is not None:
        services.delete_secret(secret=row, principal=request.principal)
        messages.success(request, f"Secret {secret} removed.")
    return redirect("app-secrets", slug=request.team.slug, name=app.name)


@team_view(read=Level.READ, write=Level.ADMIN, methods=("POST",))
def app_delete(request: TeamRequest, name: str) -> HttpResponse:
    app = team_app(request, name, Level.ADMIN)
    if request.POST.get("confirm") != app.name:
        messages.error(request, f"Type the app's name ({app.name}) to delete it.")
        return redirect("app-settings", slug=request.team.slug, name=app.name)
    deleted, kept = services.delete_app(
        app=app,
        principal=request.principal,
        delete_volumes=bool(request.POST.get("delete_volumes")),
    )
    messages.success(request, f"Deleting {app.name}: its service, route, secrets and images go.")
    if deleted or kept:
        volumes = f"Deleting the volumes {', '.join(deleted)}." if deleted else ""
        used = f" Kept {', '.join(kept)}: another app uses them." if kept else ""
        messages.info(request, (volumes + used).strip())
    return redirect("app-list", slug=request.team.slug)
