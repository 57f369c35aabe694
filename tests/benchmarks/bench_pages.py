"""Benchmark: every list and detail page of the finance UI and the admin changelists of the big
tables, on PostgreSQL, with the data set of issue 17 (or a ``--scale`` of it):

    1,000 contracts, 1,000,000 transactions, ~1.87M funding allocations, 21,000 proposals with
    ~1.83M lines, 20,000 posted invoices with ~1.78M lines, ~4,000 of them unpaid.

    .venv/bin/python tests/benchmarks/bench_pages.py --scale 0.1         # 100 contracts
    .venv/bin/python tests/benchmarks/bench_pages.py                     # the full data set
    .venv/bin/python tests/benchmarks/bench_pages.py --scale 0.1 --only proposal,receivables
    .venv/bin/python tests/benchmarks/bench_pages.py --scale 0.1 --client   # no gunicorn

The scale multiplies the contracts; each contract is the same at every scale (1,000 hour
transactions over eleven months, a grant paying 40 % up to a limit it reaches in the tenth month
and the customer the rest, monthly billing runs, so a proposal has ~90 lines whatever the scale).

The data set is built through the project's own paths: transactions and their allocations by the
import's bulk insert (``timesheet_drafts_save``), proposals by billing runs
(``billing_run_execute``), invoices by ``invoice_post`` one by one (with numbering, snapshot,
e-invoice and voucher, the slow part: about 20 minutes at the full scale), payments by
``payment_record`` per customer and month. Proposals are approved by setting their status (the
workflow's checks add nothing a page reads). The build is paid once: the database
(``bench_pages_<scale>``, e.g. ``bench_pages_0_1``) is kept, marked complete, and reused by the
next run (``--rebuild`` builds it again, ``--drop`` drops it at the end). After the build it is
VACUUM ANALYZEd, which is what autovacuum would do (it is off on these machines).

The pages are served by gunicorn (one sync worker, ``config.settings.test``: DEBUG off) and
fetched over HTTP: one warm-up request, then ``--requests`` (20) timed ones; p50 and p95 of the
wall time. The number of queries of each page is counted in this process with Django's test
client on the same database (one request after the warm-up). ``--client`` times with the test
client too (no gunicorn). Not a test: it prints a table, and exits non-zero when a page's p95
misses TARGET_P95_MS.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SERVER_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PAGES_PORT", "8117"))
TARGET_P95_MS = 300.0
CONTRACTS = 1000
TRANSACTIONS_PER_CONTRACT = 1000
CUSTOMERS = 200  # a customer has ~5 contracts
GRANTORS = 20
MONTHS = 11  # billed monthly; the last month's proposals stay open (drafts)
UNPAID_MONTHS = 2  # the invoices of the last two posted months are not paid yet
FIRST_MONTH = datetime.date(2025, 12, 1)
GRANT_SHARE = Decimal("0.40")
# The grant's limit runs out at ~87 % of the work: ~1.87 allocations a transaction.
GRANT_LIMIT_SHARE = Decimal("0.87")
BUILT = "bench_pages complete"


def month_start(index: int) -> datetime.date:
    year, month = divmod(FIRST_MONTH.month - 1 + index, 12)
    return datetime.date(FIRST_MONTH.year + year, month + 1, 1)


def month_end(index: int) -> datetime.date:
    return month_start(index + 1) - datetime.timedelta(days=1)


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{SERVER_URL}/{database}", "-qAtX", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def database_name(scale: float) -> str:
    return "bench_pages_" + f"{scale:g}".replace(".", "_")


def is_built(database: str, scale: float) -> bool:
    comment = psql(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        f"WHERE datname = '{database}'"
    )
    return comment == f"{BUILT} scale={scale:g}"


def django_setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER_URL}/{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django

    django.setup()


def migrate() -> None:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)


# --- the data set ---------------------------------------------------------------------------


def say(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:7.1f} s] {message}", flush=True)


def build(contracts: int, started: float):
    """Everything but the transactions: parties, contracts, funders, rules. Returns the
    contracts with the facts the import needs, the category and the worker."""
    from contracts.models import ProjectContract
    from invoicing.transactions import timesheets
    from tests.factories import (
        BillingRuleFactory,
        CategoryFactory,
        CustomerFactory,
        FundingLimitFactory,
        FundingRuleLineFactory,
        FundingSourceFactory,
        LegalEntityFactory,
        PaymentTermsFactory,
        ProjectContractFactory,
        ProjectFactory,
        TaxGroupFactory,
        UserFactory,
        WorkerFactory,
    )

    UserFactory(username="bench", role="finance_clerk", is_staff=True, is_superuser=True)
    entity = LegalEntityFactory(code="NP", name="Nordic Projects AB", swedish_details=True)
    terms = PaymentTermsFactory()
    tax_group = TaxGroupFactory()
    customers = [
        CustomerFactory(code=f"C{n:04d}", name=f"Customer {n} AB", payment_terms=terms)
        for n in range(max(1, contracts * CUSTOMERS // CONTRACTS))
    ]
    grantors = [
        CustomerFactory(code=f"G{n:03d}", name=f"Research Council {n}", payment_terms=terms)
        for n in range(max(1, contracts * GRANTORS // CONTRACTS))
    ]
    category = CategoryFactory(code="DEV", kind="hour")
    CategoryFactory(code="ONACC", kind="on_account")
    worker = WorkerFactory(code="W1", cost_rate=Decimal("600"), sales_rate=Decimal("1000"))
    per_contract_sales = sum(
        (quantity(line) * 1000 for line in range(TRANSACTIONS_PER_CONTRACT)), Decimal("0")
    )
    grant_limit = (per_contract_sales * GRANT_SHARE * GRANT_LIMIT_SHARE).quantize(Decimal("1"))
    facts = []
    for number in range(contracts):
        customer = customers[number % len(customers)]
        contract = ProjectContractFactory(
            code=f"K{number:05d}",
            name=f"Research programme {number}",
            legal_entity=entity,
            customer=customer,
            default_tax_group=tax_group,
            payment_terms=terms,
            contract_value=Decimal("10000000"),
            start_date=FIRST_MONTH,
        )
        project = ProjectFactory(code=f"P{number:05d}", contract=contract, tax_group=None)
        own = FundingSourceFactory(
            contract=contract, name="Customer", customer=customer, is_rounding_source=True
        )
        grant = FundingSourceFactory(
            contract=contract,
            name="Grant",
            source_type="grant",
            customer=grantors[number % len(grantors)],
        )
        FundingLimitFactory(source=grant, amount=grant_limit)
        FundingRuleLineFactory(
            rule__contract=contract, rule__priority=1, source=grant, percentage=40
        )
        FundingRuleLineFactory(
            rule__contract=contract, rule__priority=2, source=own, percentage=100
        )
        BillingRuleFactory(contract=contract, rule_type="time_material", projects=[project])
        facts.append(
            timesheets.ProjectFacts(
                project.pk, project.code, contract.pk, "time_material", True, "SEK"
            )
        )
        if number % 100 == 99:
            say(f"{number + 1:,} contracts", started)
    assert ProjectContract.objects.count() == contracts
    return facts, category, worker


def quantity(line: int) -> Decimal:
    return Decimal("7.5") if line % 2 else Decimal("8")


def transactions_import(facts, category, worker, started: float) -> None:
    """1,000 hour transactions a contract over MONTHS months, dated in order, inserted with
    their allocations by the import's bulk path, 50 contracts a transaction."""
    from django.db import transaction

    from invoicing.transactions import imports, timesheets

    category_facts = timesheets.CategoryFacts(category.pk, category.group_id, "hour")
    days = (month_start(MONTHS) - FIRST_MONTH).days
    for first in range(0, len(facts), 50):
        drafts = []
        for project in facts[first : first + 50]:
            for line in range(TRANSACTIONS_PER_CONTRACT):
                hours = quantity(line)
                day = FIRST_MONTH + datetime.timedelta(
                    days=line * days // TRANSACTIONS_PER_CONTRACT
                )
                drafts.append(
                    timesheets.TransactionDraft(
                        row=line,
                        external_reference=f"T-{project.code}-{line:04d}",
                        kind="hour",
                        date=day,
                        project=project,
                        category=category_facts,
                        worker_id=worker.pk,
                        item_id=None,
                        line_property_id=None,
                        quantity=hours,
                        cost_price=Decimal("600"),
                        sales_price=Decimal("1000"),
                        cost_amount=hours * 600,
                        sales_amount=hours * 1000,
                        currency="SEK",
                        description=f"Development, week {day.isocalendar().week}",
                        is_chargeable=True,
                    )  # fmt: skip
                )
        with transaction.atomic():
            imports.timesheet_drafts_save(drafts=drafts, batch_id=None)
        say(
            f"{first + len(drafts) // TRANSACTIONS_PER_CONTRACT:,} contracts' transactions", started
        )


