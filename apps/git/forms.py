"""The portal form of an app's git source: it checks the shape; apps.git.services the rest."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.git.models import Auth, GitSource

KEEP = "keep"
NONE = "none"
TOKEN = "token"  # noqa: S105 - a choice name
GENERATE = "generate_key"
PASTE = "paste_key"


class GitSourceForm(forms.Form):
    repository_url = forms.CharField(
        label="Repository URL",
        max_length=1000,
        help_text="https://host/owner/repo.git, ssh://git@host/owner/repo.git or "
        "git@host:owner/repo.git",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    branch = forms.CharField(
        max_length=1000,
        initial="main",
        help_text="Pushes to this branch deploy; others are ignored.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    subfolder = forms.CharField(
        required=False,
        max_length=1000,
        label="Folder",
        help_text="Where the Dockerfile or captain-definition is, if not at the root.",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    credential = forms.ChoiceField(
        label="Credentials",
        widget=forms.RadioSelect,
        choices=[
            (NONE, "None: a public repository"),
            (TOKEN, "HTTPS access token"),
            (GENERATE, "SSH: let Berth make a deploy key"),
            (PASTE, "SSH: paste a private key"),
        ],
        initial=NONE,
    )
    username = forms.CharField(
        required=False,
        max_length=200,
        label="Token user name",
        help_text="Most hosts accept any name with a token; some want the token's owner.",
    )
    token = forms.CharField(
        required=False,
        label="Access token",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
        help_text="Stored encrypted, never shown again. Read access to the repository is enough.",
    )
    ssh_private_key = forms.CharField(
        required=False,
        label="Private key",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "mono"}),
        help_text="Without a passphrase. Stored encrypted, never shown again.",
    )
    known_hosts = forms.CharField(
        required=False,
        label="SSH host keys",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"}),
        help_text="known_hosts lines to trust. Empty: the host's key is pinned on first fetch.",
    )

    def __init__(self, *args: Any, source: GitSource | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        field = self.fields["credential"]
        if source is not None and source.auth != Auth.NONE:
            stored = Auth(source.auth).label
            field.choices = [(KEEP, f"Keep the stored {stored.lower()}"), *field.choices]  # type: ignore[attr-defined]
            field.initial = KEEP
            self.initial.setdefault("credential", KEEP)

    @classmethod
    def for_source(cls, source: GitSource | None, data: Any = None) -> GitSourceForm:
        initial = {}
        if source is not None:
            initial = {
                "repository_url": source.repository_url,
                "branch": source.branch,
                "subfolder": source.subfolder,
                "username": source.username,
                "known_hosts": source.known_hosts,
            }
        return cls(data, initial=initial, source=source)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("credential")
        if choice == TOKEN and not data.get("token"):
            self.add_error("token", "Give the access token.")
        if choice == PASTE and not data.get("ssh_private_key"):
            self.add_error("ssh_private_key", "Paste the private key.")
        return data

    def service_values(self) -> dict[str, Any]:
        """The keyword arguments of apps.git.services.configure."""
        data = self.cleaned_data
        choice = data["credential"]
        return {
            "repository_url": data["repository_url"],
            "branch": data["branch"],
            "subfolder": data["subfolder"],
            "username": data["username"],
            "known_hosts": data["known_hosts"],
            "token": data["token"] if choice == TOKEN else None,
            "ssh_private_key": data["ssh_private_key"] if choice == PASTE else None,
            "generate_key": choice == GENERATE,
            "clear_credentials": choice == NONE,
        }
