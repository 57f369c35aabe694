"""SIE 4I files: the pure writer (quoting, code page 437, balance) and the export of a legal
entity's period read back by an independent parser and compared with the database."""

import datetime
import hashlib
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from invoicing.ledger import exports
from invoicing.ledger.models import LedgerExport, Voucher
from invoicing.ledger.sie import (
    SieCompany,
    SieTransaction,
    SieUnbalanced,
    SieVoucher,
    sie_quote,
    sie_write,
)
from tests.invoicing.ledger.sie_parser import parse
from tests.invoicing.ledger.test_services import pay, post_e1

D = Decimal
COMPANY = SieCompany(
    name="Örebro Bygg & Byrå AB",
    organization_number="556677-8899",
    currency="SEK",
    fiscal_year_start=datetime.date(2026, 1, 1),
    fiscal_year_end=datetime.date(2026, 12, 31),
)


def voucher(number=1, text='Faktura 1, Åkesson "Ände" AB', amounts=("125.00", "-100.00", "-25.00")):
    accounts = ("1510", "3001", "2611")
    return SieVoucher(
        series="A",
        number=number,
        date=datetime.date(2026, 3, 31),
        text=text,
        transactions=tuple(SieTransaction(a, D(x)) for a, x in zip(accounts, amounts, strict=True)),
    )


def test_sie_file_has_the_4i_header_and_round_trips_swedish_letters_in_cp437():
    data = sie_write(
        company=COMPANY,
        accounts=[
            ("1510", "Kundfordringar"),
            ("2611", "Utgående moms 25 %"),
            ("3001", "Försäljning"),
        ],
        vouchers=[voucher()],
        generated_on=datetime.date(2026, 4, 1),
        generated_by="karin",
    )
    assert data.startswith(b"#FLAGGA 0\r\n")
    assert "ö".encode("cp437") in data and "Å".encode("cp437") in data
    parsed = parse(data)
    assert parsed.labels["#FORMAT"] == ["PC8"]
    assert parsed.labels["#SIETYP"] == ["4"]
    assert parsed.labels["#FNAMN"] == ["Örebro Bygg & Byrå AB"]
    assert parsed.labels["#ORGNR"] == ["556677-8899"]
    assert parsed.labels["#RAR"] == ["0", "20260101", "20261231"]
    assert parsed.labels["#GEN"] == ["20260401", "karin"]
    assert parsed.labels["#PROGRAM"][0] == "Project billing"
    assert parsed.accounts["2611"] == "Utgående moms 25 %"
    [read] = parsed.vouchers
    assert (read.series, read.number, read.date) == ("A", 1, datetime.date(2026, 3, 31))
    assert read.text == 'Faktura 1, Åkesson "Ände" AB'
    assert read.transactions == [
        ("1510", D("125.00")),
        ("3001", D("-100.00")),
        ("2611", D("-25.00")),
    ]


def test_sie_quote_escapes_quotes_and_drops_control_characters():
    assert sie_quote('A "B"\tC\n') == '"A \\"B\\"C"'


def test_characters_outside_code_page_437_become_question_marks():
    data = sie_write(
        company=COMPANY, accounts=[], vouchers=[voucher(text="Łódź €")],
        generated_on=datetime.date(2026, 4, 1),
    )  # fmt: skip
    assert parse(data).vouchers[0].text == "?ód? ?"  # ó is in code page 437


def test_an_unbalanced_voucher_is_never_written():
    with pytest.raises(SieUnbalanced, match="A7"):
        sie_write(
            company=COMPANY, accounts=[], vouchers=[voucher(7, amounts=("125.00", "-100.00", "-24.99"))],
            generated_on=datetime.date(2026, 4, 1),
        )  # fmt: skip


# ------------------------------------------------------------------------------------------
# The export of a legal entity's period
# ------------------------------------------------------------------------------------------