def bill_and_post(started: float) -> None:
    """A billing run a month; every month but the last is approved and posted (invoice dated the
    1st of the next month), and paid a month later except the last UNPAID_MONTHS."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from invoicing.invoices import einvoices, posting
    from invoicing.proposals import runs
    from invoicing.proposals.models import BillingRun, InvoiceProposal, ProposalStatus

    # The e-invoice's validation (Schematron in Saxon, most of a posting's time) checks the XML
    # and writes nothing: the build posts without it, every row is the same.
    einvoices.validation_started = lambda xml, kind="invoice": list
    user = get_user_model().objects.get(username="bench")
    approver = get_user_model().objects.create_user(username="bench-approver")
    for month in range(MONTHS):
        run = BillingRun.objects.create(created_by=user, up_to_date=month_end(month))
        runs.billing_run_execute(run_id=run.pk)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do after a run's inserts
        # Every earlier proposal is posted: the drafts are this run's.
        created = InvoiceProposal.objects.filter(status=ProposalStatus.DRAFT)
        say(f"month {month + 1}: billing run, {created.count():,} proposals", started)
        if month == MONTHS - 1:
            break
        now = timezone.now()
        created.update(
            status=ProposalStatus.APPROVED,
            submitted_by=user,
            submitted_at=now,
            approved_by=approver,
            approved_at=now,
        )
        invoice_date = month_start(month + 1)
        approved = list(InvoiceProposal.objects.filter(status=ProposalStatus.APPROVED))
        for proposal in approved:
            posting.invoice_post(proposal=proposal, actor=user, invoice_date=invoice_date)
        say(f"month {month + 1}: {len(approved):,} invoices posted", started)
    paid_months = MONTHS - 1 - UNPAID_MONTHS
    invoices_pay(user, paid_months)
    say(f"invoices of {paid_months} months paid", started)


def invoices_pay(user, months: int) -> None:
    """One payment per customer and month, paying that month's invoices in full."""
    from invoicing.invoices.models import Invoice
    from invoicing.receivables import payments

    for month in range(months):
        invoice_date = month_start(month + 1)
        per_customer = defaultdict(list)
        for invoice in Invoice.objects.filter(invoice_date=invoice_date).select_related("customer"):
            per_customer[invoice.customer].append(invoice)
        for customer, invoices in per_customer.items():
            payments.payment_record(
                customer=customer,
                currency="SEK",
                amount=sum(invoice.gross_total for invoice in invoices),
                paid_on=invoice_date + datetime.timedelta(days=25),
                allocations=[(invoice, None) for invoice in invoices],
                reference=f"Bank {customer.code} {invoice_date:%Y-%m}",
                actor=user,
            )


