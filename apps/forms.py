"""Portal forms for apps: they check the shape of input; apps.services checks the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from apps.models import App
from apps.validation import clean_health_path, parse_env_text


def _lines(mapping: dict[str, str], sep: str) -> str:
    return "\n".join(f"{key}{sep}{value}" for key, value in mapping.items())


class AppCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Lowercase letters, digits and hyphens; it becomes the app's hostname.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}
        ),
        strip=False,
    )
    container_port = forms.IntegerField(
        initial=80,
        label="Container port",
        help_text="The port the app listens on inside its container.",
    )
    instances = forms.IntegerField(initial=1, min_value=0)


class ScaleForm(forms.Form):
    instances = forms.IntegerField(min_value=0, help_text="0 stops the app.")


class SettingsForm(forms.Form):
    instances = forms.IntegerField(min_value=0, help_text="0 stops the app.")
    container_port = forms.IntegerField(label="Container port")
    health_check_path = forms.CharField(
        required=False,
        label="Health check path",
        help_text="An HTTP path that answers 2xx or 3xx when the app is healthy, e.g. /healthz. "
        "Empty: the image's own HEALTHCHECK, if any.",
    )
    env = forms.CharField(
        required=False,
        label="Environment",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text="One NAME=value per line. Use secrets for passwords and keys.",
    )
    internal = forms.BooleanField(
        required=False,
        label="Internal only",
        help_text="Reachable by other apps as tasks.<service> on the apps network; not routed.",
    )
    cpu_limit = forms.FloatField(required=False, label="CPU limit", help_text="Cores, e.g. 0.5.")
    cpu_reservation = forms.FloatField(required=False, label="CPU reservation")
    memory_limit_mb = forms.IntegerField(required=False, label="Memory limit (MB)")
    memory_reservation_mb = forms.IntegerField(required=False, label="Memory reservation (MB)")
    placement = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "mono"}),
        help_text="Run only on nodes with these labels: one label=value per line.",
    )

    @classmethod
    def for_app(cls, app: App, data: Any = None) -> SettingsForm:
        initial = {
            "instances": app.instances,
            "container_port": app.container_port,
            "health_check_path": app.health_check_path,
            "env": _lines(app.env, "="),
            "internal": app.internal,
            "cpu_limit": app.cpu_limit,
            "cpu_reservation": app.cpu_reservation,
            "memory_limit_mb": app.memory_limit_mb,
            "memory_reservation_mb": app.memory_reservation_mb,
            "placement": _lines(app.placement, "="),
        }
        return cls(data, initial=initial)

    def clean_env(self) -> dict[str, str]:
        try:
            return parse_env_text(self.cleaned_data.get("env") or "")
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["env"]) from None

    def clean_health_check_path(self) -> str:
        try:
            return clean_health_path(self.cleaned_data.get("health_check_path") or "")
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["health_check_path"]) from None

    def clean_placement(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for number, raw in enumerate((self.cleaned_data.get("placement") or "").splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ValidationError(f"Line {number} is not label=value.")
            labels[key.strip()] = value.strip()
        return labels


class SecretForm(forms.Form):
    name = forms.CharField(
        max_length=63,
        help_text="Delivered as the file /run/secrets/<name>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    value = forms.CharField(
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false", "class": "mono"}
        ),
        help_text="Stored encrypted; never shown again.",
    )


class DeployForm(forms.Form):
    image = forms.CharField(
        required=False,
        help_text="An image on this engine or in a registry, e.g. nginx:1.27.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "placeholder": "registry/name:tag"}),
    )
    definition = forms.CharField(
        required=False,
        label="captain-definition",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "mono"}),
        help_text='CapRover\'s file: {"schemaVersion": 2, "imageName": ...} or "dockerfileLines".',
    )
    source = forms.FileField(
        required=False,
        label="Source tarball",
        help_text="A .tar or .tar.gz with a Dockerfile or captain-definition at its top (or one folder down).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [key for key in ("image", "definition", "source") if data.get(key)]
        if len(given) != 1:
            raise ValidationError("Give one of: an image, a captain-definition or a tarball.")
        return data