@pytest.fixture
def booked(people):
    """E1 posted 2026-01-01 and paid 2026-02-01, a second E1 posted 2026-03-01 (with
    retention), all by the same Swedish entity."""
    invoice = post_e1(people)
    entity = invoice.legal_entity
    entity.name = "Nordic Projekt Åre AB"
    entity.organization_number = "5566778899"
    entity.save()
    pay(invoice, people, "27500.00")
    post_e1(people, legal_entity=entity, on=datetime.date(2026, 3, 1), retention_percent=D("10"))
    return entity


def export(
    entity,
    people,
    fmt="sie",
    start=datetime.date(2026, 1, 1),
    end=datetime.date(2026, 12, 31),
    **extra,
):
    return exports.ledger_export(
        legal_entity=entity,
        date_from=start,
        date_to=end,
        export_format=fmt,
        actor=people["clerk"],
        **extra,
    )


def test_sie_export_reads_back_and_matches_the_database(booked, people):
    exported = export(booked, people)
    parsed = parse(exported.content)
    assert parsed.labels["#FNAMN"] == ["Nordic Projekt Åre AB"]
    assert parsed.labels["#ORGNR"] == ["556677-8899"]
    vouchers = Voucher.objects.filter(legal_entity=booked).prefetch_related("lines")
    assert len(parsed.vouchers) == vouchers.count() == 3
    by_label = {v.label: v for v in vouchers}
    for read in parsed.vouchers:
        assert sum(amount for _account, amount in read.transactions) == 0
        stored = by_label[f"{read.series}{read.number}"]
        assert read.date == stored.date and read.text == stored.text
        assert read.transactions == [(line.account, line.amount) for line in stored.lines.all()]
    used = {account for read in parsed.vouchers for account, _amount in read.transactions}
    assert set(parsed.accounts) == used
    assert parsed.accounts["1510"] == "Kundfordringar"
    record = exported.record
    assert (record.voucher_count, record.created_by) == (3, people["clerk"])
    assert record.sha256 == hashlib.sha256(exported.content).hexdigest()
    assert exported.filename.endswith(".se")


def test_exporting_an_overlapping_period_warns_until_confirmed(booked, people):
    export(booked, people, end=datetime.date(2026, 1, 31))
    with pytest.raises(exports.ExportOverlaps, match="overlaps 1 earlier export"):
        export(booked, people, start=datetime.date(2026, 1, 15), end=datetime.date(2026, 2, 28))
    assert LedgerExport.objects.count() == 1
    again = export(
        booked,
        people,
        start=datetime.date(2026, 1, 15),
        end=datetime.date(2026, 2, 28),
        confirm_overlap=True,
    )
    assert again.record.overlap_confirmed and again.record.voucher_count == 1
    # Another format is another system: no warning.
    export(booked, people, fmt="csv", end=datetime.date(2026, 1, 31))


def test_export_refuses_backwards_periods_two_years_in_one_sie_file_and_other_roles(booked, people):
    with pytest.raises(ValidationError, match="ends before it starts"):
        export(booked, people, start=datetime.date(2026, 2, 1), end=datetime.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="one financial year"):
        export(booked, people, start=datetime.date(2025, 12, 1), end=datetime.date(2026, 1, 31))
    with pytest.raises(PermissionDenied):
        exports.ledger_export(
            legal_entity=booked, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 1, 31),
            export_format="sie", actor=people["approver"],
        )  # fmt: skip
    assert not LedgerExport.objects.exists()


def test_csv_and_xlsx_journal_have_one_row_per_voucher_line(booked, people):
    import io

    csv_file = export(booked, people, fmt="csv")
    text = csv_file.content.decode("utf-8-sig").splitlines()
    lines = sum(v.lines.count() for v in Voucher.objects.filter(legal_entity=booked))
    assert len(text) == 1 + lines
    assert text[0].startswith("Verifikation;Datum;")  # the Swedish entity's accountant's language
    debits = [row.split(";")[6] for row in text[1:] if row.split(";")[6]]
    assert debits and all("," in debit and "." not in debit for debit in debits)  # 1234,50
    xlsx = export(booked, people, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + lines
    debit = sum(D(str(row[6])) for row in rows[1:] if row[6] is not None)
    credit = sum(D(str(row[7])) for row in rows[1:] if row[7] is not None)
    assert debit == credit
