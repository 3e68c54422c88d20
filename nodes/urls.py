from django.urls import path

from nodes import views

urlpatterns = [
    path("ops/nodes/", views.node_list, name="nodes"),
    path("ops/nodes/add/<str:method>/", views.node_add, name="node-add"),
    path("ops/nodes/rotate/", views.rotate_token, name="node-rotate"),
    path("ops/nodes/registry/", views.registry_settings, name="node-registry"),
    path("ops/nodes/hostkeys/<int:pk>/forget/", views.forget_host_key, name="node-hostkey-forget"),
    path("ops/nodes/operations/<int:pk>/", views.operation_detail, name="node-operation"),
    path("ops/nodes/<int:pk>/", views.node_detail, name="node-detail"),
    path("ops/nodes/<int:pk>/labels/", views.node_labels, name="node-labels"),
    path("ops/nodes/<int:pk>/engine/", views.node_engine, name="node-engine"),
    path("ops/nodes/<int:pk>/<str:action>/", views.node_action, name="node-action"),
]
