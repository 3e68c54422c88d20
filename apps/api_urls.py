"""/api/v1/apps/... (included by paas.api_urls)."""

from django.urls import path

from apps import api

urlpatterns = [
    path("apps/", api.AppList.as_view(), name="api-apps"),
    path("apps/<str:name>/", api.AppDetail.as_view(), name="api-app"),
    path("apps/<str:name>/secrets/", api.SecretList.as_view(), name="api-app-secrets"),
    path(
        "apps/<str:name>/secrets/<str:secret>/",
        api.SecretDetail.as_view(),
        name="api-app-secret",
    ),
    path("apps/<str:name>/deployments/", api.DeploymentList.as_view(), name="api-deployments"),
    path(
        "apps/<str:name>/deployments/<int:number>/",
        api.DeploymentDetail.as_view(),
        name="api-deployment",
    ),
    path(
        "apps/<str:name>/deployments/<int:number>/rollback/",
        api.DeploymentRollback.as_view(),
        name="api-deployment-rollback",
    ),
    path(
        "apps/<str:name>/deployments/<int:number>/cancel/",
        api.DeploymentCancel.as_view(),
        name="api-deployment-cancel",
    ),
    path("apps/<str:name>/logs/", api.AppLogs.as_view(), name="api-app-logs"),
]
