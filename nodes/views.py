"""The operators' nodes pages: the cluster, one node, and an operation's live log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from nodes import cluster, registry, services
from nodes.forms import EngineAccessForm, EngineJoinForm, LabelsForm, RegistryForm, SshJoinForm
from nodes.labels import labels_text, parse_labels_text
from nodes.models import ImageRegistry, Node, NodeOperation, SshHostKey
from paas.access import principal_for
from paas.portal import apply_errors
from paas.transport import EngineError

View = Callable[..., HttpResponse]


def operator_view(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "is_staff", False):
            raise PermissionDenied("The nodes pages are for operators.")
        return view(request, *args, **kwargs)

    return wrapped


def _join_commands() -> tuple[dict[str, str], str]:
    try:
        facts = cluster.swarm_facts()
    except EngineError as exc:
        return {}, str(exc)
    return {role: cluster.join_command(role, facts) for role in ("worker", "manager")}, ""


def _cluster_page(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    commands, engine_error = _join_commands()
    row = ImageRegistry.objects.filter(pk=1).first() or ImageRegistry()
    context = {
        "nodes": Node.objects.all(),
        "commands": commands,
        "engine_error": engine_error,
        "registry": row,
        "ssh_form": forms.get("ssh_form") or SshJoinForm(),
        "engine_form": forms.get("engine_form") or EngineJoinForm(),
        "registry_form": forms.get("registry_form")
        or RegistryForm(initial={"mode": row.mode, "server": row.server, "username": row.username}),
        "operations": NodeOperation.objects.select_related("node")[:10],
        "host_keys": SshHostKey.objects.all(),
        "add": forms.get("add", ""),
    }
    return render(request, "nodes/list.html", context, status=status)


@operator_view
@require_GET
def node_list(request: HttpRequest) -> HttpResponse:
    if request.GET.get("refresh"):
        try:
            result = services.sync_nodes()
            messages.success(request, f"Synced {result.total} node(s) from the swarm.")
        except EngineError as exc:
            messages.error(request, f"The swarm cannot be read: {exc}")
        return redirect("nodes")
    return _cluster_page(request)


@operator_view
@require_POST
def node_add(request: HttpRequest, method: str) -> HttpResponse:
    if method not in ("ssh", "engine"):
        raise Http404
    principal = principal_for(request)
    if method == "ssh":
        form: SshJoinForm | EngineJoinForm = SshJoinForm(request.POST)
    else:
        form = EngineJoinForm(request.POST)
    if form.is_valid():
        try:
            if isinstance(form, SshJoinForm):
                operation = services.start_join_ssh(principal=principal, **form.cleaned_data)
            else:
                operation = services.start_join_engine(principal=principal, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("node-operation", pk=operation.pk)
    key = "ssh_form" if method == "ssh" else "engine_form"
    return _cluster_page(request, status=400, add=method, **{key: form})


@operator_view
@require_POST
def rotate_token(request: HttpRequest) -> HttpResponse:
    role = request.POST.get("role", "")
    try:
        services.rotate_join_token(principal=principal_for(request), role=role)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"New {role} join token: the old one no longer works.")
    return redirect("nodes")


@operator_view
@require_POST
def registry_settings(request: HttpRequest) -> HttpResponse:
    form = RegistryForm(request.POST)
    if form.is_valid():
        try:
            registry.configure(principal=principal_for(request), **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Saved; the worker is setting the registry up.")
            return redirect("nodes")
    return _cluster_page(request, status=400, registry_form=form)


@operator_view
@require_POST
def forget_host_key(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(SshHostKey, pk=pk)
    services.forget_host_key(principal=principal_for(request), key=key)
    messages.success(request, f"Forgot the host key of {key.host}:{key.port}.")
    return redirect("nodes")


def _node_page(request: HttpRequest, node: Node, status: int = 200, **forms: Any) -> HttpResponse:
    context = {
        "node": node,
        "labels_form": forms.get("labels_form")
        or LabelsForm(initial={"labels": labels_text(node.labels)}),
        "engine_form": forms.get("engine_form")
        or EngineAccessForm(
            initial={
                "engine_url": node.engine_url,
                "tls_ca": node.engine_tls_ca,
                "tls_cert": node.engine_tls_cert,
            }
        ),
        "operations": node.operations.all()[:10],
        "active": node.operations.filter(status__in=("queued", "running")).first(),
    }
    return render(request, "nodes/detail.html", context, status=status)


@operator_view
@require_GET
def node_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _node_page(request, get_object_or_404(Node, pk=pk))


ACTIONS = {
    "drain": ("availability", "drain"),
    "activate": ("availability", "active"),
    "pause": ("availability", "pause"),
    "promote": ("role", "manager"),
    "demote": ("role", "worker"),
}


@operator_view
@require_POST
def node_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    node = get_object_or_404(Node, pk=pk)
    principal = principal_for(request)
    try:
        if action == "remove":
            operation = services.start_remove(principal=principal, node=node)
            return redirect("node-operation", pk=operation.pk)
        if action not in ACTIONS:
            raise ValidationError({"node": f"Unknown action {action!r}."})
        field, value = ACTIONS[action]
        if field == "availability":
            started = services.set_availability(principal=principal, node=node, availability=value)
            if started is not None:
                return redirect("node-operation", pk=started.pk)
        else:
            services.set_role(principal=principal, node=node, role=value)
        messages.success(request, f"{node.hostname}: {action} done.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("node-detail", pk=node.pk)


@operator_view
@require_POST
def node_labels(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(Node, pk=pk)
    form = LabelsForm(request.POST)
    if form.is_valid():
        try:
            labels = parse_labels_text(form.cleaned_data["labels"])
            services.set_labels(principal=principal_for(request), node=node, labels=labels)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Labels saved.")
            return redirect("node-detail", pk=node.pk)
    return _node_page(request, node, status=400, labels_form=form)


@operator_view
@require_POST
def node_engine(request: HttpRequest, pk: int) -> HttpResponse:
    node = get_object_or_404(Node, pk=pk)
    form = EngineAccessForm(request.POST)
    if form.is_valid():
        try:
            services.set_engine_access(
                principal=principal_for(request), node=node, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Engine address saved.")
            return redirect("node-detail", pk=node.pk)
    return _node_page(request, node, status=400, engine_form=form)


@operator_view
@require_GET
def operation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    operation = get_object_or_404(NodeOperation.objects.select_related("node"), pk=pk)
    template = "nodes/_operation.html" if request.htmx else "nodes/operation.html"  # type: ignore[attr-defined]
    return render(request, template, {"operation": operation})
