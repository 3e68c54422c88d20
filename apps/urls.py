"""Portal URLs of apps, included under /t/<slug>/apps/ by paas.portal_urls."""

from django.urls import path

from apps.views import apps, deployments, logs

urlpatterns = [
    path("", apps.app_list, name="app-list"),
    path("<str:name>/", apps.app_detail, name="app-detail"),
    path("<str:name>/scale/", apps.app_scale, name="app-scale"),
    path("<str:name>/settings/", apps.app_settings, name="app-settings"),
    path("<str:name>/secrets/", apps.app_secrets, name="app-secrets"),
    path("<str:name>/secrets/<str:secret>/delete/", apps.secret_delete, name="app-secret-delete"),
    path("<str:name>/delete/", apps.app_delete, name="app-delete"),
    path("<str:name>/deploy/", deployments.deploy_new, name="app-deploy"),
    path("<str:name>/deployments/", deployments.deployment_list, name="deployment-list"),
    path(
        "<str:name>/deployments/<int:number>/",
        deployments.deployment_detail,
        name="deployment-detail",
    ),
    path(
        "<str:name>/deployments/<int:number>/cancel/",
        deployments.deployment_cancel,
        name="deployment-cancel",
    ),
    path(
        "<str:name>/deployments/<int:number>/rollback/",
        deployments.deployment_rollback,
        name="deployment-rollback",
    ),
    path("<str:name>/logs/", logs.app_logs, name="app-logs"),
]
