"""Portal URLs of stacks, included under /t/<slug>/stacks/ by paas.portal_urls."""

from django.urls import path

from apps.compose import views

urlpatterns = [
    path("", views.stack_list, name="stack-list"),
    path("<str:name>/", views.stack_detail, name="stack-detail"),
    path("<str:name>/delete/", views.stack_delete, name="stack-delete"),
]
