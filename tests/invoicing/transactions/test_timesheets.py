"""Reading and checking timesheet files, without a database."""

import datetime
from decimal import Decimal

import pytest

from invoicing.transactions import timesheets
from invoicing.transactions.timesheet_reader import (
    TimesheetFileError,
    parse_date,
    parse_decimal,
    timesheet_read,
)
from invoicing.transactions.timesheets import (
    CategoryFacts,
    Lookups,
    ProjectFacts,
    WorkerFacts,
    timesheet_validate,
)

D = Decimal
HEADER = "Entry ID;Date;Project;Employee;Activity;Hours;Comment;Currency"


def lookups(**overrides):
    base = Lookups(
        projects={
            "P-1": ProjectFacts(1, "P-1", 10, "time_material", True, "SEK"),
            "P-CLOSED": ProjectFacts(2, "P-CLOSED", 10, "time_material", False, "SEK"),
            "P-INT": ProjectFacts(3, "P-INT", None, "internal", True, None),
        },
        workers={
            "W1": WorkerFacts(1, D("600"), D("1000")),
            "W-OLD": WorkerFacts(2, D("1"), D("2"), False),
        },
        categories={"DEV": CategoryFacts(1, 1, "hour"), "OFFICE": CategoryFacts(2, 2, "expense")},
    )
    for name, value in overrides.items():
        setattr(base, name, value)
    return base


