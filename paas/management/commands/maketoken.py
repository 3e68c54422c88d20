"""Print a new team API token as the only line on stdout (for operators and scripts)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from paas import services
from paas.models import Team


class Command(BaseCommand):
    help = "Create an API token for a team and print it (the only line on stdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--team", required=True, help="team slug")
        parser.add_argument("--scopes", default="read", help="comma-separated: read,deploy,admin")
        parser.add_argument("--name", default="cli", help="a name to recognise the token by")
        parser.add_argument("--create-team", action="store_true", help="create the team if missing")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["team"]
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            if not options["create_team"]:
                raise CommandError(f"No team with slug {slug!r} (add --create-team to create it).")
            team = Team.objects.create(name=slug, slug=slug)
        try:
            _, raw = services.create_token(
                team=team, name=options["name"], scopes=options["scopes"], principal=None
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(raw)
