"""Three months of demo activity on the worked-example contracts, replayed through the services.

The set-up (contracts/demo.py, funding/demo.py) makes one contract per worked example of
DOMAIN.md. This module then replays what a finance team would have done with them over the last
three months, as a diary of dated events: timesheet files imported every two weeks, units and
progress reported by the project manager, milestones completed, proposals generated, submitted,
rejected and approved, invoices posted, sent and paid, credit notes, a reminder, comments. The
Swedish entity invoices the worked examples; its Danish sister company invoices E1-DK (its own
number series, paid by FIK, one credit note), and its events run in Danish.

Every event calls the same services as the pages do, so every figure (allocations, totals,
retention, VAT, numbers, due dates, notifications) is what the application computes. Each event
runs with the clock set to its moment (see ``_clock_at``), so that what the services stamp
(created, submitted, approved, posted, sent, notified) tells the same story as the dates.

``demo_activity_create`` does nothing when a demo contract already has transactions or
proposals: the activity is created once, as a whole, in one database transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone, translation

from collaboration.comments import comment_add
from collaboration.notifications import notifications_read_all
from contracts import services as contract_services
from contracts.models import BillingRule, Milestone, ProjectContract
from contracts.money import percent_of
from invoicing.invoices import credits, posting, retention
from invoicing.invoices.models import DocumentType, Invoice, InvoiceStatus
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import InvoiceProposal, ProposalLineType, ProposalStatus
from invoicing.receivables import payments, reminders, selectors
from invoicing.receivables.models import PaymentMethod
from invoicing.transactions import imports
from invoicing.transactions.models import ImportBatch, ProjectTransaction

DEMO_CONTRACT_CODES = ("F1", "U1", "P1", "P2", "M1", "M2", "E1", "T1", "E1-DK")
DAY = datetime.timedelta(days=1)
WORK_STARTED_DAYS_AGO = 104
# The timesheet system's export is imported every two weeks; each file holds the work done
# since the previous import, up to the day before.
IMPORT_DAYS_AGO = (90, 76, 62, 48, 34, 20, 6, 1)
# The staff of the Swedish legal entity work in Swedish: what they type and the texts the
# services store as they act (line descriptions such as a retention release) are Swedish. The
# Danish entity's events (``_in_danish``) run in Danish.
DEMO_LANGUAGE = "sv"
DANISH = "da"


# ------------------------------------------------------------------------------------------
# The clock
# ------------------------------------------------------------------------------------------


class _AnyDatetime(type):
    """Keeps ``isinstance(value, datetime)`` true for real datetimes while the clock is set."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, datetime.datetime)


