"""Portal forms for domains, certificates, basic auth and the snippet (shape only; services check the rest)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

MONO = {"spellcheck": "false", "class": "mono", "autocomplete": "off"}


class DomainForm(forms.Form):
    hostname = forms.CharField(
        max_length=300,
        label="Domain",
        strip=False,
        help_text="A name you own, e.g. shop.example.com. Point its DNS to this server first.",
        widget=forms.TextInput(attrs={**MONO, "placeholder": "shop.example.com"}),
    )
    alias = forms.BooleanField(
        required=False,
        label="Alias",
        help_text="Redirect this name to the app's primary domain instead of serving the app.",
    )
    https = forms.BooleanField(
        required=False,
        initial=True,
        label="HTTPS",
        help_text="Get a certificate from Let's Encrypt once the domain's check passes.",
    )
    force_https = forms.BooleanField(
        required=False, label="Redirect HTTP to HTTPS", help_text="Once a certificate is served."
    )


class DomainOptionsForm(forms.Form):
    alias = forms.BooleanField(required=False)
    https = forms.BooleanField(required=False)
    force_https = forms.BooleanField(required=False)


class CertificateForm(forms.Form):
    certificate = forms.CharField(
        required=False,
        strip=False,
        label="Certificate (PEM)",
        help_text="The server certificate first, then each intermediate.",
        widget=forms.Textarea(attrs={**MONO, "rows": 8}),
    )
    certificate_file = forms.FileField(required=False, label="…or a certificate file")
    key = forms.CharField(
        required=False,
        strip=False,
        label="Private key (PEM)",
        help_text="Without a passphrase. It is stored encrypted and never shown again.",
        widget=forms.Textarea(attrs={**MONO, "rows": 6}),
    )
    key_file = forms.FileField(required=False, label="…or a key file")

    def _text(self, name: str) -> str:
        upload = self.cleaned_data.get(f"{name}_file")
        if upload:
            if upload.size > 64 * 1024:
                raise ValidationError({name: "The file is larger than 64 KB."})
            try:
                return str(upload.read().decode("ascii"))
            except UnicodeDecodeError:
                raise ValidationError({name: "Upload a PEM (text) file."}) from None
        return str(self.cleaned_data.get(name) or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        certificate, key = self._text("certificate"), self._text("key")
        errors = {}
        if not certificate.strip():
            errors["certificate"] = "Paste or upload the certificate."
        if not key.strip():
            errors["key"] = "Paste or upload the private key."
        if errors:
            raise ValidationError(errors)
        data["certificate"], data["key"] = certificate, key
        return data


class AuthUserForm(forms.Form):
    username = forms.CharField(max_length=100, strip=False, widget=forms.TextInput(attrs=MONO))
    password = forms.CharField(
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters. Only a hash is kept.",
    )


class GatewayOptionsForm(forms.Form):
    websocket = forms.BooleanField(
        required=False,
        label="Websockets",
        help_text="Pass websocket upgrades through and keep idle connections up to an hour.",
    )
    snippet = forms.CharField(
        required=False,
        strip=False,
        label="nginx snippet",
        widget=forms.Textarea(
            attrs={**MONO, "rows": 6, "placeholder": "add_header X-Frame-Options DENY;"}
        ),
        help_text="Directives added to the app's location block, checked by nginx before use.",
    )
