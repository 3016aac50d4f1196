"""`manage.py seed_demo`: the demo organisation, its users and six months of answers."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from surveys.demo import ORG_NAME, PASSWORD, credentials, demo_seed


class Command(BaseCommand):
    help = (
        f"Create the demo organisation “{ORG_NAME}” with a user per role and six months of "
        "employee and customer answers. Does nothing when it exists, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo organisation first and rebuild it"
        )
        parser.add_argument(
            "--small", action="store_true", help="A quarter of the customer answers (for tests)"
        )

    def handle(self, *args, **options):
        summary = demo_seed(reset=options["reset"], small=options["small"], log=self.stdout.write)
        self.stdout.write("")
        self.stdout.write(f"Sign in at /accounts/login/ with password “{PASSWORD}”:")
        for role, email, team in credentials():
            self.stdout.write(f"  {role:<11} {email:<32} {team}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo {'ready' if summary['created'] else 'already there'}: 1 org, "
                f"{summary['teams']} teams, {summary['people']} people, {summary['surveys']} "
                f"surveys, {summary['responses']:,} responses ({summary['answers']:,} answers) "
                f"in {summary['seconds']:.1f} s"
            )
        )
