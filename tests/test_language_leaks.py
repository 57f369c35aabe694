"""No English and no raw code on a Swedish or Danish page or document (issue 16, item 2).

Every page of the finance UI that answers GET (the authorization matrix's table, for each role
that may open it) and the proposals and invoices in each of their states are rendered in
Swedish and Danish; so are the documents a customer receives (invoice and credit note PDFs,
the statement, the invoice and reminder e-mails) for a Swedish and a Danish customer. The text
a reader sees is extracted (HTML without scripts and styles, plus the placeholders, titles and
labels a browser shows; PDFs through ``pdftotext``) and checked for:

- an English message of our catalogues: every msgid that the language translates differently,
  cut at its placeholders into the phrases of two words or more that it prints as they are;
- a raw choice value (``hour``, ``credit``, ``retention_release``...): the stored value of any
  of the project's choices whose label the language translates;
- a number not written the language's way: a decimal point (``1666.60``), English grouping
  (``25,725.00``), or an amount of four digits or more without grouping (``33332,00``). Dates
  (ISO and Danish ``31.12.2026``), times and codes (invoice numbers, IBANs) are not numbers.

The names in the data (a worker called "Worker 7", a category called "Development") and a few
codes are allowed by ``ALLOWED``. The data is built once for the module and rolled back.
"""

from __future__ import annotations

import datetime
import re
import subprocess
from decimal import Decimal
from functools import cache
from pathlib import Path

import lxml.html
import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from contracts.rate_files import LAYOUTS
from contracts.texts import stored_form
from invoicing.invoices import credits, documents, posting
from invoicing.invoices.retention import proposal_retention_release_add
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import ProposalLine
from invoicing.receivables import emails
from invoicing.receivables.dispatch_models import DispatchKind
from invoicing.receivables.statement_documents import statement_document_context, statement_pdf
from invoicing.transactions import imports, timesheets
from invoicing.transactions.models import ImportBatch
from tests import test_authorization_matrix as matrix
from tests.factories import (
    BillingRuleFactory,
    CustomerFactory,
    ImportBatchFactory,
    WorkerFactory,
)
from tests.invoicing.builders import DAY, contract_with_customer, hours

LANGUAGES = ("sv", "da")
OUR_APPS = ("contracts", "funding", "invoicing", "collaboration", "einvoice", "config")

#: Text that may stand as it is: names and codes of the data, product names, units.
ALLOWED = {
    "sv": {"sent"},  # "för sent" is Swedish
    "da": set(),
}
ALLOWED_PHRASES = (
    "Network switch",
    "Management fee",
    "Signed",
    "Chargeable",
    "Peppol BIS",
    "Factur-X",
    "PDF/A",
    "Django",
    "30 days net",  # the payment terms' name in the test data
    "Billing 3.0",  # Peppol BIS Billing 3.0
)


# ------------------------------------------------------------------------------------------
# What a reader sees
# ------------------------------------------------------------------------------------------


def html_text(content: bytes) -> str:
    """The text of a page as a reader meets it: element text without scripts, styles and
    templates, and the attributes a browser shows (placeholder, title, alt, aria-label, the
    value of a button)."""
    if not content.strip():
        return ""
    tree = lxml.html.fromstring(content)
    # <code> holds literal codes: the column names a timesheet file must have, for one.
    for element in tree.xpath("//script|//style|//noscript|//template|//code"):
        element.drop_tree()
    parts = [" ".join(tree.itertext())]
    for attribute in ("placeholder", "title", "alt", "aria-label"):
        parts += tree.xpath(f"//@{attribute}")
    parts += tree.xpath("//input[@type='submit' or @type='button']/@value")
    return "\n".join(str(part) for part in parts)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


# ------------------------------------------------------------------------------------------
# What must not be there
# ------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]|\{\{?[^}]*\}?\}|%%")


