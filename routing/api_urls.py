"""/api/v1/apps/{name}/domains/, basic-auth users and gateway options (included by paas.api_urls)."""

from django.urls import path

from routing import api

urlpatterns = [
    path("apps/<str:name>/domains/", api.DomainList.as_view(), name="api-domains"),
    path("apps/<str:name>/domains/<str:hostname>/", api.DomainDetail.as_view(), name="api-domain"),
    path(
        "apps/<str:name>/domains/<str:hostname>/check/",
        api.DomainCheck.as_view(),
        name="api-domain-check",
    ),
    path(
        "apps/<str:name>/domains/<str:hostname>/certificate/",
        api.DomainCertificate.as_view(),
        name="api-domain-certificate",
    ),
    path("apps/<str:name>/basic-auth/", api.AuthUserList.as_view(), name="api-basic-auth"),
    path(
        "apps/<str:name>/basic-auth/<str:username>/",
        api.AuthUserDetail.as_view(),
        name="api-basic-auth-user",
    ),
    path("apps/<str:name>/gateway/", api.GatewayOptions.as_view(), name="api-app-gateway"),
]
