"""An app's Git page, included under /t/<slug>/apps/ by paas.portal_urls."""

from django.urls import path

from apps.git import views

urlpatterns = [
    path("<str:name>/git/", views.git_source, name="app-git"),
    path("<str:name>/git/secret/", views.git_secret, name="app-git-secret"),
    path("<str:name>/git/deploy/", views.git_deploy, name="app-git-deploy"),
    path("<str:name>/git/remove/", views.git_remove, name="app-git-remove"),
]