def check(*lines, header=HEADER, encoding="utf-8", **lookup_overrides):
    content = "\n".join([header, *lines]).encode(encoding)
    sheet = timesheet_read(content)
    return timesheet_validate(
        sheet.header, sheet.rows, lookups(**lookup_overrides), labels=sheet.labels
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,5", D("7.5")),
        ("7.5", D("7.5")),
        ("1 234,50", D("1234.50")),
        ("1\u00a0234,50", D("1234.50")),
        ("1.234,50", D("1234.50")),
        ("1,234.50", D("1234.50")),
        ("8", D("8")),
        ("-2", D("-2")),
        ("abc", None),
        ("", None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_numbers_with_decimal_comma_or_point(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02", datetime.date(2026, 3, 2)),
        ("02.03.2026", datetime.date(2026, 3, 2)),
        ("02-03-2026", datetime.date(2026, 3, 2)),
        ("2026-03-02 00:00:00", datetime.date(2026, 3, 2)),
        ("2026-02-30", None),
        ("yesterday", None),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


def test_semicolon_file_with_bom_and_decimal_comma():
    content = ("\ufeff" + HEADER + "\nTS-1;2026-03-02;P-1;W1;DEV;7,5;Work;SEK\n").encode()
    sheet = timesheet_read(content)
    assert sheet.header[:3] == ["entry_id", "date", "project"]
    outcome = timesheet_validate(sheet.header, sheet.rows, lookups())
    assert outcome.errors == []
    draft = outcome.drafts[0]
    assert (draft.quantity, draft.sales_price, draft.sales_amount) == (
        D("7.5"),
        D("1000"),
        D("7500.00"),
    )
    assert (draft.cost_price, draft.cost_amount) == (D("600"), D("4500.00"))


def test_comma_file_with_quoted_decimal_comma():
    header = HEADER.replace(";", ",")
    outcome = check('TS-1,2026-03-02,P-1,W1,DEV,"7,5","Work, more work",SEK', header=header)
    assert outcome.errors == []
    assert outcome.drafts[0].quantity == D("7.5")
    assert outcome.drafts[0].description == "Work, more work"


def test_swedish_and_danish_column_names_are_accepted():
    outcome = check(
        "TS-1;2026-03-02;P-1;W1;DEV;8;Arbete",
        header="Rad-id;Datum;Projekt;Medarbetare;Aktivitet;Timmar;Kommentar",
    )
    assert outcome.errors == [] and len(outcome.drafts) == 1


ROW = "\nTS-1;2026-03-02;P-1;W1;DEV;8;Pärmar åt Café Ölund – €;SEK"


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ((HEADER + ROW).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"), "utf-8"),
        # what Swedish and Danish Excel saves as "CSV (semicolon)"
        ((HEADER + ROW).encode("cp1252"), "windows-1252"),
        # Excel's "Unicode text"
        ((HEADER + ROW).encode("utf-16"), "utf-16"),
    ],
)
def test_utf8_windows_1252_and_utf16_files_are_read_and_say_which(content, encoding):
    sheet = timesheet_read(content)
    assert sheet.encoding == encoding
    assert sheet.rows[0][6] == "Pärmar åt Café Ölund – €"


def test_file_in_no_known_encoding_is_refused_with_advice():
    # 0x81 is undefined in Windows-1252 and not UTF-8 after 0x41
    with pytest.raises(TimesheetFileError, match="neither UTF-8 nor Windows-1252"):
        timesheet_read((HEADER + "\nTS-1;2026-03-02;P-1;W1;DEV;8;A").encode() + b"\x81\xe9;SEK")


def test_missing_required_column_is_refused():
    with pytest.raises(TimesheetFileError, match="hours"):
        timesheet_read(b"Entry ID;Date;Project;Employee;Activity\nTS-1;2026-03-02;P-1;W1;DEV")


def test_unknown_column_is_refused_with_its_position():
    with pytest.raises(TimesheetFileError, match="Column 9, 'Bonus'"):
        timesheet_read((HEADER + ";Bonus\n").encode())


def test_empty_file_is_refused():
    with pytest.raises(TimesheetFileError, match="empty"):
        timesheet_read(b"")


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("TS-1;2026-02-30;P-1;W1;DEV;8;x;SEK", "Date", "is not a date"),
        ("TS-1;;P-1;W1;DEV;8;x;SEK", "Date", "The date is missing"),
        ("TS-1;2026-03-02;NOPE;W1;DEV;8;x;SEK", "Project", "Unknown project 'NOPE'"),
        ("TS-1;2026-03-02;P-CLOSED;W1;DEV;8;x;SEK", "Project", "is closed"),
        ("TS-1;2026-03-02;P-INT;W1;DEV;8;x;SEK", "Project", "internal or cost project"),
        ("TS-1;2026-03-02;P-1;W9;DEV;8;x;SEK", "Employee", "Unknown worker 'W9'"),
        ("TS-1;2026-03-02;P-1;;DEV;8;x;SEK", "Employee", "Hours need a worker"),
        ("TS-1;2026-03-02;P-1;W-OLD;DEV;8;x;SEK", "Employee", "not active"),
        ("TS-1;2026-03-02;P-1;W1;XYZ;8;x;SEK", "Activity", "Unknown category 'XYZ'"),
        ("TS-1;2026-03-02;P-1;W1;OFFICE;8;x;SEK", "Activity", "is for expense lines"),
        ("TS-1;2026-03-02;P-1;W1;DEV;-2;x;SEK", "Hours", "more than zero"),
        ("TS-1;2026-03-02;P-1;W1;DEV;0;x;SEK", "Hours", "more than zero"),
        ("TS-1;2026-03-02;P-1;W1;DEV;abc;x;SEK", "Hours", "'abc' is not a number"),
        ("TS-1;2026-03-02;P-1;W1;DEV;25;x;SEK", "Hours", "More than 24 hours"),
        ("TS-1;2026-03-02;P-1;W1;DEV;8;x;EUR", "Currency", "contract of project P-1 is in SEK"),
        (";2026-03-02;P-1;W1;DEV;8;x;SEK", "Entry ID", "entry id is missing"),
    ],
)
def test_each_bad_row_is_named_by_row_and_column(line, column, message):
    outcome = check("TS-0;2026-03-02;P-1;W1;DEV;8;fine;SEK", line)
    assert outcome.drafts[0].external_reference == "TS-0"
    assert len(outcome.drafts) == 1
    assert [(error.row, error.column) for error in outcome.errors] == [(3, column)]
    assert message in outcome.errors[0].message