@cache
def english_phrases(language: str) -> re.Pattern:
    """Our catalogue's msgids that the language writes differently, as the phrases they print
    between their placeholders (two words or more)."""
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    phrases = set()
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not any(strings) or any(string == ids[0] for string in strings):
            continue
        for msgid in ids:
            for fragment in _PLACEHOLDER.split(msgid):
                fragment = " ".join(fragment.split()).strip(" .,:;·()–-\"'“”")
                if len(re.findall(r"[A-Za-z]{2,}", fragment)) >= 2:
                    phrases.add(fragment)
    phrases -= {phrase for phrase in phrases if phrase in ALLOWED_PHRASES}
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


@cache
def raw_choice_values(language: str) -> frozenset[str]:
    """Stored values of our choices that the language labels with other words."""
    values = set()
    seen = set()
    stack = list(models.Choices.__subclasses__())
    while stack:
        choices = stack.pop()
        stack += choices.__subclasses__()
        if choices in seen or not choices.__module__.startswith(OUR_APPS):
            continue
        seen.add(choices)
        with translation.override(language):
            for value, label in choices.choices:
                if (
                    isinstance(value, str)
                    and re.fullmatch(r"[a-z][a-z_]{2,}", value)
                    and str(label).lower() != value
                ):
                    values.add(value)
    return frozenset(values - ALLOWED[language])


_NOT_NUMBERS = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"  # ISO dates and times
    r"|\b\d{1,2}\.\d{1,2}\.\d{4}\b"  # Danish dates
    r"|\b\d{1,2}[:.]\d{2}\b(?=\s*(?:$|\n))"  # times at the end of a line
    r"|\b[A-Z]{2}\d{2}[A-Z0-9 ]{10,30}\b"  # IBAN
    r"|[A-Za-z]+[-/]?\d[\w-]*"  # codes: SE-2, K0001, W0003, PRJ0001, v3
    r"|\d+[-/][\w-]*[A-Za-z][\w-]*"  # codes that start with digits: 2026-demo
)
_WRONG_NUMBERS = {
    # A decimal point where the language writes a comma; English grouping.
    "sv": re.compile(r"\d\.\d|\d,\d{3}[.,]\d|\b\d{4,},\d"),
    "da": re.compile(r"\d,\d{3}\.\d|\d\.\d{1,2}(?!\d)|\d\.\d{4,}|\b\d{4,},\d"),
}


def leaks(text: str, language: str) -> list[str]:
    """What in ``text`` is English, a raw code or a number in another language's format."""
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    found = []
    for match in english_phrases(language).finditer(text):
        found.append(f"English: {match.group(1)!r} in {context(text, match)!r}")
    for match in re.finditer(r"(?<![\w./@:#=-])[a-z][a-z_]+(?![\w./@-])", text):
        if match.group(0) in raw_choice_values(language):
            found.append(f"raw code: {match.group(0)!r} in {context(text, match)!r}")
    numbers = _NOT_NUMBERS.sub(" ", text)
    for match in _WRONG_NUMBERS[language].finditer(numbers):
        found.append(f"number: {context(numbers, match)!r}")
    return found


def context(text: str, match: re.Match) -> str:
    return " ".join(text[max(0, match.start() - 40) : match.end() + 40].split())


# ------------------------------------------------------------------------------------------
# The data: the matrix's world, a Danish customer's contract with every kind of line, and a
# proposal in each state
# ------------------------------------------------------------------------------------------


