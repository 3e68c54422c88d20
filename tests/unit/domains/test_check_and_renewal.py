"""The domain check's verdicts against a real local HTTP server, and which orders are due."""

from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator

import pytest
from django.utils import timezone

from routing import domains, services, verify
from routing.models import Certificate, CertificateSource, CertificateState
from tests.support.gateway import free_port

TOKEN = "t" * 32


@pytest.fixture
def answering(settings) -> Iterator[dict[str, str]]:
    """An HTTP server on loopback standing in for whatever the domain points to."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write((body or "not here").encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BERTH_GATEWAY_HTTP_PORT = server.server_address[1]
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    yield pages
    server.shutdown()
    server.server_close()


def test_the_check_passes_when_the_name_answers_with_the_token(answering):
    answering[f"/.well-known/berth-verify/{TOKEN}"] = TOKEN

    assert verify.check("shop.example.com", TOKEN) is None


def test_another_server_answering_404_is_explained(answering):
    problem = verify.check("shop.example.com", TOKEN) or ""

    assert "answered 404" in problem
    assert "points to another server" in problem


def test_a_wrong_token_is_explained(answering):
    answering[f"/.well-known/berth-verify/{TOKEN}"] = "someone else's"

    assert "not with this domain's token" in (verify.check("shop.example.com", TOKEN) or "")


def test_nothing_listening_is_explained(settings):
    settings.BERTH_VERIFY_ADDRESS = "127.0.0.1"
    settings.BERTH_GATEWAY_HTTP_PORT = free_port()

    assert "could not be fetched" in (verify.check("shop.example.com", TOKEN) or "")


def test_a_name_that_does_not_resolve_is_explained(settings):
    settings.BERTH_VERIFY_ADDRESS = None

    problem = verify.check("no-such-name.invalid", TOKEN) or ""

    assert "does not resolve" in problem
    assert "DNS record" in problem


@pytest.mark.django_db
def test_due_orders_are_missing_pending_expiring_and_old_failures(shop):
    now = timezone.now()

    def domain(name: str, **cert):
        d = services.add_domain(app=shop, principal=None, hostname=f"{name}.example.com")
        services.record_check(d.pk, None)
        if cert:
            Certificate.objects.create(domain=d, source=cert.pop("source", "acme"), **cert)
        return d

    missing = domain("missing")
    expiring = domain(
        "expiring", state=CertificateState.VALID, not_after=now + datetime.timedelta(days=10)
    )
    domain("fresh", state=CertificateState.VALID, not_after=now + datetime.timedelta(days=80))
    old_failure = domain(
        "failed-long-ago",
        state=CertificateState.FAILED,
        last_attempt_at=now - datetime.timedelta(hours=7),
    )
    domain(
        "failed-just-now",
        state=CertificateState.FAILED,
        last_attempt_at=now - datetime.timedelta(minutes=5),
    )
    domain(
        "uploaded",
        source=CertificateSource.UPLOAD,
        state=CertificateState.VALID,
        not_after=now + datetime.timedelta(days=3),
    )
    unverified = services.add_domain(app=shop, principal=None, hostname="new.example.com")
    services.add_domain(app=shop, principal=None, hostname="plain.example.com", https=False)

    due = domains.due_for_acme(now)

    assert sorted(due) == sorted([missing.pk, expiring.pk, old_failure.pk])
    assert unverified.pk not in due
