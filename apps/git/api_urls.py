"""/api/v1/apps/{name}/git/... (included by paas.api_urls)."""

from django.urls import path

from apps.git import api

urlpatterns = [
    path("apps/<str:name>/git/", api.GitSourceView.as_view(), name="api-app-git"),
    path("apps/<str:name>/git/secret/", api.GitSecretView.as_view(), name="api-app-git-secret"),
    path("apps/<str:name>/git/deploy/", api.GitDeployView.as_view(), name="api-app-git-deploy"),
]