def data_set_ensure(scale: float, *, rebuild: bool) -> str:
    database = database_name(scale)
    if not rebuild and is_built(database, scale):
        django_setup(database)
        migrate()
        print(f"reusing the data set in {database} (--rebuild builds it again)")
        return database
    started = time.perf_counter()
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    django_setup(database)
    migrate()
    contracts = max(1, round(CONTRACTS * scale))
    facts, category, worker = build(contracts, started)
    transactions_import(facts, category, worker, started)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    bill_and_post(started)
    connection.close()
    psql("VACUUM ANALYZE", database)
    psql(f"COMMENT ON DATABASE {database} IS '{BUILT} scale={scale:g}'")
    say(f"data set built in {database}", started)
    return database


def data_set_counts() -> dict[str, int]:
    from invoicing.invoices.models import Invoice, InvoiceLine
    from invoicing.proposals.models import InvoiceProposal, ProposalLine
    from invoicing.receivables.selectors import receivables
    from invoicing.transactions.models import ProjectTransaction, TransactionAllocation

    return {
        "transactions": ProjectTransaction.objects.count(),
        "allocations": TransactionAllocation.objects.count(),
        "proposals": InvoiceProposal.objects.count(),
        "proposal lines": ProposalLine.objects.count(),
        "invoices": Invoice.objects.count(),
        "invoice lines": InvoiceLine.objects.count(),
        "unpaid invoices": receivables().count(),
    }


