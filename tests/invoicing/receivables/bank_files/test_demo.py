"""The demo's BgMax file pays open invoices the way the bank file page should show them."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from invoicing.receivables.bank_files import services
from invoicing.receivables.bank_files.demo import demo_bgmax_file

pytestmark = pytest.mark.django_db


def test_demo_file_shows_matched_partly_matched_and_waiting(invoices, people, tmp_path):
    content, story = demo_bgmax_file(today=datetime.date(2026, 2, 3))
    upload = services.bank_file_upload(content=content, file_name="demo.txt", actor=people["clerk"])
    rows = list(upload.bank_file.payments.order_by("position"))
    assert [row.match_kind for row in rows] == [
        "matched",  # in full by OCR
        "partly_matched",  # half by OCR
        "matched",  # the rest: OCR typed wrong, found by amount and payer
        "matched",  # no reference: amount and payer
        "unmatched",  # a stranger
    ]
    assert rows[-1].amount == Decimal("499.00")
    assert len(story) == 5
    call_command("bank_file_demo", output=str(tmp_path / "demo.txt"))
    assert (tmp_path / "demo.txt").read_bytes().startswith(b"01BGMAX")