def build_documents_world(clerk, approver) -> dict:
    """A Danish and a Swedish customer's contract with fees, retention and a prepayment
    deduction; their invoices, credit notes, a retention release and proposals in every state."""
    world = {}
    for language in LANGUAGES:
        customer = CustomerFactory(language=language)
        contract, project, _source = contract_with_customer(
            customer=customer, retention_percent=Decimal("5"), code=f"LEAK-{language}"
        )
        BillingRuleFactory(
            contract=contract, rule_type="time_material", projects=[project], applies_retention=True
        )
        BillingRuleFactory(
            contract=contract,
            rule_type="fee",
            name="Management fee",
            fee_percent=Decimal("10"),
            projects=[project],
        )
        worker = WorkerFactory(sales_rate=Decimal("1234.50"))

        def proposal_of(quantity, day, contract=contract, project=project, worker=worker):
            hours(project, worker, quantity, date=day)
            [proposal] = generation.proposals_generate(
                contract=contract, up_to_date=day, actor=clerk
            )
            return proposal

        def posted(proposal, day):
            workflow.proposal_submit(proposal=proposal, actor=clerk)
            workflow.proposal_approve(proposal=proposal, actor=approver)
            return posting.invoice_post(proposal=proposal, actor=clerk, invoice_date=day)

        invoice = posted(proposal_of("27", DAY), datetime.date(2026, 4, 1))
        line = invoice.lines.filter(line_type="transaction").first()
        credit = credits.credit_proposal_create(
            invoice=invoice,
            amounts={line.pk: Decimal("1234.50")},
            reason="Wrong hours",
            rebill=False,
            actor=clerk,
        )
        credit_note = posted(credit, datetime.date(2026, 4, 2))
        later = datetime.date(2026, 4, 30)
        release = proposal_of("3", later)
        proposal_retention_release_add(proposal=release, actor=clerk)
        submitted = workflow.proposal_submit(proposal=release, actor=clerk)
        approved = workflow.proposal_approve(proposal=submitted, actor=approver)
        rejected = proposal_of("2", datetime.date(2026, 5, 2))
        workflow.proposal_submit(proposal=rejected, actor=clerk)
        workflow.proposal_reject(proposal=rejected, actor=approver, reason="Wrong rate")
        cancelled = proposal_of("1", datetime.date(2026, 5, 3))
        workflow.proposal_cancel(proposal=cancelled, actor=clerk)
        draft = proposal_of("4", datetime.date(2026, 5, 4))
        world[language] = {
            "customer": customer,
            "contract": contract.pk,
            "invoice": invoice,
            "credit_note": credit_note,
            "proposals": [approved.pk, rejected.pk, cancelled.pk, draft.pk, credit.pk],
        }
    return world


def import_batches(clerk) -> list[int]:
    """A timesheet whose check found errors (made in English, as a background check makes them)
    and one checked and waiting to be confirmed, with its preview."""
    with translation.override("en"):
        errors = [
            [
                3,
                "Hours",
                timesheets._("More than 24 hours on one line (%(value)s).") % {"value": "25"},
                "25",
            ],
            [
                4,
                "Description",
                timesheets._(
                    "The description is %(length)s characters long; at most %(limit)s fit. "
                    "Shorten it."
                )
                % {"length": 1234, "limit": 500},
                "",
            ],
            [
                5,
                "Entry ID",
                timesheets._(
                    "The entry id is missing; every line needs the id the timesheet system gave it."
                ),
                "",
            ],
        ]
    invalid = ImportBatchFactory(
        created_by=clerk,
        status="invalid",
        total_rows=4,
        error_count=len(errors),
        errors=[
            [row, column, stored_form(message), value] for row, column, message, value in errors
        ],
    )
    preview = {
        "row": "2", "entry_id": "TS-1", "date": "2026-03-02", "project": "P-1", "kind": "hour",
        "quantity": "8", "sales_price": "1234.50", "sales_amount": "9876.00", "chargeable": "yes",
        "description": "ok",
    }  # fmt: skip
    checked = ImportBatchFactory(
        created_by=clerk, status="validated", total_rows=1, new_rows=1, preview=[preview]
    )
    return [invalid.pk, checked.pk]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("leak-media"))
    media.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            data = matrix.build_world()
            users = data["users"]
            data["documents"] = build_documents_world(users[matrix.FINANCE], users[matrix.APPROVER])
            data["import_batches"] = import_batches(users[matrix.FINANCE])
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
    media.disable()


# ------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------

#: Answers that are not pages (files, JSON, redirects) are not read.
NOT_PAGES = {"health", "api_schema", "set_language"}


def shared_out(roles, language: str) -> list[str]:
    """The roles a page is read as in ``language``: the roles that may open it are shared out
    between the two languages (every page is read in both, and as every role in one of them),
    which halves the requests; a page only one role may open is read as it in both."""
    roles = sorted(roles)
    mine = roles[LANGUAGES.index(language) :: len(LANGUAGES)]
    return mine or roles[:1]


