"""Certificates from an ACME directory (Let's Encrypt by default) over HTTP-01.

One account key per installation, kept encrypted in the database; an account
is registered once per directory (``BERTH_ACME_DIRECTORY``) with
``BERTH_ACME_EMAIL`` as contact. The gateway answers the challenges: each
answer is a file in its ``acme/`` folder, served under
``/.well-known/acme-challenge/`` on port 80 of every hostname.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
from dataclasses import dataclass, field

import requests
from acme import challenges, client, errors, messages
from acme import crypto_util as acme_crypto
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import IntegrityError
from josepy.jwk import JWKRSA

from paas import crypto
from routing import files
from routing.models import AcmeAccount

log = logging.getLogger(__name__)

USER_AGENT = "berth"
ORDER_TIMEOUT = datetime.timedelta(seconds=120)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


class AcmeFailed(Exception):
    """The directory did not issue a certificate; the message is fit to show a user."""


@dataclass(frozen=True)
class Issued:
    chain_pem: str
    key_pem: str = field(repr=False)


def _new_account_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _installation_key() -> str:
    """The one account key (PEM), made on first use and reused for every directory."""
    existing = AcmeAccount.objects.order_by("pk").first()
    if existing is not None:
        return crypto.decrypt(existing.key_ciphertext)
    return _new_account_key()


def _network(
    key_pem: str, registration: messages.RegistrationResource | None
) -> client.ClientNetwork:
    loaded = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    net = client.ClientNetwork(JWKRSA(key=loaded), account=registration, user_agent=USER_AGENT)
    if settings.BERTH_ACME_CA_BUNDLE:
        # requests takes a CA bundle path where the library expects a flag.
        net.verify_ssl = settings.BERTH_ACME_CA_BUNDLE  # type: ignore[assignment]
    return net


def _client() -> client.ClientV2:
    directory_url = str(settings.BERTH_ACME_DIRECTORY)
    account = AcmeAccount.objects.filter(directory=directory_url).first()
    if account is not None and account.registration:
        key_pem = crypto.decrypt(account.key_ciphertext)
        registration = messages.RegistrationResource.json_loads(json.dumps(account.registration))
        net = _network(key_pem, registration)
        return client.ClientV2(client.ClientV2.get_directory(directory_url, net), net)
    key_pem = _installation_key()
    net = _network(key_pem, None)
    acme = client.ClientV2(client.ClientV2.get_directory(directory_url, net), net)
    email = str(settings.BERTH_ACME_EMAIL or "")
    new = messages.NewRegistration.from_data(email=email or None, terms_of_service_agreed=True)
    try:
        registration = acme.new_account(new)
    except errors.ConflictError:
        # The key already has an account there (a lost database row): look it up.
        registration = acme.new_account(
            messages.NewRegistration.from_data(only_return_existing=True)
        )
    net.account = registration
    # Two workers registering at once agree on the first row written.
    with contextlib.suppress(IntegrityError):
        AcmeAccount.objects.update_or_create(
            directory=directory_url,
            defaults={
                "email": email,
                "key_ciphertext": crypto.encrypt(key_pem),
                "registration": json.loads(registration.json_dumps()),
            },
        )
    return acme


def _certificate_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _explain(exc: Exception) -> str:
    if isinstance(exc, errors.ValidationError):
        details = []
        for authzr in exc.failed_authzrs:
            for challb in authzr.body.challenges:
                if challb.error is not None:
                    details.append(str(challb.error.detail or challb.error.typ))
        joined = "; ".join(details) or "the challenge was not answered"
        return (
            f"The ACME server could not validate the domain: {joined}. Check that the domain "
            "points to this gateway and port 80 reaches it."
        )
    if isinstance(exc, messages.Error):
        return f"The ACME server refused: {exc.detail or exc.typ}"
    if isinstance(exc, errors.TimeoutError):
        return "The ACME server did not finish the order in time; it is tried again later."
    if isinstance(exc, requests.RequestException):
        return f"The ACME directory {settings.BERTH_ACME_DIRECTORY} could not be reached: {exc}"
    return f"ACME failed: {exc}"


def issue(hostname: str) -> Issued:
    """A certificate for ``hostname`` (a verified, non-wildcard name) and its new key."""
    if hostname.startswith("*."):
        raise AcmeFailed("HTTP-01 cannot issue wildcard certificates; upload one instead.")
    lay = files.layout()
    lay.ensure()
    answered: list[str] = []
    try:
        acme = _client()
        key_pem = _certificate_key()
        csr = acme_crypto.make_csr(key_pem.encode(), [hostname])
        order = acme.new_order(csr)
        for authz in order.authorizations:
            if authz.body.status == messages.STATUS_VALID:
                continue
            challb = next(
                (c for c in authz.body.challenges if isinstance(c.chall, challenges.HTTP01)),
                None,
            )
            if challb is None:
                raise AcmeFailed("The ACME server offered no HTTP-01 challenge for the domain.")
            response, validation = challb.response_and_validation(acme.net.key)
            token = challb.chall.encode("token")
            if not _TOKEN.match(token):
                raise AcmeFailed("The ACME server sent a challenge token Berth will not write.")
            files.write_atomic(lay.acme / token, str(validation))
            answered.append(token)
            acme.answer_challenge(challb, response)
        deadline = datetime.datetime.now() + ORDER_TIMEOUT
        finished = acme.poll_and_finalize(order, deadline)
    except AcmeFailed:
        raise
    except Exception as exc:  # the library raises many kinds; each is worded for the user
        log.warning("ACME order for %s failed: %s", hostname, exc)
        raise AcmeFailed(_explain(exc)) from exc
    finally:
        for token in answered:
            files.remove(lay.acme / token)
    return Issued(chain_pem=finished.fullchain_pem, key_pem=key_pem)
