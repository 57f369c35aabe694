"""Booking through the services: each posted document and receivables record writes one
balanced voucher in its own transaction, numbered per legal entity and series without gaps,
through the entity's mapping (its country's standard chart when it has none)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.invoices import credits, posting
from invoicing.invoices.models import InternalCharge
from invoicing.ledger import services
from invoicing.ledger.models import AccountRule, LedgerAccount, Voucher, VoucherKind
from invoicing.proposals import generation, workflow
from invoicing.receivables import payments
from invoicing.receivables.models import CreditApplication
from tests.factories import (
    BillingRuleFactory,
    CustomerFactory,
    ExchangeRateFactory,
    LegalEntityFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours
from tests.invoicing.invoices.test_credits import approve_and_post
from tests.invoicing.invoices.test_posting import approved_e1

pytestmark = pytest.mark.django_db
D = Decimal
JAN_1 = datetime.date(2026, 1, 1)
FEB_1 = datetime.date(2026, 2, 1)


def lines_of(voucher):
    return {line.account: line.amount for line in voucher.lines.all()}


def post_e1(people, *, on=JAN_1, **contract_fields):
    proposal = approved_e1(people, **contract_fields)
    return posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=on)


def pay(invoice, people, amount, *, on=FEB_1, **extra):
    return payments.payment_record(
        customer=invoice.customer,
        currency=invoice.currency,
        amount=D(amount),
        paid_on=on,
        allocations=extra.pop("allocations", [(invoice, None)]),
        actor=people["clerk"],
        **extra,
    )


def test_example_e1_posting_books_voucher_a1(people):
    invoice = post_e1(people)
    voucher = invoice.voucher
    assert (voucher.series, voucher.number, voucher.kind, voucher.date) == (
        "A",
        1,
        "invoice",
        JAN_1,
    )
    assert voucher.legal_entity_id == invoice.legal_entity_id
    assert lines_of(voucher) == {
        "1510": D("27500.00"),
        "3001": D("-22000.00"),
        "2611": D("-5500.00"),
    }
    assert voucher.text.startswith("Faktura ")  # the Swedish entity's books are in Swedish
    names = {line.account: line.account_name for line in voucher.lines.all()}
    assert names["1510"] == "Kundfordringar"


def test_first_posting_installs_the_countrys_standard_chart(people):
    invoice = post_e1(people)
    entity = invoice.legal_entity
    assert LedgerAccount.objects.filter(legal_entity=entity, number="1930").exists()
    assert (
        AccountRule.objects.filter(legal_entity=entity, purpose="receivables").get().account.number
        == "1510"
    )


def test_danish_entity_books_to_the_danish_standard_chart(people):
    """E1-DK: the Danish entity posts in DKK at Danish VAT."""
    invoice = post_e1(people, legal_entity=LegalEntityFactory(danish=True), currency="DKK")
    assert lines_of(invoice.voucher) == {
        "6190": D("27500.00"),
        "1010": D("-22000.00"),
        "7680": D("-5500.00"),
    }
    assert invoice.voucher.text.startswith("Faktura ")


def test_retention_withheld_is_booked_on_the_retention_receivable(people):
    invoice = post_e1(people, retention_percent=D("10"))
    assert lines_of(invoice.voucher) == {
        "1510": D("24750.00"),
        "1518": D("2200.00"),
        "3001": D("-22000.00"),
        "2611": D("-4950.00"),
    }


def test_vouchers_are_numbered_per_entity_and_series_without_gaps(people):
    first = post_e1(people)
    second = post_e1(people, legal_entity=first.legal_entity)
    payment = pay(first, people, "27500.00")
    other = post_e1(people)  # another legal entity: its own series
    assert [first.voucher.number, second.voucher.number] == [1, 2]
    assert (payment.voucher.series, payment.voucher.number) == ("B", 1)
    assert (other.voucher.series, other.voucher.number) == ("A", 1)


def test_a_refused_posting_gives_its_voucher_number_back(people):
    """A posting that fails after its voucher is written rolls the number back with it."""
    first = post_e1(people)
    with pytest.raises(ValidationError):
        post_e1(
            people, legal_entity=first.legal_entity, on=datetime.date(2020, 1, 1), currency="EUR"
        )
    second = post_e1(people, legal_entity=first.legal_entity)
    assert second.voucher.number == 2


def test_payment_reversal_and_credit_note_keep_receivables_and_books_in_step(people):
    invoice = post_e1(people)
    payment = pay(invoice, people, "30000.00", keep_surplus_as_credit=True)
    assert payment.voucher.kind == VoucherKind.PAYMENT
    assert lines_of(payment.voucher) == {
        "1930": D("30000.00"),
        "1510": D("-27500.00"),
        "2420": D("-2500.00"),
    }
    reversal = payments.payment_reverse(
        payment=payment, reason="Wrong customer", actor=people["clerk"]
    )
    assert reversal.voucher.reverses == payment.voucher
    assert lines_of(reversal.voucher) == {
        "1930": D("-30000.00"),
        "1510": D("27500.00"),
        "2420": D("2500.00"),
    }
    # The invoice is open again; a credit note of all of it settles the receivable.
    amounts = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=amounts, reason="Wrong price", rebill=False, actor=people["clerk"]
    )
    credit_note = approve_and_post(proposal, people)
    assert lines_of(credit_note.voucher) == {
        "3001": D("22000.00"),
        "2611": D("5500.00"),
        "1510": D("-27500.00"),
    }


def test_credit_note_on_a_paid_invoice_becomes_customer_credit_then_applied_and_refunded(people):
    invoice = post_e1(people)
    pay(invoice, people, "27500.00")
    amounts = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=amounts, reason="Returned", rebill=False, actor=people["clerk"]
    )
    credit_note = approve_and_post(proposal, people)
    assert lines_of(credit_note.voucher) == {
        "3001": D("22000.00"),
        "2611": D("5500.00"),
        "2420": D("-27500.00"),
    }
    other = post_e1(people, legal_entity=invoice.legal_entity, customer=invoice.customer)
    application = payments.customer_credit_apply(
        customer=invoice.customer, currency="SEK", invoice=other, amount=D("20000.00"),
        applied_on=datetime.date(2026, 4, 20), actor=people["clerk"],
    )  # fmt: skip
    assert lines_of(application.voucher) == {"2420": D("20000.00"), "1510": D("-20000.00")}
    refund = payments.customer_credit_refund(
        customer=invoice.customer, currency="SEK", amount=D("7500.00"), actor=people["clerk"]
    )
    assert lines_of(refund.voucher) == {"2420": D("7500.00"), "1930": D("-7500.00")}


def test_internal_charge_is_booked_in_series_c(people):
    contract, project, source = contract_with_customer()
    source.source_type, source.customer = "organization", None
    source.save()
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    hours(project, WorkerFactory(sales_rate=D("100")), "10")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    charge = posting.invoice_post(proposal=proposal, actor=people["clerk"])
    assert isinstance(charge, InternalCharge)
    assert (charge.voucher.series, charge.voucher.kind) == ("C", "internal_charge")
    assert lines_of(charge.voucher) == {"7990": D("1000.00"), "3990": D("-1000.00")}


def test_foreign_currency_invoice_is_booked_in_the_entitys_currency(people):
    ExchangeRateFactory(currency="EUR", quote_currency="SEK", rate=D("11.0000"), rate_date=JAN_1)
    invoice = post_e1(people, currency="EUR")
    assert invoice.voucher.exchange_rate == D("11.0000")
    assert lines_of(invoice.voucher) == {
        "1510": D("302500.00"),
        "3001": D("-242000.00"),
        "2611": D("-60500.00"),
    }
    ExchangeRateFactory(currency="EUR", quote_currency="SEK", rate=D("11.2000"), rate_date=FEB_1)
    payment = pay(invoice, people, "27500.00")
    assert lines_of(payment.voucher) == {
        "1930": D("308000.00"),
        "1510": D("-302500.00"),
        "3960": D("-5500.00"),
    }


def test_payment_across_two_legal_entities_is_refused_and_nothing_is_written(people):
    first = post_e1(people)
    second = post_e1(people, customer=first.customer)
    with pytest.raises(payments.PaymentRefused, match="several legal entities"):
        pay(first, people, "55000.00", allocations=[(first, None), (second, None)])
    assert not Voucher.objects.filter(kind="payment").exists()
    assert not first.payment_allocations.exists()


def test_payment_kept_wholly_as_credit_uses_the_customers_one_legal_entity(people):
    invoice = post_e1(people)
    payment = payments.payment_record(
        customer=invoice.customer, currency="SEK", amount=D("100.00"), paid_on=FEB_1,
        allocations=[], keep_surplus_as_credit=True, actor=people["clerk"],
    )  # fmt: skip
    assert payment.voucher.legal_entity_id == invoice.legal_entity_id
    assert lines_of(payment.voucher) == {"1930": D("100.00"), "2420": D("-100.00")}


def test_payment_kept_as_credit_of_a_customer_of_two_entities_is_refused(people):
    first = post_e1(people)
    post_e1(people, customer=first.customer)
    with pytest.raises(payments.PaymentRefused, match="several legal entities"):
        payments.payment_record(
            customer=first.customer, currency="SEK", amount=D("100.00"), paid_on=FEB_1,
            allocations=[], keep_surplus_as_credit=True, actor=people["clerk"],
        )  # fmt: skip


def test_voucher_reverse_writes_the_opposite_voucher_once(people):
    invoice = post_e1(people)
    reversal = services.voucher_reverse(
        voucher=invoice.voucher, reason="Wrong account", actor=people["clerk"]
    )
    assert reversal.kind == VoucherKind.REVERSAL and reversal.reverses == invoice.voucher
    assert (reversal.series, reversal.number) == ("A", 2)
    assert lines_of(reversal) == {
        account: -amount for account, amount in lines_of(invoice.voucher).items()
    }
    with pytest.raises(ValidationError, match="already reversed"):
        services.voucher_reverse(voucher=invoice.voucher, reason="Again", actor=people["clerk"])
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        services.voucher_reverse(voucher=reversal, reason="Again", actor=people["clerk"])


def test_voucher_reverse_refuses_payments_without_reason_and_other_roles(people):
    invoice = post_e1(people)
    payment = pay(invoice, people, "100.00")
    with pytest.raises(ValidationError, match="reverse the payment under Receivables"):
        services.voucher_reverse(voucher=payment.voucher, reason="x", actor=people["clerk"])
    with pytest.raises(ValidationError, match="reason"):
        services.voucher_reverse(voucher=invoice.voucher, reason=" ", actor=people["clerk"])
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.voucher_reverse(voucher=invoice.voucher, reason="x", actor=people["approver"])
    assert Voucher.objects.count() == 2


def test_a_mapping_without_a_needed_account_refuses_the_posting_clearly(people):
    proposal = approved_e1(people)
    entity = proposal.contract.legal_entity
    services.chart_defaults_install(legal_entity=entity)
    AccountRule.objects.filter(legal_entity=entity, purpose="receivables").delete()
    with pytest.raises(ValidationError, match="chart of accounts .* is incomplete"):
        posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=JAN_1)
    assert not Voucher.objects.exists()


def test_booking_a_posting_costs_a_bounded_number_of_queries(people):
    """The voucher of an invoice of many lines: the mapping, the number, the voucher and one
    bulk insert of its lines, whatever the number of lines."""
    first = post_e1(people)  # installs the chart
    contract, project, _source = contract_with_customer(legal_entity=first.legal_entity)
    BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
    for _n in range(30):
        hours(project, WorkerFactory(sales_rate=D("100")), "1")
    [proposal] = generation.proposals_generate(
        contract=contract, up_to_date=DAY, actor=people["clerk"]
    )
    workflow.proposal_submit(proposal=proposal, actor=people["clerk"])
    workflow.proposal_approve(proposal=proposal, actor=people["approver"])
    from invoicing.ledger import services as ledger_services

    original = ledger_services.document_posted_book
    counted = {}

    def counting(**kwargs):
        with CaptureQueriesContext(connection) as queries:
            result = original(**kwargs)
        counted["queries"] = [query["sql"] for query in queries]
        return result

    from invoicing.invoices import hooks

    hooks._document_posted[hooks._document_posted.index(original)] = counting
    try:
        invoice = posting.invoice_post(proposal=proposal, actor=people["clerk"], invoice_date=JAN_1)
    finally:
        hooks._document_posted[hooks._document_posted.index(counting)] = original
    assert invoice.voucher.lines.count() == 3
    # the mapping, the transactions behind the lines, the number, the voucher, its lines
    assert len(counted["queries"]) <= 6, counted["queries"]


def test_credit_note_voucher_reads_its_settlement(people):
    invoice = post_e1(people)
    pay(invoice, people, "7500.00")
    amounts = {line.pk: None for line, _left in credits.open_to_credit(invoice)}
    proposal = credits.credit_proposal_create(
        invoice=invoice, amounts=amounts, reason="Returned", rebill=False, actor=people["clerk"]
    )
    credit_note = approve_and_post(proposal, people)
    settled = CreditApplication.objects.get(credit_note=credit_note).amount
    assert settled == D("20000.00")
    assert lines_of(credit_note.voucher) == {
        "3001": D("22000.00"),
        "2611": D("5500.00"),
        "1510": D("-20000.00"),
        "2420": D("-7500.00"),
    }


def test_customer_of_no_entity_when_there_are_several_is_refused(people):
    LegalEntityFactory()
    LegalEntityFactory()
    with pytest.raises(payments.PaymentRefused, match="by none yet"):
        services.customer_legal_entity(CustomerFactory(), "SEK")
