"""/api/v1/nodes/... (included by paas.api_urls)."""

from django.urls import path

from nodes import api

urlpatterns = [
    path("nodes/", api.NodeList.as_view(), name="api-nodes"),
    path("nodes/join-commands/", api.JoinCommands.as_view(), name="api-node-join-commands"),
    path("nodes/join-commands/rotate/", api.RotateToken.as_view(), name="api-node-rotate"),
    path("nodes/registry/", api.RegistryView.as_view(), name="api-node-registry"),
    path("nodes/operations/<int:pk>/", api.OperationDetail.as_view(), name="api-node-operation"),
    path("nodes/<str:key>/", api.NodeDetail.as_view(), name="api-node"),
]
