"""Checking a certificate and key before the gateway serves them (pure, no files).

An uploaded pair is refused with a reason a person can act on: the key does
not belong to the certificate, the chain is out of order, it has expired, or
its names do not cover the domain. What is kept is re-encoded from the parsed
objects, so stray text in an upload never reaches the gateway.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

MAX_PEM = 64 * 1024


class CertificateProblem(ValueError):
    """The pair cannot be served; ``field`` says whether the certificate or the key is at fault."""

    def __init__(self, message: str, field: str = "certificate") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CertInfo:
    names: tuple[str, ...]
    issuer: str
    serial: str
    fingerprint: str
    not_before: datetime.datetime
    not_after: datetime.datetime


@dataclass(frozen=True)
class CheckedPair:
    chain_pem: str
    key_pem: str = field(repr=False)
    info: CertInfo


def _public_bytes(key: object) -> bytes:
    public = key.public_key()  # type: ignore[attr-defined]
    data: bytes = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data


def dns_names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return ()
    return tuple(name.lower() for name in san.value.get_values_for_type(x509.DNSName))


def covers(names: tuple[str, ...], hostname: str) -> bool:
    """Whether a certificate for ``names`` is valid for ``hostname`` (one-label wildcards)."""
    hostname = hostname.lower()
    for name in names:
        if name == hostname:
            return True
        if name.startswith("*.") and not hostname.startswith("*."):
            _, _, rest = hostname.partition(".")
            if rest and rest == name[2:]:
                return True
    return False


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if values:
        return str(values[0].value)
    return name.rfc4514_string()


def load_chain(pem: str) -> list[x509.Certificate]:
    if len(pem) > MAX_PEM:
        raise CertificateProblem("The certificate is too large (at most 64 KB of PEM).")
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise CertificateProblem(
            "This is not a PEM certificate: it should start with -----BEGIN CERTIFICATE-----."
        )
    try:
        return x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        raise CertificateProblem("The certificate PEM could not be read.") from None


def load_key(pem: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if len(pem) > MAX_PEM:
        raise CertificateProblem("The key is too large.", "key")
    if "PRIVATE KEY-----" not in pem:
        raise CertificateProblem(
            "This is not a PEM private key: it should start with -----BEGIN PRIVATE KEY-----.",
            "key",
        )
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        raise CertificateProblem(
            "The key is protected by a passphrase; upload it without one.", "key"
        ) from None
    except ValueError:
        raise CertificateProblem("The private key PEM could not be read.", "key") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateProblem("Use an RSA or ECDSA key (nginx serves those).", "key")
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 2048:
        raise CertificateProblem("An RSA key needs at least 2048 bits.", "key")
    return key


def check_pair(
    chain_pem: str,
    key_pem: str,
    hostname: str,
    *,
    now: datetime.datetime | None = None,
) -> CheckedPair:
    """Check ``chain_pem`` (server certificate first) and ``key_pem`` for ``hostname``."""
    now = now or datetime.datetime.now(datetime.UTC)
    chain = load_chain(chain_pem)
    key = load_key(key_pem)
    leaf = chain[0]
    if _public_bytes(key) != leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        if any(_public_bytes(key) == _cert_key(c) for c in chain[1:]):
            raise CertificateProblem(
                "The chain is out of order: put the server certificate (the one this key "
                "belongs to) first, then each issuer."
            )
        raise CertificateProblem("The private key does not belong to this certificate.", "key")
    for position, (cert, issuer) in enumerate(itertools.pairwise(chain), start=1):
        if cert.issuer != issuer.subject:
            raise CertificateProblem(
                f"The chain is out of order: certificate {position + 1} "
                f"({_common_name(issuer.subject)}) did not issue certificate {position} "
                f"({_common_name(cert.subject)}). Put the server certificate first, "
                "then each issuer."
            )
        try:
            cert.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError):
            raise CertificateProblem(
                f"Certificate {position} is not signed by the next one in the chain."
            ) from None
    for position, cert in enumerate(chain, start=1):
        what = "The certificate" if position == 1 else f"Chain certificate {position}"
        if cert.not_valid_after_utc <= now:
            raise CertificateProblem(
                f"{what} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC."
            )
        if cert.not_valid_before_utc > now:
            raise CertificateProblem(
                f"{what} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC."
            )
    names = dns_names(leaf)
    if not names:
        raise CertificateProblem(
            "The certificate has no DNS names (subjectAltName); browsers require them."
        )
    if not covers(names, hostname):
        raise CertificateProblem(
            f"The certificate is for {', '.join(names[:5])}, which does not cover {hostname}."
        )
    clean_chain = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
    clean_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return CheckedPair(chain_pem=clean_chain, key_pem=clean_key, info=info(leaf))


def _cert_key(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def info(leaf: x509.Certificate) -> CertInfo:
    return CertInfo(
        names=dns_names(leaf),
        issuer=_common_name(leaf.issuer)[:200],
        serial=format(leaf.serial_number, "x")[:64],
        fingerprint=leaf.fingerprint(hashes.SHA256()).hex(),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
    )


def describe(chain_pem: str) -> CertInfo:
    """What a chain's first certificate says about itself."""
    return info(load_chain(chain_pem)[0])