def test_a_row_can_have_several_errors():
    outcome = check("TS-1;bad;NOPE;W1;DEV;abc;x;SEK")
    assert {error.column for error in outcome.errors} == {"Date", "Project", "Hours"}


def test_duplicate_entry_id_in_the_file_names_the_first_row():
    outcome = check("TS-1;2026-03-02;P-1;W1;DEV;8;a;SEK", "TS-1;2026-03-03;P-1;W1;DEV;8;b;SEK")
    assert outcome.errors[0].row == 3
    assert "first on row 2" in outcome.errors[0].message


def test_row_imported_before_with_the_same_values_is_skipped():
    fingerprint = timesheets.transaction_fingerprint(
        datetime.date(2026, 3, 2), 1, 1, 1, D("8.0000"), "hour"
    )
    outcome = check("TS-1;2026-03-02;P-1;W1;DEV;8;a;SEK", existing={"TS-1": fingerprint})
    assert (outcome.drafts, outcome.unchanged_rows, outcome.errors) == ([], 1, [])


def test_row_imported_before_with_other_values_is_an_error():
    fingerprint = timesheets.transaction_fingerprint(
        datetime.date(2026, 3, 2), 1, 1, 1, D("7"), "hour"
    )
    outcome = check("TS-1;2026-03-02;P-1;W1;DEV;8;a;SEK", existing={"TS-1": fingerprint})
    assert "imported before with other values" in outcome.errors[0].message


def test_expense_needs_a_cost_price_and_is_billed_at_cost():
    header = HEADER + ";Kind;Cost price"
    outcome = check(
        "TS-1;2026-03-02;P-1;;OFFICE;1;Paper;SEK;expense;",
        "TS-2;2026-03-02;P-1;;OFFICE;2;Paper;SEK;expense;120,50",
        header=header,
    )
    assert [(e.row, e.column) for e in outcome.errors] == [(2, "Cost price")]
    assert outcome.drafts[0].sales_amount == D("241.00")


def test_progress_is_reported_while_checking(monkeypatch):
    monkeypatch.setattr(timesheets, "PROGRESS_EVERY", 2)
    seen = []
    lines = [f"TS-{n};2026-03-02;P-1;W1;DEV;1;x;SEK" for n in range(5)]
    sheet = timesheet_read("\n".join([HEADER, *lines]).encode())
    timesheet_validate(sheet.header, sheet.rows, lookups(), progress=seen.append)
    assert seen == [2, 4]


def test_a_stray_quote_refuses_the_file_instead_of_swallowing_the_rows():
    # Given 2,001 rows, the second of which opens a quote it never closes
    good = [f"TS-{n};2026-03-02;P-1;W1;DEV;1;row {n};SEK" for n in range(3, 2003)]
    lines = ["TS-1;2026-03-02;P-1;W1;DEV;1;fine;SEK", 'TS-2;2026-03-02;P-1;W1;DEV;1;"oops;SEK']
    # When it is read, then it is refused, naming the line where the quote opens
    with pytest.raises(TimesheetFileError, match="Line 3 opens a quoted text"):
        check(*lines, *good)


def test_a_nul_byte_refuses_the_file_with_its_line():
    with pytest.raises(TimesheetFileError, match="Line 3 contains a NUL character"):
        check("TS-1;2026-03-02;P-1;W1;DEV;1;fine;SEK", "TS-2;2026-03-02;P-1;W1;DEV;1;a\0b;SEK")


def test_a_cell_over_the_csv_limit_refuses_the_file():
    huge = "x" * 200_000
    with pytest.raises(TimesheetFileError, match="Line 2 has a cell longer than"):
        check(f'TS-1;2026-03-02;P-1;W1;DEV;1;"{huge}";SEK')


def test_a_description_longer_than_500_characters_is_an_error_not_cut():
    outcome = check("TS-1;2026-03-02;P-1;W1;DEV;1;" + "d" * 501 + ";SEK")
    assert outcome.drafts == []
    [error] = outcome.errors
    assert (error.row, error.column) == (2, "Comment")
    assert "501 characters long; at most 500 fit" in error.message
