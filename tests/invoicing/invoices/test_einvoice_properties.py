"""Property: whatever an invoice holds, its e-invoice passes the UBL schema, the EN 16931 rules
and the Peppol rules (issue 14, item 7). Invoices are drawn with hours, expenses, items, fees,
on-account lines and prepayment deductions at Swedish 25/12/6 % and Danish 25 %, zero-rated,
exempt and reverse-charge lines, retention, in the seller's currency or in euro; their totals
come from the same pure function posting uses (``totals.invoice_totals``), and the record is
mapped by the same code posting uses (``einvoices.document_of_record``). A negative total is a
credit note. No database: the records are built in memory."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.money import round_money
from einvoice.references import payment_reference_for
from einvoice.ubl import ubl_bytes
from einvoice.validation import validate
from invoicing.invoices.einvoices import document_of_record
from invoicing.proposals.totals import TaxableLine, VatTreatment, invoice_totals

D = Decimal
SELLERS = {
    "SE": {
        "code": "LE1", "name": "Nordic Projects AB", "street": "Sveavägen 1",
        "postal_code": "111 57", "city": "Stockholm", "country": "SE",
        "country_name": "Sweden", "vat_number": "SE556677889901",
        "organization_number": "5566778899", "f_skatt": True, "registered_office": "Stockholm",
        "email": "", "phone": "", "bank_name": "", "iban": "SE4550000000058398257466",
        "bic": "ESSESESS", "bankgiro": "50501055", "plusgiro": "", "fik_creditor_number": "",
    },
    "DK": {
        "code": "LE2", "name": "Nordic Projects ApS", "street": "Vesterbrogade 1",
        "postal_code": "1620", "city": "København", "country": "DK",
        "country_name": "Denmark", "vat_number": "DK32712452", "organization_number": "32712452",
        "f_skatt": False, "registered_office": "København", "email": "", "phone": "",
        "bank_name": "", "iban": "DK5000400440116243", "bic": "DABADKKK", "bankgiro": "",
        "plusgiro": "", "fik_creditor_number": "81234567",
    },
}  # fmt: skip
BUYERS = {
    "SE": {"country": "SE", "vat_number": "SE556000111601", "peppol_scheme": "0007",
           "peppol_identifier": "5560001116"},
    "DK": {"country": "DK", "vat_number": "DK13585628", "peppol_scheme": "",
           "peppol_identifier": ""},
}  # fmt: skip
TREATMENTS = {
    "SE": [
        VatTreatment(D("25.00"), "SE 25 %", "S"),
        VatTreatment(D("12.00"), "SE 12 %", "S"),
        VatTreatment(D("6.00"), "SE 6 %", "S"),
        VatTreatment(D("0.00"), "Zero rated", "Z"),
        VatTreatment(D("0.00"), "Exempt", "E", "VATEX-EU-132-1B", "Exempt from VAT"),
        VatTreatment(D("0.00"), "EU reverse charge", "AE", "VATEX-EU-AE", "Reverse charge"),
    ],
    "DK": [
        VatTreatment(D("25.00"), "DK 25 %", "S"),
        VatTreatment(D("0.00"), "Nulmoms", "Z"),
        VatTreatment(D("0.00"), "Momsfritaget", "E", "VATEX-EU-132-1B", "Momsfritaget"),
        VatTreatment(D("0.00"), "Omvendt betalingspligt", "AE", "VATEX-EU-AE", "Reverse charge"),
    ],
}
money = st.decimals(min_value=D("0.01"), max_value=D("25000"), places=2)
quantities = st.decimals(min_value=D("0.25"), max_value=D("400"), places=2)


@st.composite
def records(draw):
    country = draw(st.sampled_from(["SE", "DK"]))
    treatments = TREATMENTS[country]
    lines = []
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["hour", "expense", "item", "fee", "on_account", "deduction"]))
        treatment = draw(st.sampled_from(treatments))
        if kind in ("hour", "item"):
            quantity, price = draw(quantities), draw(money)
            amount = round_money(quantity * price)
        else:
            quantity, price, amount = D("1"), None, draw(money)
        line_type = {"fee": "fee", "deduction": "deduction", "on_account": "on_account"}.get(
            kind, "transaction"
        )
        if kind == "deduction":
            amount = -amount
        lines.append((line_type, kind, quantity, price, amount, treatment))
    is_credit = draw(st.booleans())
    if is_credit:  # a credit note credits lines: every amount negative
        lines = [(t, k, q, p, -a, treatment) for t, k, q, p, a, treatment in lines]
    retention_percent = draw(st.sampled_from([D("0"), D("5"), D("10")]))
    currency = draw(
        st.sampled_from([SELLERS[country]["country"] == "SE" and "SEK" or "DKK", "EUR"])
    )
    return country, lines, retention_percent, currency


def invoice_record(country, lines, retention_percent, currency):
    treatments = TREATMENTS[country]
    taxable = [
        TaxableLine(amount, treatment.rate, treatment.label, line_type, *treatment[2:])
        for line_type, _kind, _quantity, _price, amount, treatment in lines
    ]
    totals = invoice_totals(
        lines=taxable,
        retention_percent=retention_percent,
        retention_tax=treatments[0],
        currency=currency,
    )
    records = [
        SimpleNamespace(
            line_type=line_type, kind=kind, description=f"{kind} {index}", quantity=quantity,
            unit_price=price, amount=amount, tax_rate=treatment.rate,
            vat_category=treatment.category, exemption_reason_code=treatment.exemption_reason_code,
            exemption_reason=treatment.exemption_reason,
        )
        for index, (line_type, kind, quantity, price, amount, treatment) in enumerate(lines)
    ]  # fmt: skip
    if totals.retention is not None:
        records.append(
            SimpleNamespace(
                line_type="retention", kind="", description=totals.retention.description,
                quantity=D("1"), unit_price=None, amount=totals.retention.amount,
                tax_rate=treatments[0].rate, vat_category=treatments[0].category,
                exemption_reason_code="", exemption_reason="",
            )
        )  # fmt: skip
    taxes = [
        SimpleNamespace(
            vat_category=tax.category, rate=tax.rate, base=tax.base, amount=tax.tax,
            exemption_reason_code=tax.exemption_reason_code, exemption_reason=tax.exemption_reason,
        )
        for tax in totals.taxes
    ]  # fmt: skip
    is_credit = totals.gross < 0
    seller = SELLERS[country]
    home = "SEK" if country == "SE" else "DKK"
    rate = D("11.2345") if country == "SE" else D("7.4601")
    tax_currency = None
    if currency != home:
        tax_currency = {
            "currency": home,
            "vat_total": str(sum((round_money(tax.tax * rate) for tax in totals.taxes), D("0"))),
        }
    buyer = {
        **BUYERS[country], "code": "C1", "name": "Kund AB", "street": "Gatan 2",
        "postal_code": "222 22", "city": "Lund", "country_name": "", "language": "sv",
        "email": "", "buyer_reference": "SBK-4711",
    }  # fmt: skip
    invoice = SimpleNamespace(
        document_type="credit_note" if is_credit else "invoice",
        number="F7",
        language="sv" if country == "SE" else "da",
        invoice_date=datetime.date(2026, 4, 30),
        due_date=datetime.date(2026, 5, 30),
        currency=currency,
        gross_total=totals.gross,
        credit_reason="Wrong hours" if is_credit else "",
        snapshot={
            "seller": seller,
            "buyer": buyer,
            "contract": {
                "code": "K-1", "buyer_reference": "SBK-4711", "order_reference": "",
                "customer_reference": "", "payment_terms": {"name": "30 days net"},
            },
            "credited_invoice": {"number": "F3", "invoice_date": "2026-04-01"}
            if is_credit else None,
            "payment_reference": None if is_credit else payment_reference_for(
                number=7, country=country, bankgiro=seller["bankgiro"],
                fik_creditor_number=seller["fik_creditor_number"],
            ),
            "supply_period": {"start": "2026-04-01", "end": "2026-04-30"},
            "tax_currency": tax_currency,
        },
    )  # fmt: skip
    return invoice, records, taxes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_every_drawn_invoice_is_a_valid_peppol_document(drawn):
    invoice, lines, taxes = invoice_record(*drawn)
    document = document_of_record(invoice, lines, taxes)
    xml = ubl_bytes(document)
    fatal = [finding for finding in validate(xml, document.kind) if finding.is_fatal]
    assert fatal == [], (fatal, xml.decode())
