"""Every write to contracts data. Views call these; nothing else saves these models."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from collaboration.notifications import notifications_send
from contracts.file_checks import uploaded_file_media_type
from contracts.models import (
    BillingRule,
    BillingRuleCap,
    Budget,
    Category,
    Customer,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectContract,
)
from contracts.models.billing_terms import RULE_TERM_EMPTY, RULE_TYPE_FIELDS
from contracts.money import plain_number, split_by_percents
from contracts.notification_kinds import MILESTONE_COMPLETED
from contracts.roles import finance_team

PROJECT_TYPE_LOCKED = _(
    "The project type cannot be changed because the project already has transactions."
)
PARENT_IN_OTHER_CONTRACT = _("A subproject must belong to the same contract as its parent.")
PARENT_CYCLE = _("A project cannot be placed under itself or one of its own subprojects.")


PROJECT_CONTRACT_LOCKED = _(
    "This project already has transactions, so it cannot move to another contract. Create a "
    "new project under the other contract for the work still to come."
)

# What a contract is used by, from the most binding: posted documents, then recorded work.
CONTRACT_USED_BY_INVOICES = "invoices"
CONTRACT_USED_BY_TRANSACTIONS = "transactions"
CONTRACT_USES = (CONTRACT_USED_BY_INVOICES, CONTRACT_USED_BY_TRANSACTIONS)

# Terms that posted documents depend on: refused per field and per use, saying what to do.
CONTRACT_TERM_LOCKED = {
    ("currency", CONTRACT_USED_BY_INVOICES): _(
        "This contract already has invoices, so its currency cannot change. Credit the invoices "
        "and set up a new contract in the new currency."
    ),
    ("currency", CONTRACT_USED_BY_TRANSACTIONS): _(
        "This contract already has transactions, so its currency cannot change. Set up a new "
        "contract in the new currency for the work still to come."
    ),
    ("retention_percent", CONTRACT_USED_BY_INVOICES): _(
        "This contract already has invoices, so its retention percent cannot change. Credit the "
        "invoices and set up a new contract with the new percent."
    ),
    ("retention_percent", CONTRACT_USED_BY_TRANSACTIONS): _(
        "This contract already has transactions, so its retention percent cannot change. Set up "
        "a new contract with the new percent for the work still to come."
    ),
}
CONTRACT_LOCKED_TERMS = ("currency", "retention_percent")


class ProjectTypeLocked(ValidationError):
    def __init__(self) -> None:
        super().__init__({"project_type": [PROJECT_TYPE_LOCKED]}, code="project_type_locked")


# Apps that record work on projects register here; contracts never imports them.
_project_usage_checks: list[Callable[[Project], bool]] = []


def project_usage_check_register(check: Callable[[Project], bool]) -> None:
    """Register ``check(project) -> bool``: True when the project has recorded transactions."""
    if check not in _project_usage_checks:
        _project_usage_checks.append(check)


def project_has_transactions(project: Project) -> bool:
    return project.pk is not None and any(check(project) for check in _project_usage_checks)


# Apps that record work or post documents under contracts register here; contracts never
# imports them.
_contract_usage_checks: list[Callable[[ProjectContract], str | None]] = []


def contract_usage_check_register(check: Callable[[ProjectContract], str | None]) -> None:
    """Register ``check(contract)``: ``CONTRACT_USED_BY_INVOICES`` when posted documents depend
    on the contract, ``CONTRACT_USED_BY_TRANSACTIONS`` when work is recorded under it, else None."""
    if check not in _contract_usage_checks:
        _contract_usage_checks.append(check)


def contract_usage(contract: ProjectContract) -> str | None:
    """The most binding use of a saved contract (invoices before transactions), or None."""
    if contract.pk is None:
        return None
    found = {check(contract) for check in _contract_usage_checks}
    return next((use for use in CONTRACT_USES if use in found), None)


def with_history_user(instance, actor: AbstractBaseUser | None):
    """Mark ``instance`` so that its next history record names ``actor`` (outside requests too)."""
    instance._history_user = actor
    return instance


def contract_validate(*, contract: ProjectContract) -> None:
    """Raise ``ValidationError`` when a term that invoices depend on (currency, retention
    percent) changes on a contract that already has transactions or invoices."""
    if contract.pk is None:
        return
    stored = ProjectContract.objects.filter(pk=contract.pk).values(*CONTRACT_LOCKED_TERMS).first()
    if stored is None:
        return
    # Compared after full_clean, so the values are the fields' own types (Decimal("10") equals
    # the stored Decimal("10.00")).
    changed = [
        field for field in CONTRACT_LOCKED_TERMS if stored[field] != getattr(contract, field)
    ]
    if not changed:
        return
    usage = contract_usage(contract)
    if usage is not None:
        raise ValidationError({field: [CONTRACT_TERM_LOCKED[field, usage]] for field in changed})


@transaction.atomic
def contract_save(*, contract: ProjectContract, actor: AbstractBaseUser | None) -> ProjectContract:
    """Validate and save a contract (new or changed); the history records ``actor``. Refuses a
    new currency or retention percent once the contract has transactions or invoices."""
    if contract.pk is not None:
        ProjectContract.objects.select_for_update().filter(pk=contract.pk).first()
    contract.full_clean()
    contract_validate(contract=contract)
    with_history_user(contract, actor).save()
    return contract


@transaction.atomic
def customer_save(*, customer: Customer, actor: AbstractBaseUser | None) -> Customer:
    """Validate and save a customer (new or changed) with the checks the admin applies: the VAT
    number for the customer's country, the Peppol scheme and identifier together and valid for
    the scheme, the e-mail address, a unique code. Numbers are stored compacted; the history
    records ``actor``. Posted documents keep the customer as it was when they were posted."""
    if customer.pk is not None:
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
    customer.full_clean()
    with_history_user(customer, actor).save()
    return customer


def project_validate(*, project: Project) -> None:
    """Raise ``ValidationError`` for what constraints alone cannot say about a project."""
    errors: dict[str, list] = {}
    if project.parent_id is not None:
        parent = project.parent
        if parent.contract_id != project.contract_id:
            errors.setdefault("parent", []).append(PARENT_IN_OTHER_CONTRACT)
        ancestor, seen = parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if project.pk is not None and ancestor.pk == project.pk:
                errors.setdefault("parent", []).append(PARENT_CYCLE)
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
    if project.pk is not None:
        stored = Project.objects.filter(pk=project.pk).values("project_type", "contract_id").first()
        if (
            stored
            and stored["project_type"] != project.project_type
            and project_has_transactions(project)
        ):
            errors.setdefault("project_type", []).append(PROJECT_TYPE_LOCKED)
        if (
            stored
            and stored["contract_id"] != project.contract_id
            and project_has_transactions(project)
        ):
            errors.setdefault("contract", []).append(PROJECT_CONTRACT_LOCKED)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def project_save(*, project: Project, actor: AbstractBaseUser | None) -> Project:
    """Validate and save a project. Refuses a new type or contract once the project has
    transactions."""
    if project.pk is not None:
        # Lock the row so a transaction recorded meanwhile cannot slip past the type check.
        Project.objects.select_for_update().filter(pk=project.pk).first()
    project.full_clean()
    project_validate(project=project)
    with_history_user(project, actor).save()
    return project


@transaction.atomic
def budget_save(*, budget: Budget, actor: AbstractBaseUser | None) -> Budget:
    """Validate and save one project/category budget line."""
    budget.full_clean()
    with_history_user(budget, actor).save()
    return budget


@transaction.atomic
def budget_delete(*, budget: Budget, actor: AbstractBaseUser | None) -> None:
    with_history_user(budget, actor).delete()


# ------------------------------------------------------------------------------------------
# Milestones (billing schedule)
# ------------------------------------------------------------------------------------------

MILESTONE_NEEDS_ACCEPTANCE = _(
    "This contract needs the customer's acceptance (who accepted and when) before a milestone "
    "can be completed."
)
MILESTONE_NOT_PLANNED = _("Only a planned milestone can be completed; this one is %(status)s.")
MILESTONE_NOT_COMPLETED = _("A milestone can only be invoiced after it is completed.")
MILESTONE_FROZEN = _("Only planned milestones can be changed or removed.")
SCHEDULE_NOT_EMPTY = _(
    "This contract already has a billing schedule. Remove its planned milestones first."
)
MILESTONE_NOT_ALLOWED = _("Your role cannot complete milestones.")
EVIDENCE_MAX_MB = 10


class MilestoneNotInvoiceable(ValidationError):
    def __init__(self) -> None:
        super().__init__(MILESTONE_NOT_COMPLETED, code="milestone_not_completed")


@transaction.atomic
def milestone_save(*, milestone: Milestone, actor: AbstractBaseUser | None) -> Milestone:
    """Validate and save a planned milestone."""
    if milestone.pk:
        stored = Milestone.objects.select_for_update().get(pk=milestone.pk)
        if stored.status != MilestoneStatus.PLANNED:
            raise ValidationError(MILESTONE_FROZEN)
    milestone.full_clean()
    with_history_user(milestone, actor).save()
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor: AbstractBaseUser | None) -> None:
    stored = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if stored.status != MilestoneStatus.PLANNED:
        raise ValidationError(MILESTONE_FROZEN)
    with_history_user(stored, actor).delete()


@transaction.atomic
def milestone_complete(
    *,
    milestone: Milestone,
    actor: AbstractBaseUser,
    accepted_by_name: str = "",
    accepted_on: datetime.date | None = None,
    evidence: UploadedFile | None = None,
) -> Milestone:
    """Complete a planned milestone, recording who and when, and the customer's acceptance
    when the contract asks for it. The row is locked, so two people cannot both complete it."""
    locked = Milestone.objects.select_for_update().select_related("contract").get(pk=milestone.pk)
    if locked.status != MilestoneStatus.PLANNED:
        raise ValidationError(MILESTONE_NOT_PLANNED % {"status": locked.get_status_display()})
    if accepted_by_name:
        locked.accepted_by_name = accepted_by_name
    if accepted_on:
        locked.accepted_on = accepted_on
    if evidence:
        try:  # by content, like contract documents: a renamed program is not a PDF
            uploaded_file_media_type(evidence, limit_mb=EVIDENCE_MAX_MB)
        except ValidationError as refused:
            raise ValidationError({"evidence": refused.messages}) from None
        locked.acceptance_evidence = evidence
    if not locked.acceptance_ok():
        raise ValidationError(MILESTONE_NEEDS_ACCEPTANCE)
    if not has_transition_perm(locked.complete, actor):
        raise PermissionDenied(MILESTONE_NOT_ALLOWED)
    locked.complete(by=actor)
    with_history_user(locked, actor).save()
    notifications_send(
        recipients=finance_team(),
        kind=MILESTONE_COMPLETED,
        params={
            "actor": actor.get_full_name() or actor.get_username(),
            "milestone": locked.description,
            "contract": locked.contract.code,
        },
        url=reverse("contracts:contract_billing", kwargs={"pk": locked.contract_id}),
        actor=actor,
    )
    for listener in _milestone_completion_listeners:
        listener(milestone=locked, actor=actor)
    return locked


_milestone_completion_listeners: list[Callable] = []


def milestone_completion_listener_register(listener: Callable) -> None:
    """Register ``listener(milestone=, actor=)``, called in the completing transaction (the
    contract's automations, which live in invoicing)."""
    if listener not in _milestone_completion_listeners:
        _milestone_completion_listeners.append(listener)


@transaction.atomic
def milestone_invoice(*, milestone: Milestone, actor: AbstractBaseUser | None) -> Milestone:
    """Mark a completed milestone invoiced (called when its invoice is posted)."""
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if locked.status != MilestoneStatus.COMPLETED:
        raise MilestoneNotInvoiceable()
    locked.mark_invoiced()
    with_history_user(locked, actor).save()
    return locked


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@transaction.atomic
def milestone_schedule_fill(
    *,
    contract: ProjectContract,
    percents: Sequence[Decimal],
    first_due_date: datetime.date,
    months_between: int,
    actor: AbstractBaseUser | None,
) -> list[Milestone]:
    """Fill an empty billing schedule from a template: one milestone per percentage of the
    contract value, due ``months_between`` apart; the last takes the rounding remainder."""
    ProjectContract.objects.select_for_update().filter(pk=contract.pk).first()
    if contract.milestones.exists():
        raise ValidationError(SCHEDULE_NOT_EMPTY)
    try:
        amounts = split_by_percents(contract.contract_value, percents, contract.currency)
    except ValueError as error:
        raise ValidationError(str(error)) from error
    milestones = []
    for number, (percent, amount) in enumerate(zip(percents, amounts, strict=True), start=1):
        milestone = Milestone(
            contract=contract,
            sequence=number,
            description=_("Milestone %(number)s of %(count)s (%(percent)s %%)")
            % {"number": number, "count": len(amounts), "percent": plain_number(percent)},
            due_date=_add_months(first_due_date, months_between * (number - 1)),
            amount=amount,
        )
        milestones.append(milestone_save(milestone=milestone, actor=actor))
    return milestones


# ------------------------------------------------------------------------------------------
# Billing rules
# ------------------------------------------------------------------------------------------

# Apps that bill register here to hear when a rule's completion moves (contracts never imports
# them): listener(rule_id=..., previous_percent=..., current_percent=..., actor=...).
_completion_listeners: list[Callable] = []


def billing_rule_completion_listener_register(listener: Callable) -> None:
    if listener not in _completion_listeners:
        _completion_listeners.append(listener)


def billing_rule_completion(rule: BillingRule) -> Decimal | None:
    """Percent complete a rule's own figures say (unit of delivery, manual progress)."""
    if rule.rule_type == "unit" and rule.total_units:
        return min(Decimal("100"), rule.units_delivered * 100 / rule.total_units)
    if rule.rule_type == "progress_manual":
        return rule.percent_complete
    return None


RULE_PROJECT_OF_OTHER_CONTRACT = _("Every project of a billing rule must belong to its contract.")
RULE_NEEDS_PROJECT = _("A billing rule applies to at least one project of the contract.")
RULE_TERMS_NOT_ALLOWED = _(
    "Your role cannot set up or change billing rules (type, prices, fee, caps). Record "
    "progress with Record progress."
)
RULE_PROGRESS_NOT_ALLOWED = _("Your role cannot record progress on billing rules.")
RULE_PROGRESS_NOT_MANUAL = _(
    "Progress is recorded by hand only on unit-of-delivery and manual progress rules; this "
    "rule is %(type)s."
)
RULE_PROGRESS_REQUIRED = _("Enter the new figure.")

# What a person records on each kind of rule; every other field is the rule's terms.
PROGRESS_FIELDS = {
    "unit": "units_delivered",
    "progress_manual": "percent_complete",
}


def _completion_moved(rule: BillingRule, previous: Decimal | None, actor) -> None:
    """After commit, tell the billing apps that the rule's completion moved (its automation
    may create proposals at thresholds)."""
    current = billing_rule_completion(rule)
    if current is None or previous is None or current == previous:
        return
    for listener in _completion_listeners:
        transaction.on_commit(
            lambda listener=listener: listener(
                rule_id=rule.pk, previous_percent=previous, current_percent=current, actor=actor
            )
        )


@transaction.atomic
def billing_rule_save(
    *,
    rule: BillingRule,
    projects: Sequence[Project],
    chargeable_categories: Sequence[Category] = (),
    caps: Sequence[tuple[Category, Decimal]] | None = None,
    actor: AbstractBaseUser | None,
) -> BillingRule:
    """Validate and save a billing rule with its projects, chargeable categories and (when
    given) its not-to-exceed caps, which replace the old ones. Terms of other rule types
    (a unit price on a fee rule, caps on a milestone rule...) are cleared, never kept unused."""
    needed = "contracts.change_billingrule" if rule.pk else "contracts.add_billingrule"
    if actor is not None and not actor.has_perm(needed):
        raise PermissionDenied(RULE_TERMS_NOT_ALLOWED)
    if not projects:
        raise ValidationError({"projects": [RULE_NEEDS_PROJECT]})
    if any(project.contract_id != rule.contract_id for project in projects):
        raise ValidationError({"projects": [RULE_PROJECT_OF_OTHER_CONTRACT]})
    used = RULE_TYPE_FIELDS.get(rule.rule_type, ())
    for name, empty in RULE_TERM_EMPTY.items():
        if name not in used:
            setattr(rule, name, empty)
    if "chargeable_categories" not in used:
        chargeable_categories = ()
    if "caps" not in used:
        caps = []
    rule.full_clean()
    stored = BillingRule.objects.select_for_update().filter(pk=rule.pk).first() if rule.pk else None
    previous = billing_rule_completion(stored) if stored else Decimal("0")
    with_history_user(rule, actor).save()
    rule.projects.set(projects)
    rule.chargeable_categories.set(chargeable_categories)
    if caps is not None:
        rule.caps.all().delete()
        for category, amount in caps:
            cap = BillingRuleCap(rule=rule, category=category, amount=amount)
            cap.full_clean()
            cap.save()
    _completion_moved(rule, previous, actor)
    return rule


@transaction.atomic
def billing_rule_progress_record(
    *,
    rule: BillingRule,
    actor: AbstractBaseUser,
    units_delivered: Decimal | None = None,
    percent_complete: Decimal | None = None,
) -> BillingRule:
    """Record how far a rule has come: units delivered on a unit-of-delivery rule, percent
    complete on a manual progress rule. Nothing else of the rule changes (its type, prices,
    fee and caps are its terms, see ``billing_rule_save``). A threshold crossed sets off the
    rule's automation after commit."""
    if not actor.has_perm("contracts.record_progress"):
        raise PermissionDenied(RULE_PROGRESS_NOT_ALLOWED)
    locked = BillingRule.objects.select_for_update().get(pk=rule.pk)
    field = PROGRESS_FIELDS.get(locked.rule_type)
    if field is None:
        raise ValidationError(RULE_PROGRESS_NOT_MANUAL % {"type": locked.get_rule_type_display()})
    value = {"units_delivered": units_delivered, "percent_complete": percent_complete}[field]
    if value is None:
        raise ValidationError({field: [RULE_PROGRESS_REQUIRED]})
    previous = billing_rule_completion(locked)
    setattr(locked, field, value)
    locked.full_clean()
    with_history_user(locked, actor).save(update_fields=[field])
    _completion_moved(locked, previous, actor)
    return locked