def page_urls(world, language: str) -> list[tuple[str, str, str]]:
    """(label, role, url) of every page: each matrix page for the roles that may GET it, and
    each proposal and invoice of the documents' world for the clerk and the approver."""
    urls = []
    for entry in matrix.PAGES:
        if entry.get is None or entry.name in NOT_PAGES or entry.get_status != 200:
            continue
        for role in shared_out(entry.get, language):
            urls.append((entry.label, role, matrix.url_of(entry, world, role)))
    for pk in world["import_batches"]:
        url = reverse("invoicing:import_detail", args=[pk])
        urls.append((f"import {pk}", matrix.FINANCE, url))
    for customer_language, data in world["documents"].items():
        for role in shared_out((matrix.FINANCE, matrix.APPROVER), language):
            for pk in data["proposals"]:
                url = reverse("invoicing:proposal_detail", args=[pk])
                urls.append((f"proposal {pk} ({customer_language})", role, url))
            for invoice in (data["invoice"], data["credit_note"]):
                url = reverse("invoicing:invoice_detail", args=[invoice.pk])
                urls.append((f"invoice {invoice.number} ({customer_language})", role, url))
        invoice = data["invoice"]
        for name, args in (
            ("invoicing:invoice_credit", [invoice.pk]),
            ("contracts:contract_detail", [data["contract"]]),
            ("contracts:contract_billing", [data["contract"]]),
            ("invoicing:customer_detail", [data["customer"].pk]),
            ("invoicing:customer_statement", [data["customer"].pk]),
        ):
            urls.append((f"{name} ({customer_language})", matrix.FINANCE, reverse(name, args=args)))
    return urls


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.no_cover  # reads pages other tests cover; untraced it takes half the time
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_leaks_english_codes_or_foreign_numbers(client, world, language):
    """Every page, for every role that may open it, in Swedish and Danish."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    found = []
    for label, role, url in page_urls(world, language):
        client.force_login(world["users"][role])
        with transaction.atomic():
            response = client.get(url)
            transaction.set_rollback(True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        found += [
            f"{label} as {role}: {leak}" for leak in leaks(html_text(response.content), language)
        ]
    assert not sorted(set(found)), "\n".join(sorted(set(found)))


# ------------------------------------------------------------------------------------------
# Documents
# ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.no_cover  # reads pages other tests cover; untraced it takes half the time
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_document_leaks_english_codes_or_foreign_numbers(world, language):
    """The customer's documents, in the customer's language, from top to bottom."""
    data = world["documents"][language]
    texts = {}
    for invoice in (data["invoice"], data["credit_note"]):
        texts[invoice.number] = pdf_text(documents.invoice_pdf(invoice))
        for kind in (DispatchKind.DOCUMENT, DispatchKind.REMINDER):
            subject, body = emails.email_texts(invoice, kind=kind, attachments=[])
            texts[f"{invoice.number} {kind} e-mail"] = f"{subject}\n{body}"
    with translation.override(language):
        context = statement_document_context(data["customer"], currency="SEK")
        texts["statement"] = pdf_text(statement_pdf(context))
    found = [f"{name}: {leak}" for name, text in texts.items() for leak in leaks(text, language)]
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------------------
# The test cannot be fooled
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "leak"),
    [
        ("sv", "Kredit: Management fee 10 %: 10 % of 25,725.00", "number"),
        ("sv", "Innehållet belopp frisläppt: 1666.60000000000", "number"),
        ("sv", "Innehållet belopp 5 % av 33332,00", "number"),
        ("da", "Tilbageholdelse 5 % af 33332,00", "number"),
        ("da", "I alt 1666.60", "number"),
        ("sv", "Delsumma credit", "raw code"),
        ("da", "Art: retention_release", "raw code"),
        ("sv", "Retention given back on the credited amount", "English"),
        ("da", "Enter the amount paid as a number", "English"),
    ],
)
def test_the_check_finds_what_the_issue_saw(language, text, leak):
    assert any(found.startswith(leak) for found in leaks(text, language)), leaks(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "Att betala 25\xa0725,00 SEK den 2026-04-30, faktura SE-2, Worker 7"),
        ("da", "At betale 25.725,00 DKK den 30.04.2026, faktura DK-2, IBAN DK5000400440116243"),
        ("sv", "Moms 25 % på 1\u202f234,50, kl. 14:05"),
    ],
)
def test_the_check_passes_the_languages_own_text(language, text):
    assert leaks(text, language) == []


@pytest.mark.django_db
def test_a_posted_line_prints_in_the_customers_language_and_shows_in_the_readers(world):
    """The fee line was generated while the clerk read English; the Danish customer's invoice
    froze it in Danish at posting (the PDF prints that), and a Swedish reader's page shows it
    in Swedish from its kind and parameters."""
    invoice = world["documents"]["da"]["invoice"]
    fee = invoice.lines.get(line_type="fee")
    assert fee.description == "Management fee: 10 % af 33.331,50"
    with translation.override("sv"):
        assert fee.text == "Management fee: 10 % av 33\xa0331,50"
    assert "Management fee: 10 % af 33.331,50" in documents.invoice_html(invoice)
    retention = invoice.lines.get(line_type="retention")
    assert retention.description.startswith("Tilbageholdelse 5 % af ")


# ------------------------------------------------------------------------------------------
# Answers to POST: form errors and messages after an action (issue 16, item 3)
# ------------------------------------------------------------------------------------------


def form_values(content: bytes, field: str) -> dict:
    """What a browser sends from the page's form that has ``field``, as the page filled it."""
    for form in lxml.html.fromstring(content).forms:
        if field in form.inputs:
            return dict(form.form_values())
    raise AssertionError(f"no form with {field!r}")


