"""The pure voucher builder (invoicing/ledger/vouchers.py): the worked examples of DOMAIN.md
booked in figures, and the property that every voucher balances to the cent."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.money import percent_of
from invoicing.ledger.charts import BAS, DANISH, standard_chart_for
from invoicing.ledger.vouchers import (
    DocumentLine,
    DocumentVat,
    LineRole,
    MappingIncomplete,
    SalesDocument,
    Settlement,
    VoucherUnbalanced,
    credit_application_legs,
    internal_charge_legs,
    lines_balance,
    payment_legs,
    refund_legs,
    reversed_lines,
    sales_document_legs,
    voucher_lines,
)

D = Decimal
SE = BAS.account_map()
DK = DANISH.account_map()


def book(document, accounts=SE, base="SEK"):
    legs = sales_document_legs(document, accounts=accounts)
    return voucher_lines(legs, accounts=accounts, base_currency=base, currency=document.currency)


def by_account(lines):
    totals = {}
    for line in lines:
        totals[line.account] = totals.get(line.account, D("0")) + line.amount
    return totals


def test_example_e1_booked_receivable_revenue_and_vat():
    """E1: 200 hours x 100.00 + fee 10 % = 22,000.00 net, 25 % VAT 5,500.00, gross 27,500.00."""
    document = SalesDocument(
        currency="SEK",
        gross=D("27500.00"),
        lines=(
            DocumentLine(D("20000.00"), kind="hour", vat_category="S", vat_rate=D("25")),
            DocumentLine(D("2000.00"), kind="fee", vat_category="S", vat_rate=D("25")),
        ),
        taxes=(DocumentVat("S", D("25"), D("5500.00")),),
    )
    lines = book(document)
    assert by_account(lines) == {
        "1510": D("27500.00"),
        "3001": D("-22000.00"),
        "2611": D("-5500.00"),
    }
    assert lines_balance(lines) == 0


def test_example_t1_booked_with_items_on_their_own_revenue_account_when_mapped():
    """T1: 800 hours x 150.00 + office supplies 2,000.00 = 122,000.00 (25 % VAT 30,500.00);
    a category rule sends the supplies to their own account."""
    from dataclasses import replace

    from invoicing.ledger.vouchers import Rule

    accounts = replace(SE, rules=(*SE.rules, Rule("revenue", "3011", category_id=7)))
    document = SalesDocument(
        currency="SEK",
        gross=D("152500.00"),
        lines=(
            DocumentLine(D("120000.00"), kind="hour", vat_category="S", vat_rate=D("25")),
            DocumentLine(
                D("2000.00"), kind="expense", category_id=7, vat_category="S", vat_rate=D("25")
            ),
        ),
        taxes=(DocumentVat("S", D("25"), D("30500.00")),),
    )
    assert by_account(book(document, accounts)) == {
        "1510": D("152500.00"),
        "3001": D("-120000.00"),
        "3011": D("-2000.00"),
        "2611": D("-30500.00"),
    }


def test_retention_withheld_goes_to_the_retention_receivable_and_release_comes_off_it():
    """10,000.00 of work with 10 % retention: the invoice charges 9,000.00 + 25 % VAT; revenue
    is the whole 10,000.00, 1,000.00 waits on the retention receivable until released."""
    withheld = SalesDocument(
        currency="SEK",
        gross=D("11250.00"),
        lines=(
            DocumentLine(D("10000.00"), kind="hour", vat_category="S", vat_rate=D("25")),
            DocumentLine(
                D("-1000.00"), role=LineRole.RETENTION, vat_category="S", vat_rate=D("25")
            ),
        ),
        taxes=(DocumentVat("S", D("25"), D("2250.00")),),
    )
    assert by_account(book(withheld)) == {
        "1510": D("11250.00"),
        "3001": D("-10000.00"),
        "1518": D("1000.00"),
        "2611": D("-2250.00"),
    }
    released = SalesDocument(
        currency="SEK",
        gross=D("1250.00"),
        lines=(
            DocumentLine(D("1000.00"), role=LineRole.RETENTION, vat_category="S", vat_rate=D("25")),
        ),
        taxes=(DocumentVat("S", D("25"), D("250.00")),),
    )
    assert by_account(book(released)) == {
        "1510": D("1250.00"),
        "1518": D("-1000.00"),
        "2611": D("-250.00"),
    }


def test_prepayment_is_a_liability_until_deducted():
    """A time-and-material prepayment of 5,000.00 is invoiced on account (a liability, not
    revenue); the next invoice of 4,000.00 of hours deducts 2,000.00 of it."""
    prepayment = SalesDocument(
        currency="SEK",
        gross=D("6250.00"),
        lines=(
            DocumentLine(
                D("5000.00"),
                role=LineRole.PREPAYMENT,
                kind="on_account",
                vat_category="S",
                vat_rate=D("25"),
            ),
        ),
        taxes=(DocumentVat("S", D("25"), D("1250.00")),),
    )
    assert by_account(book(prepayment)) == {
        "1510": D("6250.00"),
        "2450": D("-5000.00"),
        "2611": D("-1250.00"),
    }
    later = SalesDocument(
        currency="SEK",
        gross=D("2500.00"),
        lines=(
            DocumentLine(D("4000.00"), kind="hour", vat_category="S", vat_rate=D("25")),
            DocumentLine(
                D("-2000.00"),
                role=LineRole.PREPAYMENT,
                kind="on_account",
                vat_category="S",
                vat_rate=D("25"),
            ),
        ),
        taxes=(DocumentVat("S", D("25"), D("500.00")),),
    )
    assert by_account(book(later)) == {
        "1510": D("2500.00"),
        "3001": D("-4000.00"),
        "2450": D("2000.00"),
        "2611": D("-500.00"),
    }


def test_credit_note_settles_the_receivable_and_the_rest_is_customer_credit():
    """A credit note of 27,500.00 on an invoice with 7,500.00 still open: 7,500.00 comes off the
    receivable, 20,000.00 becomes customer credit."""
    document = SalesDocument(
        currency="SEK",
        gross=D("-27500.00"),
        lines=(DocumentLine(D("-22000.00"), kind="hour", vat_category="S", vat_rate=D("25")),),
        taxes=(DocumentVat("S", D("25"), D("-5500.00")),),
        is_credit_note=True,
        settled=D("7500.00"),
    )
    assert by_account(book(document)) == {
        "3001": D("22000.00"),
        "2611": D("5500.00"),
        "1510": D("-7500.00"),
        "2420": D("-20000.00"),
    }


def test_reverse_charge_and_exports_book_no_vat_on_their_own_revenue_accounts():
    document = SalesDocument(
        currency="SEK",
        gross=D("3000.00"),
        lines=(
            DocumentLine(D("1000.00"), kind="hour", vat_category="K"),
            DocumentLine(D("1000.00"), kind="item", vat_category="K"),
            DocumentLine(D("1000.00"), kind="hour", vat_category="G"),
        ),
        taxes=(DocumentVat("K", D("0"), D("0.00")), DocumentVat("G", D("0"), D("0.00"))),
    )
    assert by_account(book(document)) == {
        "1510": D("3000.00"),
        "3308": D("-1000.00"),
        "3108": D("-1000.00"),
        "3305": D("-1000.00"),
    }


def test_danish_invoice_books_to_the_standard_chart():
    """E1-DK: 22,000.00 DKK net at Danish 25 % VAT."""
    document = SalesDocument(
        currency="DKK",
        gross=D("27500.00"),
        lines=(DocumentLine(D("22000.00"), kind="hour", vat_category="S", vat_rate=D("25")),),
        taxes=(DocumentVat("S", D("25"), D("5500.00")),),
    )
    assert by_account(book(document, DK, "DKK")) == {
        "6190": D("27500.00"),
        "1010": D("-22000.00"),
        "7680": D("-5500.00"),
    }


def test_foreign_currency_invoice_is_converted_and_rounding_goes_to_the_rounding_account():
    """333.33 + 200.05 EUR + 25 % VAT (133.35) = 666.73 EUR at 11.4567: each line converted
    half-up (3,818.86 + 2,291.91 + 1,527.75 = 7,638.52), the receivable 7,638.53; the 0.01
    left over is öresavrundning."""
    document = SalesDocument(
        currency="EUR",
        gross=D("666.73"),
        lines=(
            DocumentLine(D("333.33"), kind="hour", vat_category="S", vat_rate=D("25")),
            DocumentLine(D("200.05"), kind="item", vat_category="S", vat_rate=D("25")),
        ),
        taxes=(DocumentVat("S", D("25"), D("133.35")),),
        rate=D("11.4567"),
    )
    lines = book(document)
    assert lines_balance(lines) == 0
    receivable = next(line for line in lines if line.account == "1510")
    assert (receivable.amount, receivable.currency_amount) == (D("7638.53"), D("666.73"))
    assert [(line.account, line.amount) for line in lines if line.currency_amount is None] == [
        ("3740", D("-0.01"))
    ]


def test_payment_at_another_rate_books_the_exchange_difference():
    """1,250.00 EUR booked at 11.00 paid when the rate is 11.20: 250.00 SEK gain."""
    legs = payment_legs(
        amount=D("1250.00"),
        rate=D("11.20"),
        settlements=[Settlement(D("1250.00"), D("11.00"), "INV-1")],
        accounts=SE,
    )
    lines = voucher_lines(legs, accounts=SE, base_currency="SEK", currency="EUR")
    assert by_account(lines) == {
        "1930": D("14000.00"),
        "1510": D("-13750.00"),
        "3960": D("-250.00"),
    }


def test_payment_surplus_is_customer_credit_and_its_use_and_refund_clear_it():
    lines = voucher_lines(
        payment_legs(amount=D("30000.00"), rate=None, settlements=[Settlement(D("27500.00"))], accounts=SE),
        accounts=SE, base_currency="SEK", currency="SEK",
    )  # fmt: skip
    assert by_account(lines) == {
        "1930": D("30000.00"),
        "1510": D("-27500.00"),
        "2420": D("-2500.00"),
    }
    applied = voucher_lines(
        credit_application_legs(amount=D("1000.00"), rate=None, invoice_rate=None, accounts=SE),
        accounts=SE, base_currency="SEK", currency="SEK",
    )  # fmt: skip
    assert by_account(applied) == {"2420": D("1000.00"), "1510": D("-1000.00")}
    refunded = voucher_lines(
        refund_legs(amount=D("1500.00"), rate=None, accounts=SE),
        accounts=SE, base_currency="SEK", currency="SEK",
    )  # fmt: skip
    assert by_account(refunded) == {"2420": D("1500.00"), "1930": D("-1500.00")}


def test_internal_charge_has_no_receivable_and_no_vat():
    lines = voucher_lines(
        internal_charge_legs(amount=D("5000.00"), rate=None, accounts=SE),
        accounts=SE, base_currency="SEK", currency="SEK",
    )  # fmt: skip
    assert by_account(lines) == {"7990": D("5000.00"), "3990": D("-5000.00")}


def test_reversed_lines_undo_the_voucher():
    lines = book(
        SalesDocument(
            currency="SEK",
            gross=D("125.00"),
            lines=(DocumentLine(D("100.00"), vat_category="S", vat_rate=D("25")),),
            taxes=(DocumentVat("S", D("25"), D("25.00")),),
        )
    )
    undone = reversed_lines(lines)
    assert [line.amount for line in undone] == [-line.amount for line in lines]


def test_document_whose_figures_do_not_add_up_is_refused():
    document = SalesDocument(
        currency="SEK",
        gross=D("126.00"),
        lines=(DocumentLine(D("100.00"), vat_category="S", vat_rate=D("25")),),
        taxes=(DocumentVat("S", D("25"), D("25.00")),),
    )
    with pytest.raises(VoucherUnbalanced):
        book(document)


def test_a_mapping_without_an_account_for_a_line_says_so():
    from invoicing.ledger.vouchers import AccountMap

    with pytest.raises(MappingIncomplete, match="receivables"):
        AccountMap(single={}).account("receivables")


def test_the_country_chooses_the_standard_chart():
    assert standard_chart_for("DK") is DANISH
    assert standard_chart_for("SE") is BAS
    assert standard_chart_for("DE") is BAS


# ------------------------------------------------------------------------------------------
# Every voucher balances to the cent
# ------------------------------------------------------------------------------------------

VAT = st.sampled_from(
    [
        ("S", D("25")),
        ("S", D("12")),
        ("S", D("6")),
        ("E", D("0")),
        ("K", D("0")),
        ("AE", D("0")),
        ("G", D("0")),
        ("", D("25")),
    ]
)
AMOUNT = st.decimals(min_value=D("-99999.99"), max_value=D("99999.99"), places=2)
RATE = st.one_of(st.none(), st.decimals(min_value=D("0.0100"), max_value=D("200.0000"), places=4))


@st.composite
def sales_documents(draw):
    lines = draw(
        st.lists(
            st.builds(
                lambda amount, role, kind, vat: DocumentLine(
                    amount, role, kind, None, vat[0], vat[1]
                ),
                AMOUNT,
                st.sampled_from([LineRole.REVENUE, LineRole.RETENTION, LineRole.PREPAYMENT]),
                st.sampled_from(["hour", "expense", "item", "fee", "on_account", ""]),
                VAT,
            ),
            min_size=1,
            max_size=12,
        )
    )
    bases = {}
    for line in lines:
        key = (line.vat_category or ("S" if line.vat_rate else ""), line.vat_rate)
        bases[key] = bases.get(key, D("0")) + line.amount
    taxes = tuple(
        DocumentVat(category, rate, percent_of(base, rate))
        for (category, rate), base in bases.items()
    )
    gross = sum((line.amount for line in lines), D("0")) + sum(
        (tax.amount for tax in taxes), D("0")
    )
    is_credit_note = draw(st.booleans()) and gross < 0
    settled = D("0")
    if is_credit_note:
        settled = draw(st.decimals(min_value=D("0"), max_value=-gross, places=2))
    rate = draw(RATE)
    return SalesDocument(
        currency="EUR" if rate else "SEK",
        gross=gross,
        lines=tuple(lines),
        taxes=taxes,
        rate=rate,
        is_credit_note=is_credit_note,
        settled=settled,
    )


@settings(max_examples=200, deadline=None)
@given(sales_documents())
def test_every_invoice_and_credit_note_voucher_balances_to_the_cent(document):
    lines = book(document)
    assert lines_balance(lines) == 0
    assert all(
        line.amount != 0 and line.amount == line.amount.quantize(D("0.01")) for line in lines
    )
    if document.rate is None:
        # In the entity's own currency nothing is rounded: every line is the document's figure.
        assert all(line.account != "3740" for line in lines)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
    parts=st.lists(st.tuples(st.integers(1, 100), RATE), max_size=6),
    rate=RATE,
    reversal=st.booleans(),
)
def test_every_payment_voucher_balances_to_the_cent(amount, parts, rate, reversal):
    weights = sum(weight for weight, _rate in parts) or 1
    settlements = [
        Settlement((amount * weight / weights / 2).quantize(D("0.01")), part_rate)
        for weight, part_rate in parts
    ]
    foreign = rate is not None
    if foreign:
        settlements = [Settlement(s.amount, s.rate or rate) for s in settlements]
    else:
        settlements = [Settlement(s.amount) for s in settlements]
    sign = -1 if reversal else 1
    legs = payment_legs(
        amount=sign * amount,
        rate=rate,
        settlements=[Settlement(sign * s.amount, s.rate) for s in settlements],
        accounts=SE,
    )
    lines = voucher_lines(
        legs, accounts=SE, base_currency="SEK", currency="EUR" if foreign else "SEK"
    )
    assert lines_balance(lines) == 0
