"""Portal forms for volumes and mounts: they check the shape of input; the services check the rest."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from apps.volumes.models import Volume
from nodes.models import Node

MONO = {"rows": 3, "spellcheck": "false", "class": "mono"}


def parse_pairs(text: str, what: str) -> dict[str, str]:
    """``key=value`` per line; the value may hold more ``=`` (``o=addr=10.0.0.5,rw``)."""
    pairs: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"Line {number}: write {what} as key=value.")
        pairs[key.strip()] = value.strip()
    return pairs


class VolumeCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        strip=False,
        help_text="Lowercase letters, digits, - and _; unique in the team.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    driver = forms.CharField(
        initial="local",
        max_length=200,
        help_text="local keeps the data on a node's disk (or mounts NFS/CIFS with the options "
        "below); a plugin's name for other storage.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    driver_options = forms.CharField(
        required=False,
        label="Driver options",
        widget=forms.Textarea(attrs=MONO),
        help_text="One key=value per line, e.g. for NFS: type=nfs, o=addr=10.0.0.5,rw, "
        "device=:/export/data.",
    )
    labels = forms.CharField(required=False, widget=forms.Textarea(attrs=MONO))
    node = forms.ChoiceField(
        required=False,
        help_text="For a volume on a node's disk: the node it lives on. Empty: the node its "
        "first app runs on.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nodes = Node.objects.order_by("hostname", "node_id")
        cast(forms.ChoiceField, self.fields["node"]).choices = [
            ("", "Where its first app runs")
        ] + [(n.node_id, f"{n.hostname} ({n.node_id[:12]}, {n.role})") for n in nodes]

    def clean_driver_options(self) -> dict[str, str]:
        return parse_pairs(self.cleaned_data.get("driver_options") or "", "each option")

    def clean_labels(self) -> dict[str, str]:
        return parse_pairs(self.cleaned_data.get("labels") or "", "each label")


class MountForm(forms.Form):
    volume = forms.ChoiceField(required=False)
    host_path = forms.CharField(
        required=False,
        label="Host path",
        help_text="Instead of a volume: a folder of the host, under the prefixes the operator "
        "allows.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    path = forms.CharField(
        label="Path in the app",
        strip=False,
        initial="/data",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    read_only = forms.BooleanField(required=False, label="Read-only")

    def __init__(self, *args: Any, volumes: list[Volume], trusted: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["volume"]).choices = [("", "Choose a volume")] + [
            (v.name, v.name) for v in volumes
        ]
        if not trusted:
            del self.fields["host_path"]
            self.fields["volume"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("volume") and not data.get("host_path"):
            self.add_error("volume", "Choose a volume to mount.")
        if data.get("volume") and data.get("host_path"):
            self.add_error("host_path", "Give a volume or a host path, not both.")
        return data


class RestoreForm(forms.Form):
    archive = forms.FileField(help_text="A .tar.gz, such as a backup of this volume.")
