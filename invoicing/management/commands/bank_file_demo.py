"""Write a Bankgirot BgMax file paying some open demo invoices, to upload on the bank file page."""

from pathlib import Path

from django.core.management.base import BaseCommand

from invoicing.receivables.bank_files.demo import demo_bgmax_file


class Command(BaseCommand):
    help = (
        "Write a BgMax file paying open demo invoices by OCR (in full, in part, by amount "
        "and payer, with a wrong check digit) for the bank file page's upload."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default="demo-bgmax.txt", help="Where to write the file")

    def handle(self, *args, **options):
        content, story = demo_bgmax_file()
        Path(options["output"]).write_bytes(content)
        for line in story:
            self.stdout.write(f"  {line}")
        self.stdout.write(f"Wrote {options['output']}: upload it on /billing/bank-files/.")
