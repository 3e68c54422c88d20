"""Portal forms for stacks: the shape of input; apps.compose.services checks the rest."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

COMPOSE_HELP = (
    "A Compose file. ${VAR}, ${VAR:-default} and ${VAR:?message} take the variables below; "
    "write $$ for a literal $. x-berth: {http_port, expose, domains} routes a service. "
    "A CapRover one-click template (captainVersion: 4) works too: its $$cap_ variables go below."
)


class StackForm(forms.Form):
    compose = forms.CharField(
        required=False,
        label="Compose file",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "mono"}),
        help_text=COMPOSE_HELP,
    )
    variables = forms.CharField(
        required=False,
        label="Variables",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"}),
        help_text="NAME=value lines, like a .env file. Stored encrypted; never shown again.",
    )
    source = forms.FileField(
        required=False,
        label="Or upload a tarball",
        help_text="A tar or tar.gz holding compose.yaml, its .env and the build contexts.",
    )
    ignore_unsupported = forms.BooleanField(
        required=False,
        label="Skip keys Berth does not support (with a warning)",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("compose") and not data.get("source"):
            raise ValidationError("Paste a compose file or upload a tarball holding one.")
        return data


class StackCreateForm(StackForm):
    name = forms.CharField(
        max_length=100,
        help_text="Lowercase letters, digits and hyphens; services become apps <stack>-<service>.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        strip=False,
    )
    field_order = ["name", "compose", "variables", "source", "ignore_unsupported"]


class StackUpdateForm(StackForm):
    variables = forms.CharField(
        required=False,
        label="Variables",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"}),
        help_text="NAME=value lines. Leave empty to keep the stored ones.",
    )
    prune = forms.BooleanField(
        required=False,
        label="Delete services the file no longer has (needs the admin role)",
    )


def compose_errors(form: forms.Form, error: ValidationError) -> None:
    """A refusal on the form: known fields get theirs, paths in the file go under it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        messages = [m for e in errors for m in e.messages]
        if key in form.fields and key != "compose":
            form.add_error(key, messages)
        elif key == NON_FIELD_ERRORS:
            form.add_error(None, messages)
        else:
            form.add_error("compose", [f"{key}: {m}" if key != "compose" else m for m in messages])
