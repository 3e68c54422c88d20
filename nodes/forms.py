"""Portal forms of the nodes pages; the services do the real checking."""

from __future__ import annotations

from django import forms

from nodes.models import NodeRole, RegistryMode

PEM = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"})


class SshJoinForm(forms.Form):
    address = forms.CharField(label="Host or IP address", max_length=255)
    port = forms.IntegerField(initial=22, min_value=1, max_value=65535)
    user = forms.CharField(initial="root", max_length=100)
    private_key = forms.CharField(
        label="Private key",
        required=False,
        widget=PEM,
        strip=False,
        help_text="OpenSSH or PEM. Or give a password instead.",
    )
    passphrase = forms.CharField(required=False, widget=forms.PasswordInput)
    password = forms.CharField(required=False, widget=forms.PasswordInput)
    host_key_fingerprint = forms.CharField(
        label="Expected host key fingerprint",
        required=False,
        max_length=100,
        help_text="SHA256:… from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the node. "
        "Empty: the key shown on first use is pinned.",
    )
    advertise_addr = forms.CharField(
        label="Advertise address", required=False, help_text="Defaults to the host address."
    )
    role = forms.ChoiceField(choices=NodeRole.choices, initial=NodeRole.WORKER)
    remember = forms.BooleanField(
        label="Keep the login (encrypted) so Berth can make the node leave later",
        required=False,
    )


class EngineJoinForm(forms.Form):
    engine_url = forms.CharField(
        label="Engine address", max_length=300, help_text="tcp://host:2376 with TLS."
    )
    tls_ca = forms.CharField(label="CA certificate", required=False, widget=PEM, strip=False)
    tls_cert = forms.CharField(label="Client certificate", required=False, widget=PEM, strip=False)
    tls_key = forms.CharField(label="Client key", required=False, widget=PEM, strip=False)
    advertise_addr = forms.CharField(
        label="Advertise address", required=False, help_text="Defaults to the engine's host."
    )
    role = forms.ChoiceField(choices=NodeRole.choices, initial=NodeRole.WORKER)


class LabelsForm(forms.Form):
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"}),
        help_text="One key=value per line. Apps are placed on nodes by these labels.",
    )


class EngineAccessForm(forms.Form):
    engine_url = forms.CharField(
        label="Engine address",
        required=False,
        max_length=300,
        help_text="tcp://host:2376. Berth copies images here when there is no registry. "
        "Empty to forget it.",
    )
    tls_ca = forms.CharField(label="CA certificate", required=False, widget=PEM, strip=False)
    tls_cert = forms.CharField(label="Client certificate", required=False, widget=PEM, strip=False)
    tls_key = forms.CharField(
        label="Client key",
        required=False,
        widget=PEM,
        strip=False,
        help_text="Stored encrypted; leave empty to keep the one recorded.",
    )


class RegistryForm(forms.Form):
    mode = forms.ChoiceField(choices=RegistryMode.choices, widget=forms.RadioSelect)
    server = forms.CharField(
        label="External registry",
        required=False,
        max_length=255,
        help_text="host[:port][/prefix], for an external registry.",
    )
    username = forms.CharField(required=False, max_length=100)
    password = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Stored encrypted; never shown again.",
    )
