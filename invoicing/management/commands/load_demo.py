"""Load the demo data (idempotent) and print one login per role."""

from django.core.management.base import BaseCommand

from contracts.demo import demo_setup_create, demo_users_create
from funding.demo import demo_funding_create


class Command(BaseCommand):
    help = "Create demo set-up data for every worked example and one user per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Where the site is served, for the log-in hint (make run passes HOST and PORT).",
        )

    def handle(self, *args, **options):
        contracts = demo_setup_create()
        demo_funding_create()
        logins = demo_users_create()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(contracts)} contracts."))
        self.stdout.write(f"Log in at {options['url']} with:")
        for username, password, role in logins:
            self.stdout.write(f"  {role:<16} {username:<10} {password}")
