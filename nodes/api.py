"""/api/v1/nodes/...: operators only (staff accounts signed in); thin over nodes.services."""

from __future__ import annotations

import contextlib
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from nodes import cluster, registry, services
from nodes.models import ImageRegistry, Node, NodeOperation
from nodes.serializers import (
    JoinCommandsSerializer,
    NodeAddSerializer,
    NodeSerializer,
    NodeUpdateSerializer,
    OperationSerializer,
    RegistrySerializer,
    RotateSerializer,
)
from paas.access import Principal, principal_for
from paas.transport import EngineError


class IsOperator(permissions.BasePermission):
    message = "Nodes are managed by operators (staff accounts signed in); tokens cannot."

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = principal_for(request)
        user = request.user
        return bool(principal.token is None and user and user.is_authenticated and user.is_staff)


class OperatorView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsOperator]

    def principal(self) -> Principal:
        return principal_for(self.request)


def get_node(key: str) -> Node:
    node = Node.objects.filter(node_id=key).first()
    if node is None and key.isdigit():
        node = Node.objects.filter(pk=int(key)).first()
    if node is None:
        raise Http404
    return node


def _sync_quietly() -> None:
    # When the engine does not answer, the rows as last seen are still the best answer.
    with contextlib.suppress(EngineError):
        services.sync_nodes()


class NodeList(OperatorView):
    @extend_schema(
        responses=NodeSerializer(many=True),
        description="The swarm's nodes (synced first with ``?refresh=1``).",
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("refresh") in ("1", "true"):
            _sync_quietly()
        return Response(NodeSerializer(Node.objects.all(), many=True).data)

    @extend_schema(
        request=NodeAddSerializer,
        responses={202: OperationSerializer},
        description="Add a node over SSH or through its engine API; follow the returned operation.",
    )
    def post(self, request: Request) -> Response:
        body = NodeAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["method"] == "ssh":
            operation = services.start_join_ssh(
                principal=self.principal(),
                address=data["address"],
                port=data["port"],
                user=data["user"],
                password=data["password"],
                private_key=data["private_key"],
                passphrase=data["passphrase"],
                host_key_fingerprint=data["host_key_fingerprint"],
                advertise_addr=data["advertise_addr"],
                role=data["role"],
                remember=data["remember_credentials"],
            )
        else:
            operation = services.start_join_engine(
                principal=self.principal(),
                engine_url=data["engine_url"],
                tls_ca=data["tls_ca"],
                tls_cert=data["tls_cert"],
                tls_key=data["tls_key"],
                advertise_addr=data["advertise_addr"],
                role=data["role"],
            )
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class NodeDetail(OperatorView):
    @extend_schema(responses=NodeSerializer)
    def get(self, request: Request, key: str) -> Response:
        return Response(NodeSerializer(get_node(key)).data)

    @extend_schema(
        request=NodeUpdateSerializer,
        responses={200: NodeSerializer},
        description="Availability (``drain`` starts an operation: 202), role, labels, "
        "engine address.",
    )
    def patch(self, request: Request, key: str) -> Response:
        node = get_node(key)
        body = NodeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        principal = self.principal()
        started = None
        if "labels" in data:
            node = services.set_labels(principal=principal, node=node, labels=data["labels"])
        if "role" in data and data["role"] != node.role:
            node = services.set_role(principal=principal, node=node, role=data["role"])
        if "engine_url" in data:
            node = services.set_engine_access(
                principal=principal,
                node=node,
                engine_url=data["engine_url"],
                tls_ca=data.get("tls_ca", ""),
                tls_cert=data.get("tls_cert", ""),
                tls_key=data.get("tls_key", ""),
            )
        if "availability" in data and data["availability"] != node.availability:
            started = services.set_availability(
                principal=principal, node=node, availability=data["availability"]
            )
        node.refresh_from_db()
        code = status.HTTP_202_ACCEPTED if started else status.HTTP_200_OK
        return Response(NodeSerializer(node).data, status=code)

    @extend_schema(
        responses={202: OperationSerializer},
        description="Drain, make the node leave (when Berth reaches it), then remove it.",
    )
    def delete(self, request: Request, key: str) -> Response:
        operation = services.start_remove(principal=self.principal(), node=get_node(key))
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class OperationDetail(OperatorView):
    @extend_schema(responses=OperationSerializer)
    def get(self, request: Request, pk: int) -> Response:
        operation = NodeOperation.objects.filter(pk=pk).first()
        if operation is None:
            raise Http404
        return Response(OperationSerializer(operation).data)


class JoinCommands(OperatorView):
    @extend_schema(
        responses=JoinCommandsSerializer,
        description="The commands a machine runs to join as a worker or a manager "
        "(they hold secrets).",
    )
    def get(self, request: Request) -> Response:
        try:
            facts = cluster.swarm_facts()
        except EngineError as exc:
            raise PermissionDenied(f"The swarm cannot be read: {exc}") from None
        return Response({role: cluster.join_command(role, facts) for role in ("worker", "manager")})


class RotateToken(OperatorView):
    @extend_schema(
        request=RotateSerializer,
        responses=JoinCommandsSerializer,
        description="A new join token for the role; the old one stops working.",
    )
    def post(self, request: Request) -> Response:
        body = RotateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.rotate_join_token(principal=self.principal(), role=body.validated_data["role"])
        facts = cluster.swarm_facts()
        return Response({role: cluster.join_command(role, facts) for role in ("worker", "manager")})


class RegistryView(OperatorView):
    @extend_schema(responses=RegistrySerializer)
    def get(self, request: Request) -> Response:
        row = ImageRegistry.objects.filter(pk=1).first() or ImageRegistry()
        return Response(RegistrySerializer(row).data)

    @extend_schema(
        request=RegistrySerializer,
        responses={202: RegistrySerializer},
        description="Choose ``none`` (copy to nodes), ``hosted`` or ``external`` "
        "(server, username, password).",
    )
    def put(self, request: Request) -> Response:
        body = RegistrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = registry.configure(
            principal=self.principal(),
            mode=data["mode"],
            server=data.get("server", ""),
            username=data.get("username", ""),
            password=data.get("password", ""),
        )
        return Response(RegistrySerializer(row).data, status=status.HTTP_202_ACCEPTED)
