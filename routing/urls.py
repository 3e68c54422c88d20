from django.urls import path

from routing import views

urlpatterns = [
    path("ops/gateway/", views.gateway_page, name="gateway"),
]
