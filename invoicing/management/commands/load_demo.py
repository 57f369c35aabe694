"""Load the demo data (idempotent) and print one login per role."""

from django.core.management.base import BaseCommand

from contracts.demo import demo_exchange_rates_create, demo_setup_create, demo_users_create
from funding.demo import demo_funding_create
from invoicing.demo import demo_activity_create, demo_summary


class Command(BaseCommand):
    help = (
        "Create demo data for every worked example, one user per role and three months of "
        "activity on the demo contracts (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="Where the site is served, for the log-in hint (make run passes HOST and PORT).",
        )
        parser.add_argument(
            "--bare",
            action="store_true",
            help="Only the set-up (contracts, funding, users): no transactions, proposals or invoices.",
        )

    def handle(self, *args, **options):
        demo_setup_create()
        demo_funding_create()
        logins = demo_users_create()
        demo_exchange_rates_create()
        if options["bare"]:
            self.stdout.write("Set-up only (--bare): no activity was added.")
        elif demo_activity_create():
            self.stdout.write("Three months of activity were replayed on the demo contracts.")
        else:
            self.stdout.write("The demo contracts already have activity; none was added.")
        self._summary_write(demo_summary())
        self.stdout.write(f"Log in at {options['url']} with:")
        for username, password, role in logins:
            self.stdout.write(f"  {role:<16} {username:<10} {password}")

    def _summary_write(self, summary: dict) -> None:
        states = summary["proposals"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {summary['contracts']} contracts, "
                f"{summary['transactions']} transactions in {summary['imports']} imports."
            )
        )
        self.stdout.write(
            f"  Proposals: {states['draft']} draft ({summary['rejected']} rejected), "
            f"{states['submitted']} submitted, {states['approved']} approved, "
            f"{states['posted']} posted."
        )
        self.stdout.write(
            f"  Invoices: {summary['invoices']}, credit notes: {summary['credit_notes']}; "
            f"{summary['paid']} paid, {summary['partly_paid']} partly paid, "
            f"{summary['overdue']} overdue."
        )