# --- the pages ------------------------------------------------------------------------------


def pages() -> list[tuple[str, str]]:
    """(label, path) of every list and detail page, with real rows for the details."""
    from django.urls import reverse

    from contracts.models import Customer, Project, ProjectContract
    from invoicing.invoices.models import Invoice
    from invoicing.ledger.models import Voucher
    from invoicing.proposals.models import BillingRun, InvoiceProposal
    from invoicing.transactions.models import ProjectTransaction, TransactionAllocation

    contract = ProjectContract.objects.order_by("pk")[ProjectContract.objects.count() // 2]
    project = Project.objects.filter(contract=contract).first()
    proposal = (
        InvoiceProposal.objects.filter(contract=contract, status="posted").order_by("-pk").first()
    )
    open_proposal = InvoiceProposal.objects.filter(contract=contract, status="draft").first()
    invoice = Invoice.objects.filter(contract=contract).order_by("-pk").first()
    customer = Customer.objects.get(pk=contract.customer_id)
    # A grantor funds ~50 contracts: its page lists ~500 invoices at the full scale.
    grantor = Customer.objects.filter(funding_sources__source_type="grant").order_by("pk").first()
    voucher = Voucher.objects.order_by("-pk").first()
    run = BillingRun.objects.order_by("-pk").first()
    transaction = ProjectTransaction.objects.order_by("pk").last()
    allocation = TransactionAllocation.objects.order_by("pk").last()
    deep = max(1, ProjectTransaction.objects.count() // 25 // 20)
    billing = "invoicing:"
    return [
        ("dashboard", reverse("home")),
        ("contracts", reverse("contracts:contract_list")),
        ("contract", reverse("contracts:contract_detail", args=[contract.pk])),
        ("contract billing", reverse("contracts:contract_billing", args=[contract.pk])),
        ("contract funding", reverse("funding:contract_funding", args=[contract.pk])),
        ("project", reverse("contracts:project_detail", args=[project.pk])),
        ("milestones", reverse("contracts:milestone_list")),
        ("transactions", reverse(billing + "transaction_list")),
        (f"transactions, page {deep}", reverse(billing + "transaction_list") + f"?page={deep}"),
        ("imports", reverse(billing + "import_list")),
        ("billable now", reverse(billing + "billable_now")),
        ("billable, one contract", reverse(billing + "billable_contract", args=[contract.pk])),
        ("proposals", reverse(billing + "proposal_list")),
        ("proposals, drafts", reverse(billing + "proposal_list") + "?status=draft"),
        ("proposals, page 100", reverse(billing + "proposal_list") + "?page=100"),
        ("proposal (posted)", reverse(billing + "proposal_detail", args=[proposal.pk])),
        ("proposal (draft)", reverse(billing + "proposal_detail", args=[open_proposal.pk])),
        ("billing run", reverse(billing + "billing_run", args=[run.pk])),
        ("invoices", reverse(billing + "invoice_list")),
        ("invoices, page 100", reverse(billing + "invoice_list") + "?page=100"),
        ("invoice", reverse(billing + "invoice_detail", args=[invoice.pk])),
        ("invoice control", reverse(billing + "invoice_control", args=[contract.pk])),
        ("e-invoice outbox", reverse(billing + "einvoice_outbox")),
        ("receivables", reverse(billing + "receivables")),
        ("receivables, overdue", reverse(billing + "receivables") + "?overdue=1"),
        ("customers", reverse(billing + "customer_list")),
        ("customer", reverse(billing + "customer_detail", args=[customer.pk])),
        ("customer statement", reverse(billing + "customer_statement", args=[customer.pk])),
        ("customer (grantor)", reverse(billing + "customer_detail", args=[grantor.pk])),
        ("grantor statement", reverse(billing + "customer_statement", args=[grantor.pk])),
        ("books", reverse(billing + "journal")),
        ("voucher", reverse(billing + "voucher_detail", args=[voucher.pk])),
        ("admin transactions", reverse("admin:invoicing_projecttransaction_changelist")),
        (
            "admin transaction",
            reverse("admin:invoicing_projecttransaction_change", args=[transaction.pk]),
        ),
        ("admin allocations", reverse("admin:invoicing_transactionallocation_changelist")),
        (
            "admin allocation",
            reverse("admin:invoicing_transactionallocation_change", args=[allocation.pk]),
        ),
        ("admin proposals", reverse("admin:invoicing_invoiceproposal_changelist")),
        (
            "admin proposal (lines)",
            reverse("admin:invoicing_invoiceproposal_change", args=[proposal.pk]),
        ),
        ("admin invoices", reverse("admin:invoicing_invoice_changelist")),
        ("admin invoice (lines)", reverse("admin:invoicing_invoice_change", args=[invoice.pk])),
        ("admin vouchers", reverse("admin:invoicing_voucher_changelist")),
        ("admin voucher lines", reverse("admin:invoicing_voucherline_changelist")),
    ]


def logged_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench"))
    return client


def queries_per_page(client, paths) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for label, path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{label} ({path}) answered {response.status_code}")
        counts[label] = len(captured)
    return counts


def gunicorn_start(database: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": f"{SERVER_URL}/{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def http_get(path: str, cookie: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=300)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}")
    return seconds


def client_get(client):
    def get(path: str, cookie: str) -> float:
        started = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return seconds

    return get


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 is the 19th fastest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 1,000 contracts")
    parser.add_argument("--requests", type=int, default=20, help="timed requests a page")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--build-only", action="store_true", help="build, time nothing")
    parser.add_argument("--client", action="store_true", help="time with the test client")
    parser.add_argument("--only", default="", help="comma-separated parts of page labels")
    options = parser.parse_args()

    database = data_set_ensure(options.scale, rebuild=options.rebuild)
    counts = data_set_counts()
    print("data set:", ", ".join(f"{value:,} {name}" for name, value in counts.items()))
    if options.build_only:
        return
    paths = pages()
    if options.only:
        wanted = [part.strip() for part in options.only.split(",")]
        paths = [(label, path) for label, path in paths if any(w in label for w in wanted)]
    load_before = os.getloadavg()[0]
    client = logged_in_client()
    queries = queries_per_page(client, paths)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    server = None
    try:
        if options.client:
            get = client_get(client)
        else:
            from django.db import connections

            connections.close_all()
            server = gunicorn_start(database)
            get = http_get
        rows = []
        for label, path in paths:
            get(path, cookie)  # warm-up
            times = [get(path, cookie) * 1000 for _ in range(options.requests)]
            rows.append(
                (label, statistics.median(times), percentile(times, 0.95), queries[label], path)
            )
            print(f"  {label}: p50 {rows[-1][1]:.0f} ms, p95 {rows[-1][2]:.0f} ms", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    served = "the test client" if options.client else "gunicorn (1 worker, DEBUG off)"
    print(
        f"\n{options.requests} requests a page after a warm-up, served by {served}, "
        f"scale {options.scale:g}, target p95 < {TARGET_P95_MS:.0f} ms; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores: above 2, others ran)"
    )
    print(f"{'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}  {'':<5} path")
    failed = []
    for label, p50, p95, count, path in rows:
        met = p95 < TARGET_P95_MS
        if not met:
            failed.append(label)
        print(f"{label:<28}{p50:>9.0f}{p95:>9.0f}{count:>9}  {'PASS' if met else 'FAIL':<5} {path}")
    if options.drop:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    print("result:", "PASS" if not failed else "FAIL (" + ", ".join(failed) + ")")
    sys.exit(0 if not failed else 1)


if __name__ == "__main__":
    main()
