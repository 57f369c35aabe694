"""Tell finance about invoices that became overdue (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from invoicing.receivables.reminders import overdue_invoices_notify


class Command(BaseCommand):
    help = "Notify the finance team of each newly overdue invoice (once per invoice)."

    def handle(self, *args, **options):
        reported = overdue_invoices_notify()
        self.stdout.write(
            ngettext(
                "%(count)d newly overdue invoice reported.",
                "%(count)d newly overdue invoices reported.",
                reported,
            )
            % {"count": reported}
        )
