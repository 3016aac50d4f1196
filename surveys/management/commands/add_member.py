"""Bootstraps an installation: `add_member --org Acme --email a@b.c --password ... --role hr_admin`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from surveys.models import Role
from surveys.services import member_add


class Command(BaseCommand):
    help = (
        "Create (or update) a user who signs in with their email, with a role in an organisation. "
        "Creates the organisation and team if missing. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organisation name")
        parser.add_argument("--email", required=True, help="Email; also the username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}")
        parser.add_argument("--team", default=None, help="Team name (created if missing)")

    def handle(self, *args, **options):
        try:
            membership = member_add(
                organization_name=options["org"],
                email=options["email"],
                password=options["password"],
                role=options["role"],
                team_name=options["team"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        team = f" in team {membership.team}" if membership.team else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{membership.user.username} is {membership.get_role_display()} "
                f"of {membership.organization}{team}."
            )
        )
