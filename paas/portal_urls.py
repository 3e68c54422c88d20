"""Portal pages (server-rendered)."""

from django.urls import path

from paas import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
]
