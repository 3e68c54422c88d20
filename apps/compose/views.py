"""Portal pages of stacks: list and create, a stack's services and states, redeploy, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect

from apps import routes
from apps.compose import selectors, services
from apps.compose.forms import StackCreateForm, StackUpdateForm, compose_errors
from apps.compose.models import Stack, StackStatus
from paas.access import Level
from paas.portal import TeamRequest, posted, render_team, team_view


def team_stack(request: TeamRequest, name: str, level: Level = Level.READ) -> Stack:
    stack = selectors.get_stack(request.principal, name, level)
    if stack.team_id != request.team.pk:
        raise Http404
    return stack


@team_view(read=Level.READ, write=Level.DEPLOY)
def stack_list(request: TeamRequest) -> HttpResponse:
    form = StackCreateForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stack = services.apply_stack(
                team=request.team,
                principal=request.principal,
                name=data["name"],
                compose=data["compose"] or None,
                variables=data["variables"],
                ignore_unsupported=data["ignore_unsupported"],
                upload=data["source"],
            )
        except ValidationError as exc:
            compose_errors(form, exc)
        else:
            messages.success(request, f"Deploying stack {stack.name}.")
            return redirect("stack-detail", slug=request.team.slug, name=stack.name)
    stacks = [
        (stack, selectors.services_of(stack))
        for stack in selectors.stacks_for(request.principal).filter(team=request.team)
    ]
    context = {"form": form, "stacks": stacks, "extra_css": True}
    return render_team(request, "compose/list.html", context, status=400 if form.errors else 200)


@team_view(read=Level.READ, write=Level.DEPLOY)
def stack_detail(request: TeamRequest, name: str) -> HttpResponse:
    stack = team_stack(request, name)
    form = StackUpdateForm(
        posted(request), request.FILES or None, initial={"compose": stack.compose}
    )
    if request.method == "POST":
        stack = team_stack(request, name, Level.DEPLOY)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stack = services.apply_stack(
                    team=request.team,
                    principal=request.principal,
                    name=stack.name,
                    compose=data["compose"] or None,
                    variables=data["variables"] or services.variables_of(stack),
                    ignore_unsupported=data["ignore_unsupported"],
                    upload=data["source"],
                    prune=data["prune"],
                    existing=stack,
                )
            except ValidationError as exc:
                compose_errors(form, exc)
            else:
                messages.success(request, f"Redeploying {stack.name} (revision {stack.revision}).")
                return redirect("stack-detail", slug=request.team.slug, name=stack.name)
    rows = selectors.services_of(stack)
    for row in rows:
        row.url = routes.url(row.app)  # type: ignore[attr-defined]
    context = {
        "stack": stack,
        "services": rows,
        "form": form,
        "can_deploy": request.level >= Level.DEPLOY,
        "live": stack.status == StackStatus.DEPLOYING,
        "variables": sorted(services.variables_of(stack)),
        "extra_css": True,
    }
    if request.htmx and request.method == "GET":
        return render_team(request, "compose/_services.html", context)
    return render_team(request, "compose/detail.html", context, status=400 if form.errors else 200)


@team_view(read=Level.READ, write=Level.ADMIN, methods=("POST",))
def stack_delete(request: TeamRequest, name: str) -> HttpResponse:
    stack = team_stack(request, name, Level.ADMIN)
    if request.POST.get("confirm") != stack.name:
        messages.error(request, f"Type the stack's name ({stack.name}) to delete it.")
        return redirect("stack-detail", slug=request.team.slug, name=stack.name)
    volumes = request.POST.get("volumes") == "on"
    services.delete_stack(stack=stack, principal=request.principal, volumes=volumes)
    messages.success(
        request,
        f"Deleting stack {stack.name} and its apps"
        + (" and volumes." if volumes else "; its volumes are kept."),
    )
    return redirect("stack-list", slug=request.team.slug)