@contextlib.contextmanager
def _clock_at(moment: datetime.datetime) -> Iterator[None]:
    """Run the block as if it were ``moment``.

    ``django.utils.timezone.now`` reads ``datetime.now``; replacing that one name for the
    block reaches every stamp: ``auto_now_add`` fields, history records, ``localdate()`` and
    the ``default=timezone.now`` fields that hold the function itself. Nothing else changes,
    so the services still compute everything themselves."""

    class ReplayedDatetime(datetime.datetime, metaclass=_AnyDatetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else timezone.make_naive(moment)

    with _patched(timezone, "datetime", ReplayedDatetime):
        yield


@contextlib.contextmanager
def _patched(owner, name: str, value) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """The replayed history is in the past: nobody is e-mailed about it (the e-mails that the
    notifications schedule go nowhere), and the background tasks that send them do not fill
    the terminal of ``make run``."""
    tasks_logger = logging.getLogger("django_tasks")
    level = tasks_logger.level
    tasks_logger.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        tasks_logger.setLevel(level)


def _workday(day: datetime.date) -> datetime.date:
    """The day itself, or the Friday before when it falls on a weekend."""
    while day.weekday() >= 5:
        day -= DAY
    return day


# ------------------------------------------------------------------------------------------
# The story: who acts, and what the events made so far
# ------------------------------------------------------------------------------------------


@dataclass
class Story:
    """The state of the replay: today, the people, the contracts, and by name what earlier
    events created (``proposals["T1 #2"]``, ``invoices["T1 #2"]``)."""

    today: datetime.date
    contracts: dict[str, ProjectContract]
    clerk: AbstractBaseUser
    approver: AbstractBaseUser
    manager: AbstractBaseUser
    proposals: dict[str, list[InvoiceProposal]] = field(default_factory=dict)
    invoices: dict[str, list[Invoice]] = field(default_factory=dict)
    now: datetime.datetime | None = None

    def day(self, days_ago: int) -> datetime.date:
        """The working day ``days_ago`` days before today (a weekend moves to its Friday)."""
        return _workday(self.today - days_ago * DAY)

    def moment(self, days_ago: int, time: str) -> datetime.datetime:
        """When an event happens: never before the previous one, so the story keeps its order
        even when two events move to the same Friday."""
        hour, minute = (int(part) for part in time.split(":"))
        moment = datetime.datetime.combine(
            self.day(days_ago), datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
        )
        if self.now is not None and moment <= self.now:
            moment = self.now + datetime.timedelta(minutes=5)
        self.now = moment
        return moment

    def invoice(self, name: str) -> Invoice:
        [invoice] = self.invoices[name]
        return invoice


@dataclass(frozen=True)
class Event:
    days_ago: int
    time: str
    action: Callable[[Story], None]
    language: str = DEMO_LANGUAGE  # what the services write as they act (fee texts ...)


def _event(days_ago: int, time: str, action: Callable, *args, **kwargs) -> Event:
    return Event(
        days_ago, time, functools.partial(action, *args, **kwargs) if args or kwargs else action
    )


def _in_danish(*events: Event) -> list[Event]:
    """Events of the Danish entity's staff, who work in Danish."""
    return [replace(event, language=DANISH) for event in events]


# ------------------------------------------------------------------------------------------
# Timesheets
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkPattern:
    """Who works on which project, on which weekdays (0 is Monday), how long (it varies from
    day to day), and what they write."""

    project: str
    worker: str
    category: str
    weekdays: tuple[int, ...]
    hours: tuple[str, ...]
    comments: tuple[str, ...]
    line_property: str = ""  # NONCHARGE: cost only (fixed-price work is billed by its rule)


WORK = (
    WorkPattern("T1-P1", "W002", "INST", (0, 1, 2, 3), ("7.5", "8", "7", "7.5", "6"), (
        "Installation av switchar, Vesterbro", "Kabeldragning, Vesterbro",
        "Driftsättning, Nørrebro", "Felsökning och dokumentation",
    )),
    WorkPattern("E1-P1", "W003", "CONS", (1, 3), ("7", "6.5", "8", "5.5", "7.5"), ("Supportärenden vecka {week}",)),
    WorkPattern("E1-DK-P1", "W005", "CONS", (2,), ("3", "4", "2.5", "3.5", "5"), ("Supportsager uge {week}",)),
    WorkPattern("P2-P1", "W005", "DEV", (4,), ("2",), ("Nätverksdesign",), "NONCHARGE"),
    WorkPattern("P2-P1", "W002", "INST", (4,), ("4",), ("Installation av accesspunkter",), "NONCHARGE"),
    WorkPattern("M2-P1.1", "W004", "DEV", (0, 2), ("6",), ("Integration mot ekonomisystemet",), "NONCHARGE"),
    WorkPattern("M2-P1", "W001", "DEV", (1,), ("5",), ("Kundportal: inloggning och ärenden",), "NONCHARGE"),
)  # fmt: skip

# Single lines on given days: (days ago, project, worker, category, kind, quantity, cost price,
# description). F1's researcher works a few hours a fortnight, so that the grant's three limits
# end up nearly used (sources 2 and 3 are used first, F1 of DOMAIN.md); expenses are billed at
# cost, and T1's office supplies stay under their cap.
ONE_OFF_LINES = (
    (100, "F1-P1", "", "TRAVEL", "expense", "1", "100.00", "Parkering, uppstartsmöte med forskningsrådet"),
    (98, "F1-P1", "W001", "DEV", "hour", "1.5", "", "Uppstartsmöte och projektplan"),
    (95, "T1-P1", "", "OFFICE", "expense", "1", "2000.00", "Kontorsmaterial till platskontoret"),
    (84, "F1-P1", "W001", "DEV", "hour", "1", "", "Datamodell för forskningsportalen"),
    (70, "F1-P1", "W001", "DEV", "hour", "1", "", "Datamodell, andra utkastet"),
    (58, "T1-P1", "", "OFFICE", "expense", "1", "1250.00", "Etiketter och kabelmärkning"),
    (56, "F1-P1", "W001", "DEV", "hour", "1", "", "Granskning med forskningsrådet"),
    (42, "F1-P1", "W001", "DEV", "hour", "1.5", "", "Import av publikationsdata"),
    (28, "F1-P1", "W001", "DEV", "hour", "1", "", "Sökfunktion i portalen"),
    (14, "F1-P1", "W001", "DEV", "hour", "1", "", "Granskning med forskningsrådet"),
    (12, "T1-P1", "", "OFFICE", "expense", "1", "640.00", "Pärmar och utskrifter av driftdokumentation"),
    (3, "F1-P1", "W001", "DEV", "hour", "1", "", "Slutrapport, första utkastet"),
)  # fmt: skip

TIMESHEET_HEADER = (
    "Entry ID", "Date", "Project", "Employee", "Activity", "Hours", "Comment", "Kind",
    "Cost price", "Line property",
)  # fmt: skip


def _work_rows(first: datetime.date, last: datetime.date) -> list[tuple[str, ...]]:
    """Timesheet lines of every working day from ``first`` to ``last``."""
    rows = []
    day = first
    while day <= last:
        week = day.isocalendar().week
        for work in WORK:
            if day.weekday() not in work.weekdays:
                continue
            comment = work.comments[week % len(work.comments)].format(week=week)
            hours = work.hours[day.toordinal() % len(work.hours)]
            rows.append((
                f"TS-{day:%Y%m%d}-{work.project}-{work.worker}", day.isoformat(), work.project,
                work.worker, work.category, hours, comment, "hour", "", work.line_property,
            ))  # fmt: skip
        day += DAY
    return rows


def _one_off_rows(story: Story, first: datetime.date, last: datetime.date) -> list[tuple[str, ...]]:
    """The one-off lines dated from ``first`` to ``last``."""
    rows = []
    for days_ago, project, worker, category, kind, quantity, cost, text in ONE_OFF_LINES:
        day = story.day(days_ago)
        if first <= day <= last:
            rows.append((
                f"TS-{day:%Y%m%d}-{project}-{worker or category}", day.isoformat(), project,
                worker, category, quantity, text, kind, cost, "",
            ))  # fmt: skip
    return rows


def _timesheet_file(rows: Sequence[Sequence[str]]) -> bytes:
    """A CSV as the timesheet system exports it (semicolons, decimal comma)."""
    lines = [";".join(TIMESHEET_HEADER)]
    for row in rows:
        lines.append(
            ";".join(
                cell.replace(".", ",") if index == 5 else cell for index, cell in enumerate(row)
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def timesheets_imported(story: Story, *, since_days_ago: int) -> None:
    """The clerk imports the timesheet export: the work since the previous import, up to
    yesterday (in the replay's time)."""
    day = timezone.localdate()
    first = story.day(since_days_ago)
    last = day - DAY
    rows = _work_rows(first, last) + _one_off_rows(story, first, last)
    content = _timesheet_file(sorted(rows, key=lambda row: (row[1], row[0])))
    outcome = imports.timesheet_check(content)
    if outcome.errors:  # the demo's own file: an error here is a bug in this module
        raise ValueError(f"Demo timesheet has errors: {outcome.errors[:3]}")
    imports.import_batch_record(
        content=content,
        file_name=f"timesheets-{day:%Y-%m-%d}.csv",
        actor=story.clerk,
        outcome=outcome,
    )


def _import_events() -> list[Event]:
    since = (WORK_STARTED_DAYS_AGO, *IMPORT_DAYS_AGO)
    return [
        _event(days_ago, "08:15", timesheets_imported, since_days_ago=since_days_ago)
        for days_ago, since_days_ago in zip(IMPORT_DAYS_AGO, since, strict=False)
    ]


# ------------------------------------------------------------------------------------------
# What the project manager reports
# ------------------------------------------------------------------------------------------


def _rule(story: Story, code: str) -> BillingRule:
    return story.contracts[code].billing_rules.get(rule_type__in=["unit", "progress_manual"])


def units_delivered(story: Story, *, units: int) -> None:
    """The project manager reports the U1 training sessions held so far."""
    contract_services.billing_rule_progress_record(
        rule=_rule(story, "U1"), units_delivered=Decimal(units), actor=story.manager
    )


def progress_reported(story: Story, *, percent: str) -> None:
    """The project manager enters P1's cumulative percent complete."""
    contract_services.billing_rule_progress_record(
        rule=_rule(story, "P1"), percent_complete=Decimal(percent), actor=story.manager
    )


def milestone_completed(story: Story, *, code: str, sequence: int, accepted_by: str = "") -> None:
    """The project manager completes a milestone (with the customer's acceptance when the
    contract asks for it); finance is notified."""
    milestone = Milestone.objects.get(contract=story.contracts[code], sequence=sequence)
    contract_services.milestone_complete(
        milestone=milestone,
        actor=story.manager,
        accepted_by_name=accepted_by,
        accepted_on=timezone.localdate() - DAY if accepted_by else None,
    )


# ------------------------------------------------------------------------------------------
# Proposals and invoices
# ------------------------------------------------------------------------------------------


def billed(story: Story, *, code: str, name: str, up_to_days_ago: int, submit: bool = True) -> None:
    """The clerk runs the contract's billing rules up to a date (one proposal per funder) and
    submits the proposals for approval."""
    made = generation.proposals_generate(
        contract=story.contracts[code],
        up_to_date=story.day(up_to_days_ago),
        actor=story.clerk,
    )
    if submit:
        made = [workflow.proposal_submit(proposal=proposal, actor=story.clerk) for proposal in made]
    story.proposals[name] = made


def submitted(story: Story, *, name: str) -> None:
    """The clerk submits (again) a draft for approval."""
    story.proposals[name] = [
        workflow.proposal_submit(proposal=proposal, actor=story.clerk)
        for proposal in story.proposals[name]
    ]


def approved(story: Story, *, names: Sequence[str]) -> None:
    """The approver approves submitted proposals (never their own: the clerk submitted them)."""
    for name in names:
        story.proposals[name] = [
            workflow.proposal_approve(proposal=proposal, actor=story.approver)
            for proposal in story.proposals[name]
        ]


def rejected(story: Story, *, name: str, reason: str) -> None:
    """The approver sends a proposal back to the clerk with the reason."""
    story.proposals[name] = [
        workflow.proposal_reject(proposal=proposal, actor=story.approver, reason=reason)
        for proposal in story.proposals[name]
    ]


def posted(story: Story, *, names: Sequence[str], send: bool = True) -> None:
    """The clerk posts approved proposals (numbered invoices) and sends them."""
    for name in names:
        documents = [
            posting.invoice_post(proposal=proposal, actor=story.clerk)
            for proposal in story.proposals[name]
        ]
        if send:
            documents = [
                payments.invoice_mark_sent(invoice=invoice, actor=story.clerk)
                for invoice in documents
            ]
        story.invoices[name] = documents


def _paid_with(invoice: Invoice) -> tuple[str, str]:
    """How the customer paid: an invoice of the Danish entity by FIK (a transfer from the
    customer's bank with the payment slip's code line, ``+71<payment id+creditor<``), the
    others by bankgiro with the invoice number."""
    reference = invoice.snapshot.get("payment_reference") or {}
    if reference.get("scheme") == "fik":
        return PaymentMethod.BANK_TRANSFER, reference["code_line"]
    return PaymentMethod.BANKGIRO, invoice.number


def paid(story: Story, *, names: Sequence[str], share: str | None = None) -> None:
    """The bank statement shows the customer's payment: in full, or a share of the total in
    round thousands."""
    for name in names:
        for invoice in story.invoices[name]:
            amount = selectors.invoice_open_amount(invoice)
            if share is not None:
                amount = (invoice.gross_total * Decimal(share)).quantize(
                    Decimal("1E3"), rounding=ROUND_DOWN
                )
            method, reference = _paid_with(invoice)
            payments.payment_record(
                customer=invoice.customer,
                currency=invoice.currency,
                amount=amount,
                paid_on=timezone.localdate(),
                allocations=[(invoice, amount)],
                method=method,
                reference=reference,
                actor=story.clerk,
            )


def credit_applied(story: Story, *, invoice_name: str) -> None:
    """The credit note came after its invoice was paid, so it is customer credit: the clerk
    applies it to the customer's next invoice, which the customer then pays net."""
    invoice = story.invoice(invoice_name)
    payments.customer_credit_apply(
        customer=invoice.customer,
        currency=invoice.currency,
        invoice=invoice,
        note="Credit note for the warranty day",
        actor=story.clerk,
    )


def retention_released(story: Story, *, name: str) -> None:
    """The relocation's first phase is accepted: what was retained so far is released."""
    for proposal in story.proposals[name]:
        retention.proposal_retention_release_add(proposal=proposal, actor=story.clerk)


def customer_reference_added(story: Story, *, code: str, reference: str) -> None:
    """The clerk records the customer's purchase order number on the contract."""
    contract = story.contracts[code]
    contract.customer_reference = reference
    story.contracts[code] = contract_services.contract_save(contract=contract, actor=story.clerk)


def credit_proposed(story: Story, *, invoice_name: str, name: str, reason: str) -> None:
    """The clerk credits one day of support (and its share of the fee) that the customer
    showed was warranty work, and submits the credit note for approval."""
    invoice = story.invoice(invoice_name)
    lines = list(invoice.lines.order_by("pk"))
    day = next(line for line in lines if line.line_type == ProposalLineType.TRANSACTION)
    fee = next(line for line in lines if line.line_type == ProposalLineType.FEE)
    fee_percent = invoice.contract.billing_rules.get(rule_type="fee").fee_percent
    proposal = credits.credit_proposal_create(
        invoice=invoice,
        amounts={day.pk: None, fee.pk: percent_of(day.amount, fee_percent, invoice.currency)},
        reason=reason,
        rebill=False,
        actor=story.clerk,
    )
    story.proposals[name] = [workflow.proposal_submit(proposal=proposal, actor=story.clerk)]


def reminder_sent(story: Story, *, name: str) -> None:
    """The clerk e-mails the customer a reminder of an overdue invoice."""
    for invoice in story.invoices[name]:
        reminders.invoice_reminder_send(invoice=invoice, actor=story.clerk)


def overdue_checked(story: Story) -> None:
    """The daily job tells finance about invoices that became overdue."""
    reminders.overdue_invoices_notify()


def commented(story: Story, *, name: str, author: str, body: str) -> None:
    """A comment on a proposal; whoever it @mentions is notified."""
    for proposal in story.proposals[name]:
        comment_add(target=proposal, author=getattr(story, author), body=body)


def notifications_read(story: Story, *, people: Sequence[str]) -> None:
    """People catch up with their notifications (the bell then shows only what came later)."""
    for person in people:
        notifications_read_all(user=getattr(story, person))


# ------------------------------------------------------------------------------------------
# The diary
# ------------------------------------------------------------------------------------------

M1_REJECTION = (
    "Baltic Logistics vill ha sitt inköpsordernummer på fakturan. Lägg in det som kundreferens "
    "på avtalet och skicka in igen."
)
T1_REJECTION = (
    "Kunden har frågat om installationstimmarna de senaste veckorna. Stäm av dem med Sofie "
    "innan vi fakturerar."
)
E1_CREDIT = (
    "Supportdagen var garantiarbete enligt serviceavtalet (kundens ärende 4471); "
    "dagen och dess andel av förvaltningsavgiften krediteras."
)
E1_DK_CREDIT = (
    "Supportdagen var garantiarbejde efter serviceaftalen (kundens sag 5120); dagen og dens "
    "andel af administrationsgebyret krediteres."
)
ROUND_1 = ("T1 #1", "E1 #1", "F1 #1", "U1 #1", "P1 #1")
ROUND_2 = ("T1 #2", "E1 #2", "U1 #2", "P1 #2")
ROUND_3 = ("T1 #3", "E1 #3", "F1 #2", "P1 #3", "P2 #1")


def _billing_round(days_ago: int, up_to_days_ago: int, names: Sequence[str]) -> list[Event]:
    return [
        _event(days_ago, "09:00", billed, code=name.split()[0], name=name, up_to_days_ago=up_to_days_ago)
        for name in names
    ]  # fmt: skip


def demo_events() -> list[Event]:
    """What happened, in order (days ago, time of day, what)."""
    events = [
        _event(113, "10:00", milestone_completed, code="M2", sequence=1),
        _event(112, "09:30", billed, code="M2", name="M2 #1", up_to_days_ago=112),
        _event(112, "14:00", approved, names=["M2 #1"]),
        _event(111, "09:00", posted, names=["M2 #1"]),
        _event(90, "08:15", paid, names=["M2 #1"]),
        _event(80, "16:30", units_delivered, units=1),
        # Round 1: everything up to the day before the import of day 76.
        *_billing_round(75, 77, ROUND_1),
        _event(74, "10:30", approved, names=ROUND_1),
        _event(74, "14:00", posted, names=ROUND_1),
        # The Danish entity bills E1-DK for the first time, and is paid by FIK in time.
        *_in_danish(
            _event(61, "10:00", billed, code="E1-DK", name="E1-DK #1", up_to_days_ago=63),
            _event(61, "13:30", approved, names=["E1-DK #1"]),
        ),
        _event(61, "15:00", milestone_completed, code="M1", sequence=1, accepted_by="Mikko Virtanen"),
        *_in_danish(_event(60, "09:30", posted, names=["E1-DK #1"])),
        _event(60, "11:00", paid, names=["F1 #1"]),
        _event(59, "09:30", billed, code="M1", name="M1 #1", up_to_days_ago=59),
        _event(58, "11:00", rejected, name="M1 #1", reason=M1_REJECTION),
        _event(57, "09:30", customer_reference_added, code="M1", reference="PO 4500018817"),
        _event(57, "09:40", submitted, name="M1 #1"),
        _event(57, "15:00", approved, names=["M1 #1"]),
        _event(56, "09:00", posted, names=["M1 #1"]),
        _event(55, "10:00", paid, names=["E1 #1", "U1 #1"]),
        _event(53, "16:30", units_delivered, units=3),
        _event(52, "10:00", paid, names=["T1 #1", "P1 #1"]),
        _event(50, "16:00", progress_reported, percent="35"),
        # Round 2.
        *_billing_round(47, 49, ROUND_2),
        _event(46, "10:30", approved, names=ROUND_2),
        _event(46, "14:00", posted, names=ROUND_2),
        _event(40, "10:00", credit_proposed, invoice_name="E1 #1", name="E1 credit", reason=E1_CREDIT),
        _event(39, "10:30", approved, names=["E1 credit"]),
        _event(38, "09:00", posted, names=["E1 credit"]),
        *_in_danish(_event(36, "10:00", paid, names=["E1-DK #1"])),
        _event(30, "17:00", notifications_read, people=["clerk", "approver"]),
        _event(28, "09:50", credit_applied, invoice_name="E1 #2"),
        _event(28, "10:00", paid, names=["U1 #2", "P1 #2", "E1 #2"]),
        _event(24, "10:00", paid, names=["T1 #2"]),
        _event(22, "16:00", progress_reported, percent="50"),
        _event(20, "07:00", overdue_checked),
        # Round 3: F1's grantors 2 and 3 are used up, source 1 pays on.
        *_billing_round(19, 21, ROUND_3),
        *_in_danish(_event(19, "09:30", billed, code="E1-DK", name="E1-DK #2", up_to_days_ago=21)),
        _event(18, "10:30", approved, names=ROUND_3),
        _event(18, "14:00", posted, names=ROUND_3),
        *_in_danish(
            _event(18, "10:45", approved, names=["E1-DK #2"]),
            _event(18, "14:30", posted, names=["E1-DK #2"]),
        ),
        _event(12, "09:00", reminder_sent, name="M1 #1"),
        _event(11, "08:30", notifications_read, people=["clerk", "approver"]),
        _event(10, "10:00", paid, names=["P1 #3"]),
        # A day of E1-DK's second invoice was warranty work: credited while the invoice is open
        # (the credit note settles it), so it is neither paid nor due yet.
        *_in_danish(
            _event(10, "11:00", credit_proposed, invoice_name="E1-DK #2", name="E1-DK credit",
                   reason=E1_DK_CREDIT),
            _event(9, "10:00", approved, names=["E1-DK credit"]),
            _event(8, "09:00", posted, names=["E1-DK credit"]),
        ),
        _event(9, "16:30", units_delivered, units=4),
        _event(8, "16:00", progress_reported, percent="65"),
        _event(6, "10:00", paid, names=["T1 #3"], share="0.5"),
        # Round 4: still open today.
        _event(5, "09:00", billed, code="P1", name="P1 #4", up_to_days_ago=7, submit=False),
        _event(5, "09:05", retention_released, name="P1 #4"),
        _event(5, "09:10", submitted, name="P1 #4"),
        _event(5, "09:20", billed, code="T1", name="T1 #4", up_to_days_ago=7),
        _event(5, "09:30", billed, code="U1", name="U1 #3", up_to_days_ago=7),
        _event(5, "09:40", billed, code="F1", name="F1 #3", up_to_days_ago=7),
        _event(5, "09:50", billed, code="E1", name="E1 #4", up_to_days_ago=7, submit=False),
        _event(4, "10:00", rejected, name="T1 #4", reason=T1_REJECTION),
        _event(4, "10:20", approved, names=["P1 #4", "F1 #3"]),
        _event(4, "11:00", commented, name="T1 #4", author="clerk",
               body="@manager kan du bekräfta installationstimmarna för de senaste två veckorna?"),
        _event(4, "15:00", milestone_completed, code="M2", sequence=2),
        _event(3, "09:00", posted, names=["P1 #4"], send=False),
    ]  # fmt: skip
    return sorted([*events, *_import_events()], key=lambda event: (-event.days_ago, event.time))


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------


def demo_activity_exists() -> bool:
    """True when any demo contract already has work or proposals (the demo's or a user's)."""
    return (
        ProjectTransaction.objects.filter(project__contract__code__in=DEMO_CONTRACT_CODES).exists()
        or InvoiceProposal.objects.filter(contract__code__in=DEMO_CONTRACT_CODES).exists()
    )


def demo_activity_create(*, today: datetime.date | None = None) -> bool:
    """Replay three months of activity on the demo contracts; False (and nothing written) when
    they already have activity. The history is in the past, so nobody is e-mailed about it."""
    if demo_activity_exists():
        return False
    User = get_user_model()
    with _quietly(), translation.override(DEMO_LANGUAGE), transaction.atomic():
        story = Story(
            today=today or timezone.localdate(),
            contracts={
                contract.code: contract
                for contract in ProjectContract.objects.filter(code__in=DEMO_CONTRACT_CODES)
            },
            clerk=User.objects.get(username="clerk"),
            approver=User.objects.get(username="approver"),
            manager=User.objects.get(username="manager"),
        )
        for event in demo_events():
            moment = story.moment(event.days_ago, event.time)
            with _clock_at(moment), translation.override(event.language):
                event.action(story)
    return True


def demo_summary() -> dict[str, object]:
    """Counts the load_demo command prints."""
    proposal_states = Counter(InvoiceProposal.objects.values_list("status", flat=True))
    invoices = Invoice.objects.filter(document_type=DocumentType.INVOICE)
    today = timezone.localdate()
    return {
        "contracts": ProjectContract.objects.count(),
        "transactions": ProjectTransaction.objects.count(),
        "imports": ImportBatch.objects.count(),
        "proposals": {status: proposal_states.get(status, 0) for status in ProposalStatus.values},
        "rejected": InvoiceProposal.objects.filter(status=ProposalStatus.DRAFT)
        .exclude(rejection_reason="")
        .count(),
        "invoices": invoices.count(),
        "credit_notes": Invoice.objects.filter(document_type=DocumentType.CREDIT_NOTE).count(),
        "paid": invoices.filter(status=InvoiceStatus.PAID).count(),
        "partly_paid": selectors.invoices_with_open_amount(invoices)
        .filter(payment_state=selectors.PaymentState.PARTLY_PAID)
        .count(),
        "overdue": selectors.overdue(today).count(),
    }