def broken_file(name: str = "broken.csv") -> SimpleUploadedFile:
    """A file a clerk might pick by mistake: binary bytes under a CSV's name."""
    return SimpleUploadedFile(name, b"\x00\xffPK\x03\x04 not;a;timesheet\n\x00", "text/csv")


def post_cases(world, language: str) -> list[tuple]:
    """(label, role, url, field of the page's form to start from or None, what is sent, and
    what happens next if anything): the
    main finance forms sent wrong, and actions that end with a message, on the contract and
    the invoice of a customer who reads ``language``."""
    data = world["documents"][language]
    invoice = data["invoice"]
    invoice_line = invoice.lines.filter(line_type="transaction").first()
    contract = world["contract"]
    draft = world["draft"]
    draft_line = ProposalLine.objects.filter(proposal_id=draft, line_type="transaction").first()
    lines = reverse("invoicing:proposal_lines", args=[draft])
    payment = reverse("invoicing:invoice_payment", args=[invoice.pk])
    credit = reverse("invoicing:invoice_credit", args=[invoice.pk])
    credit_line = {f"line-{invoice_line.pk}": "on", "reason": "Wrong hours"}
    clerk, approver = matrix.FINANCE, matrix.APPROVER
    return [
        # Form errors
        ("contract form", clerk, reverse("contracts:contract_create"), "code",
         {"code": "", "contract_value": "12x", "retention_percent": "150", "start_date": "x"}),
        ("funding rule form", clerk, reverse("funding:rule_create", args=[contract]), "priority",
         {"priority": "x", "valid_from": "x"}),
        ("billing rule form", clerk, reverse("contracts:billing_rule_create", args=[contract]),
         "name", {"name": "", "rule_type": "fee", "fee_percent": "12,5x"}),
        ("payment form", clerk, payment, None,
         {"operation": "payment", "amount": "x", "paid_on": "x", "method": "bank_transfer"}),
        ("credit amount not a number", clerk, credit, None,
         {**credit_line, f"amount-{invoice_line.pk}": "x"}),
        ("credit more than open", clerk, credit, None,
         {**credit_line, f"amount-{invoice_line.pk}": "99999999"}),
        ("timesheet upload", clerk, reverse("invoicing:import_upload"), None,
         {"file": broken_file()}, checked_in_the_background),
        ("timesheet upload, not a CSV", clerk, reverse("invoicing:import_upload"), None,
         {"file": broken_file("hours.xlsx")}),
        ("rate file upload", clerk, reverse("contracts:exchange_rate_upload"), None,
         {"layout": next(iter(LAYOUTS)), "file": broken_file()}),
        ("exchange rate form", clerk, reverse("contracts:exchange_rate_create"), "rate",
         {"currency": "EUR", "rate_date": "x", "rate": "x"}),
        ("line edit quantity", clerk, lines, None,
         {"operation": "edit", "line": draft_line.pk, "quantity": "x"}),
        ("line edit price", clerk, lines, None,
         {"operation": "edit", "line": draft_line.pk, "sales_price": "-5"}),
        ("fee without amount", clerk, lines, None, {"operation": "fee", "description": ""}),
        # Messages after an action that succeeded
        ("line changed", clerk, lines, None,
         {"operation": "edit", "line": draft_line.pk, "quantity": "3"}),
        ("fee added", clerk, lines, None,
         {"operation": "fee", "description": "Travel", "amount": "100"}),
        ("submitted", clerk, reverse("invoicing:proposal_action", args=[draft, "submit"]), None,
         {}),
        ("approved", approver,
         reverse("invoicing:proposal_action", args=[world["submitted"], "approve"]), None, {}),
        ("marked sent", clerk, payment, None, {"operation": "sent"}),
        ("payment recorded", clerk, payment, None,
         {"operation": "payment", "amount": "1", "paid_on": "2026-04-10",
          "method": "bank_transfer"}),
        ("credit proposal created", clerk, credit, None,
         {**credit_line, f"amount-{invoice_line.pk}": "1"}),
    ]  # fmt: skip


