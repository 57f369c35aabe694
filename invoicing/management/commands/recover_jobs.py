"""Resume or fail every stalled background job (run_worker does this by itself every minute;
this command is for a server without a worker, or to do it now)."""

from django.core.management.base import BaseCommand

from invoicing.jobs import jobs_recover


class Command(BaseCommand):
    help = (
        "Find imports, billing runs and PDF batches whose worker stopped (no heartbeat for "
        "JOB_STALE_AFTER): resume billing runs and PDF batches, mark imports failed."
    )

    def handle(self, *args, **options):
        recovery = jobs_recover()
        for name, ids in vars(recovery).items():
            self.stdout.write(f"{name.replace('_', ' ')}: {', '.join(map(str, ids)) or '-'}")
