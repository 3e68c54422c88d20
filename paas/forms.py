"""Portal forms: they check the shape of input; the service functions check the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django import forms
from django.conf import settings

from paas.access import Level
from paas.models import Role, Scope
from paas.services import MAX_INVITE_DAYS


def roles_up_to(level: Level) -> list[tuple[str, str]]:
    """The roles a member at ``level`` may hand out: owners any, admins up to admin."""
    if level >= Level.OWNER:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value != Role.OWNER]


class TeamForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        help_text="Letters, digits, spaces, dots, hyphens or apostrophes.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class SwitchTeamForm(forms.Form):
    team = forms.SlugField()


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, level: Level = Level.OWNER, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_up_to(level)  # type: ignore[attr-defined]


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)
    email = forms.EmailField(
        required=False,
        help_text="Optional: fills in the sign-up form and reminds you who it was for.",
    )
    days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=MAX_INVITE_DAYS, required=False
    )

    def __init__(self, *args: Any, level: Level = Level.OWNER, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles_up_to(level)  # type: ignore[attr-defined]
        self.fields["days"].initial = settings.BERTH_INVITE_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=60,
        help_text="What uses it, e.g. “CI deploys”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        error_messages={"required": "Choose at least one scope."},
        help_text="read: look; deploy: create and deploy apps; admin: manage the team's apps and settings.",
    )
    expires_at = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at 00:00 UTC that day.",
    )

    def clean_expires_at(self) -> datetime | None:
        day: date | None = self.cleaned_data.get("expires_at")
        return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)