def checked_in_the_background(client, response):
    """The uploaded timesheet's page once the background check (in no reader's language) has
    found its errors."""
    batch = ImportBatch.objects.latest("pk")
    with translation.override("en"):
        imports.import_batch_validate(batch_id=batch.pk)
    return client.get(batch.get_absolute_url())


def answered_with_feedback(content: bytes) -> bool:
    """The answer says something about what was sent: a message or a form error."""
    return any(mark in content for mark in (b'role="alert"', b"alert-danger", b"is-invalid"))


@pytest.mark.django_db
@pytest.mark.slow
@pytest.mark.no_cover  # reads pages other tests cover; untraced it takes half the time
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_answer_to_a_post_leaks_english_codes_or_foreign_numbers(client, world, language):
    """Form errors and the messages after an action, in Swedish and Danish, read with the same
    check as the pages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    found, silent = [], []
    for label, role, url, field, sent, *then in post_cases(world, language):
        client.force_login(world["users"][role])
        with transaction.atomic():
            data = form_values(client.get(url).content, field) if field else {}
            data.update(sent)
            response = client.post(url, data, follow=True)
            for step in then:
                response = step(client, response)
            transaction.set_rollback(True)
        assert response.status_code == 200, f"{label}: {response.status_code}"
        if not answered_with_feedback(response.content):
            silent.append(label)
        found += [f"{label}: {leak}" for leak in leaks(html_text(response.content), language)]
    assert not silent, f"said nothing: {silent}"
    assert not sorted(set(found)), "\n".join(sorted(set(found)))


@pytest.mark.django_db
def test_a_refused_credit_names_the_line_in_the_readers_language(client, world):
    """A Swedish reader crediting the Danish customer's fee line with a wrong amount reads the
    line in Swedish in the message, not as the Danish invoice printed it."""
    invoice = world["documents"]["da"]["invoice"]
    fee = invoice.lines.get(line_type="fee")
    client.force_login(world["users"][matrix.FINANCE])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"
    with transaction.atomic():
        response = client.post(
            reverse("invoicing:invoice_credit", args=[invoice.pk]),
            {f"line-{fee.pk}": "on", f"amount-{fee.pk}": "x", "reason": "Wrong"},
        )
        transaction.set_rollback(True)
    messages = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("Management fee: 10 % av 33") for message in messages), messages
