"""An app's Domains and Access pages, included under /t/<slug>/apps/ by paas.portal_urls."""

from django.urls import path

from routing import portal_views as views

urlpatterns = [
    path("<str:name>/domains/", views.domain_list, name="app-domains"),
    path("<str:name>/domains/<str:hostname>/", views.domain_options, name="app-domain-options"),
    path(
        "<str:name>/domains/<str:hostname>/remove/", views.domain_remove, name="app-domain-remove"
    ),
    path("<str:name>/domains/<str:hostname>/check/", views.domain_check, name="app-domain-check"),
    path(
        "<str:name>/domains/<str:hostname>/skip-check/",
        views.domain_skip_check,
        name="app-domain-skip-check",
    ),
    path(
        "<str:name>/domains/<str:hostname>/certificate/",
        views.domain_certificate,
        name="app-domain-certificate",
    ),
    path(
        "<str:name>/domains/<str:hostname>/certificate/remove/",
        views.certificate_remove,
        name="app-domain-certificate-remove",
    ),
    path("<str:name>/access/", views.access, name="app-access"),
    path("<str:name>/access/users/", views.auth_user_add, name="app-access-user-add"),
    path(
        "<str:name>/access/users/<str:username>/remove/",
        views.auth_user_remove,
        name="app-access-user-remove",
    ),
]
