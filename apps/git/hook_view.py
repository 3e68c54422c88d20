"""The webhook endpoint: no session, no token, no CSRF; the signature is the authentication."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.git import hooks
from paas.access import client_ip


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, name: str, hook_id: str) -> HttpResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"error": "The delivery is too large."}, status=413)
    answer = hooks.receive(
        app_name=name,
        hook_id=hook_id,
        headers=request.headers,
        body=body,
        content_type=request.content_type or "",
        ip=client_ip(request),
    )
    return JsonResponse(answer.body, status=answer.status)
