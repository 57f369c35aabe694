"""Funding allocation: who pays what share of a project transaction (DOMAIN.md section 3).

A pure engine: frozen dataclasses and ``Decimal`` go in, dataclasses come out. Nothing here knows
about Django or the ORM; services fetch the rules, limits and usage, call :func:`allocate`,
:func:`allocate_batch` or :func:`reverse`, and save what comes back.

How one transaction amount ``A`` is split (all amounts in the currency's minor unit):

1. The rules that match the transaction and are valid on its date are taken in priority order;
   for equal priority the more specific rule (more criteria set) goes first, then the lower id.
2. ``R`` is what is still unallocated (first ``A``). A rule whose lines add up to ``P`` % takes
   ``P`` % of ``R``, each source its own percentage. If a source would go over its headroom (the
   smallest ``amount - used`` of its limits that apply to the transaction), the whole rule is
   scaled down to the largest share that keeps every one of its sources within its limits; a
   source that is already exhausted makes the rule skip. The rest stays in ``R``.
3. What is left after the last rule goes to the on-hold source, or, when there is none (or its
   own limits are used up), to an *unfunded* allocation with ``source_id=None``. Nothing is
   dropped.

Steps 1 to 3 are computed exactly (rational arithmetic on integer minor units): that gives each
allocation's *exact share*. Rounding then happens once, over all allocations of the transaction:

* each allocation starts at its exact share rounded half-up;
* a source whose rounded allocations would go over its headroom gives back the units it was
  rounded up by, so a limit is never exceeded, not even by one minor unit;
* the difference to ``A`` (the *rounding difference*) is then settled one minor unit at a time,
  first on the allocations of the contract's rounding source, then by largest remainder (ties:
  the later allocation), never on a source without headroom.

Every allocation therefore ends up at its exact share rounded down or up (within one minor unit),
the allocations add up to ``A`` exactly, and the result is deterministic. ``rounding_adjustment``
records how far an allocation was moved away from its plain half-up rounding.

An allocation that rounds to zero is left out. Each allocation keeps what it needs to explain
itself (:attr:`Allocation.explanation`, built only when asked for).

Usage of the limits is a mapping ``{limit_id: Decimal}``. :func:`allocate`, :func:`allocate_batch`
and :func:`reverse` all **update the mapping in place**, and afterwards it holds the current
usage of every limit of the setup, in the currency's minor unit (a missing key counts as zero).
When a transaction is refused (an :class:`AllocationError`), the mapping is left as it was, for
a batch too.

Negative amounts (credits, deductions):

* with the original allocations (:func:`reverse`, or :func:`allocate` with ``original=``) the
  negative amount is split over the original allocations in proportion to their amounts, adding
  back exactly, never reversing more than an allocation gave, and the headroom goes back to the
  limits the original allocations used (usage goes down, never below zero);
* without them, the rules' percentages are followed in priority order without any limit checks
  (nothing is scaled or skipped), the rest goes to the on-hold source or unfunded, and the
  headroom of the applicable limits is given back, floored at zero.

Speed: a setup is compiled once (kept on the :class:`FundingSetup`); the rules and limits that
apply are cached per transaction signature (only the attributes some rule or limit looks at) and
date bucket (between two validity boundaries nothing changes); the arithmetic is on integers;
explanations are built lazily. :func:`allocate_batch` pauses the cyclic garbage collector while
it runs (see there). It allocates well over 100,000 transactions a second on a small machine
(``tests/benchmarks/bench_allocation.py``).
"""

from __future__ import annotations

import datetime
import gc
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from math import gcd
from operator import attrgetter
from typing import Any

from contracts.money import currency_decimals

TRANSACTION_KINDS = ("hour", "expense", "item", "fee", "on_account")

# Error messages, reused by the tests.
UNKNOWN_KIND = "Unknown transaction kind {kind!r}: expected one of {kinds}."
AMOUNT_NOT_DECIMAL = "{what} must be a finite Decimal, got {value!r}."
AMOUNT_NOT_IN_MINOR_UNIT = "{what} {amount} has more decimals than {currency} allows ({decimals})."
CURRENCY_MISMATCH = (
    "Transaction {key} is in {transaction_currency}, but the funding setup is in {setup_currency}."
)
RULE_WITHOUT_LINES = "Funding rule {rule} has no allocation lines."
PERCENTAGE_OUT_OF_RANGE = (
    "Funding rule {rule} gives {percentage} % to source {source}: a percentage must be above 0 "
    "and at most 100."
)
RULE_OVER_HUNDRED = (
    "The allocation lines of funding rule {rule} add up to {total} %, more than 100 %."
)
SOURCE_TWICE_IN_RULE = "Funding rule {rule} names source {source} on more than one line."
SOURCE_ID_MISSING = "Funding rule {rule} has a line without a funding source."
VALIDITY_REVERSED = "Funding rule {rule} is valid from {start} to {end}: the range is reversed."
LIMIT_DATES_REVERSED = "Funding limit {limit} runs from {start} to {end}: the range is reversed."
LIMIT_NEGATIVE = "Funding limit {limit} is {amount}: a limit cannot be negative."
DUPLICATE_RULE_ID = "Two funding rules have the id {rule}."
DUPLICATE_LIMIT_ID = "Two funding limits have the id {limit}."
REVERSAL_NOT_NEGATIVE = "A reversal needs a negative amount, got {amount}."
REVERSAL_EXCEEDS_ORIGINAL = "Cannot reverse {amount}: the original allocations total only {total}."
ORIGINAL_NOT_POSITIVE = (
    "An original allocation of {amount} to source {source} cannot be reversed: the net original "
    "allocations must not be negative."
)
ORIGINAL_ONLY_FOR_NEGATIVE = (
    "Original allocations can only be given for a negative amount (a reversal), got {amount}."
)


class AllocationError(ValueError):
    """Base class of every error raised by the funding allocation engine."""


class FundingSetupInvalid(AllocationError):
    """The rules or limits of a contract cannot be used to allocate."""


class TransactionNotAllocatable(AllocationError):
    """A transaction (or a usage figure) does not fit the funding setup."""


class ReversalNotPossible(AllocationError):
    """A negative amount cannot be split over the given original allocations."""


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransactionFacts:
    """What the allocation needs to know about one project transaction.

    ``project_ancestor_ids`` lists the ancestors of ``project_id`` (parent, grandparent, ...):
    a rule or limit narrowed to a project also covers the transactions of its subprojects.
    """

    key: Any
    amount: Decimal
    date: datetime.date
    currency: str
    kind: str
    project_id: Any = None
    worker_id: Any = None
    item_id: Any = None
    category_id: Any = None
    category_group_id: Any = None
    project_ancestor_ids: tuple = ()

    def __post_init__(self) -> None:
        if self.kind not in TRANSACTION_KINDS:
            raise TransactionNotAllocatable(
                UNKNOWN_KIND.format(kind=self.kind, kinds=", ".join(TRANSACTION_KINDS))
            )
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise TransactionNotAllocatable(
                AMOUNT_NOT_DECIMAL.format(what="A transaction amount", value=self.amount)
            )


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """One line of a funding rule: ``percentage`` % of what the rule takes goes to the source."""

    source_id: Any
    percentage: Decimal


@dataclass(frozen=True, slots=True)
class FundingRule:
    """A funding rule: priority (1 is first), optional criteria, validity, allocation lines.

    A rule without any criteria is an *all transactions* rule. ``valid_from`` and ``valid_to``
    are inclusive.
    """

    id: Any
    priority: int
    lines: tuple[AllocationLine, ...]
    project_id: Any = None
    worker_id: Any = None
    item_id: Any = None
    category_id: Any = None
    category_group_id: Any = None
    kind: str | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    name: str = ""

    @property
    def criteria_count(self) -> int:
        """How many criteria are set: the more, the more specific the rule."""
        return sum(
            value is not None
            for value in (
                self.project_id,
                self.worker_id,
                self.item_id,
                self.category_id,
                self.category_group_id,
                self.kind,
            )
        )


@dataclass(frozen=True, slots=True)
class FundingLimit:
    """A cap on what one source pays, optionally narrowed; ``date_from``/``date_to`` inclusive."""

    id: Any
    source_id: Any
    amount: Decimal
    project_id: Any = None
    category_id: Any = None
    worker_id: Any = None
    item_id: Any = None
    kind: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass(frozen=True)
class FundingSetup:
    """Everything about a contract's funding that the allocation needs.

    The setup is checked and compiled (matching index, integer limits) the first time it is
    used, and the compiled form is kept on the instance: reuse one setup for a whole batch.
    """

    currency: str
    rules: tuple[FundingRule, ...]
    limits: tuple[FundingLimit, ...] = ()
    rounding_source_id: Any = None
    on_hold_source_id: Any = None
    source_names: Mapping[Any, str] | None = field(default=None, hash=False)

    @cached_property
    def _compiled(self) -> _CompiledSetup:
        return _CompiledSetup(self)

    def validate(self) -> None:
        """Raise :class:`FundingSetupInvalid` when the setup cannot be used to allocate."""
        self._compiled  # noqa: B018 - compiling checks everything


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Allocation:
    """One share of a transaction amount, for one source, explainable on its own.

    ``rule_id``/``priority``/``percentage`` name the rule line that produced it (all ``None``
    for the on-hold and unfunded rest). ``binding_limit_id`` is the limit that scaled the rule
    down. ``limit_ids`` are the limits whose usage this allocation counted against (a reversal
    gives their headroom back). ``rounding_adjustment`` is how far the amount was moved away
    from its plain half-up rounding to make the allocations add up or to respect a limit.
    An on-hold allocation has ``is_on_hold`` set; an unfunded one also has ``source_id=None``.
    """

    source_id: Any
    amount: Decimal
    rule_id: Any
    priority: int | None
    percentage: Decimal | None
    binding_limit_id: Any
    rounding_adjustment: Decimal
    is_on_hold: bool
    limit_ids: tuple | None = ()
    _explain: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def is_unfunded(self) -> bool:
        """True for the rest that no rule and no on-hold source could take."""
        return self.source_id is None

    @property
    def explanation(self) -> str:
        """A plain-English sentence saying which rule and which limit produced this amount."""
        return _explain(self)

    @property
    def explained(self) -> tuple:
        """The same explanation as parts (kind and parameters, ``EXPLANATION_TEXTS``), for a
        reader in another language (``funding/explanations.py``)."""
        return _explained(self)


@dataclass(slots=True)
class AllocationResult:
    """The allocations of one transaction amount; they add up to ``amount`` exactly."""

    transaction_key: Any
    amount: Decimal
    allocations: tuple[Allocation, ...]

    def amounts_by_source(self) -> dict[Any, Decimal]:
        """Total per source id (``None`` for the unfunded rest), in allocation order."""
        totals: dict[Any, Decimal] = {}
        for allocation in self.allocations:
            key = allocation.source_id
            totals[key] = totals[key] + allocation.amount if key in totals else allocation.amount
        return totals


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def allocate(
    transaction: TransactionFacts,
    setup: FundingSetup,
    usage: dict,
    *,
    original: AllocationResult | Sequence[Allocation] | None = None,
) -> AllocationResult:
    """Split one transaction amount over the funding sources of ``setup``.

    ``usage`` (``{limit_id: Decimal}``) is read and **updated in place**; afterwards it holds
    the usage of every limit of the setup. A negative amount with ``original`` is a reversal
    (see :func:`reverse`); without it the rules' percentages are followed without limit checks
    and headroom is given back, floored at zero. Guarantees: the allocations add up to the amount
    exactly, no limit is exceeded, each allocation is its exact share rounded down or up.
    """
    compiled = setup._compiled
    if original is not None:
        if transaction.amount > 0:
            raise ReversalNotPossible(ORIGINAL_ONLY_FOR_NEGATIVE.format(amount=transaction.amount))
        return reverse(
            transaction.amount,
            original,
            setup,
            usage,
            transaction_key=transaction.key,
            transaction=transaction,
        )
    used = compiled.usage_read(usage)
    result = compiled.allocate_one(transaction, used)
    compiled.usage_write(used, usage)
    return result


def allocate_batch(
    transactions: Iterable[TransactionFacts],
    setup: FundingSetup,
    usage: dict | None = None,
) -> tuple[list[AllocationResult], dict]:
    """Allocate transactions in order, carrying limit usage from one to the next.

    Gives the same results as calling :func:`allocate` for each transaction in turn. ``usage``
    is updated in place (a new mapping when ``None``) and returned with the results; it then
    holds the usage of every limit of the setup.
    """
    if usage is None:
        usage = {}
    compiled = setup._compiled
    used = compiled.usage_read(usage)
    allocate_one = compiled.allocate_one
    # The batch builds millions of small objects and keeps them all, none in a reference cycle:
    # the cyclic garbage collector would scan them over and over (half the run time) and find
    # nothing. It is paused for the batch and resumed afterwards (if it was running).
    collector_was_running = gc.isenabled()
    gc.disable()
    try:
        results = [allocate_one(transaction, used) for transaction in transactions]
    finally:
        if collector_was_running:
            gc.enable()
    compiled.usage_write(used, usage)
    return results, usage


def reverse(
    amount: Decimal,
    original: AllocationResult | Sequence[Allocation],
    setup: FundingSetup,
    usage: dict,
    *,
    transaction_key: Any = None,
    transaction: TransactionFacts | None = None,
) -> AllocationResult:
    """Split a negative ``amount`` over ``original`` allocations in proportion to their amounts.

    Allocations of the same source, rule and limits are netted first, so earlier reversals can
    be passed along with the original allocations to reverse the remainder. Guarantees: the
    reversal adds back to ``amount`` exactly, no allocation is reversed by more than it gave,
    each reversed amount is its exact proportional share rounded down or up (the rounding
    difference going first to the rounding source), and the limits the original allocations
    used get their headroom back in ``usage`` (updated in place, never below zero). For an
    original allocation whose ``limit_ids`` is ``None`` (not recorded), the limits of its source
    that apply to ``transaction`` are used instead.
    """
    compiled = setup._compiled
    if not isinstance(amount, Decimal):
        raise TransactionNotAllocatable(AMOUNT_NOT_DECIMAL.format(what="An amount", value=amount))
    if amount > 0:
        raise ReversalNotPossible(REVERSAL_NOT_NEGATIVE.format(amount=amount))
    if isinstance(original, AllocationResult):
        original = original.allocations
    magnitude = -compiled.to_minor(amount, "A reversal amount")
    used = compiled.usage_read(usage)
    result = compiled.reverse_minor(transaction_key, amount, magnitude, original, used, transaction)
    compiled.usage_write(used, usage)
    return result


def funding_rule_matches(rule: FundingRule, transaction: TransactionFacts) -> bool:
    """True when ``rule`` covers ``transaction`` by its criteria and validity dates."""
    return _criteria_match(rule, transaction) and _valid_on(
        rule.valid_from, rule.valid_to, transaction.date
    )


def funding_limit_applies(limit: FundingLimit, transaction: TransactionFacts) -> bool:
    """True when ``limit`` caps ``transaction`` (same narrowing semantics as the rules)."""
    return _criteria_match(limit, transaction) and _valid_on(
        limit.date_from, limit.date_to, transaction.date
    )


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def _criteria_match(criteria: FundingRule | FundingLimit, transaction: TransactionFacts) -> bool:
    project_id = criteria.project_id
    if project_id is not None and not (
        project_id == transaction.project_id or project_id in transaction.project_ancestor_ids
    ):
        return False
    for name in ("worker_id", "item_id", "category_id", "category_group_id", "kind"):
        wanted = getattr(criteria, name, None)
        if wanted is not None and wanted != getattr(transaction, name):
            return False
    return True


def _valid_on(start: datetime.date | None, end: datetime.date | None, day: datetime.date) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def _id_order(value: Any) -> tuple:
    """A sort key for ids of any type: numbers in numeric order, before anything else."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def _rule_order(rule: FundingRule) -> tuple:
    return (rule.priority, -rule.criteria_count, _id_order(rule.id))


# --------------------------------------------------------------------------------------------
# The compiled setup: integer minor units, a plan per transaction signature
# --------------------------------------------------------------------------------------------

_SIGNATURE_FIELDS = (
    ("project_id", "project_id"),
    ("project_id", "project_ancestor_ids"),
    ("worker_id", "worker_id"),
    ("item_id", "item_id"),
    ("category_id", "category_id"),
    ("category_group_id", "category_group_id"),
    ("kind", "kind"),
)
_PLAN_CACHE_SIZE = 200_000
_DECIMAL_CACHE_SIZE = 100_000
_ONE_DAY = datetime.timedelta(days=1)

# A plan line describes one place an amount can go: a rule line, the on-hold rest or the
# unfunded rest. It is built once per plan and the hot path only indexes it. Its fields:
# (kind, source_id, limit indexes that apply, their limit ids, rule, percentage, points,
#  whether the source's headroom must be tracked to later steps, rule id, priority, is_on_hold)
(
    _KIND,
    _SOURCE,
    _INDEXES,
    _LIMIT_IDS,
    _RULE,
    _PERCENTAGE,
    _POINTS,
    _TRACK,
    _RULE_ID,
    _PRIORITY,
    _IS_ON_HOLD,
) = range(11)
_RULE_LINE, _ON_HOLD_LINE, _UNFUNDED_LINE, _REVERSAL = "rule", "on hold", "unfunded", "reversal"
_UNFUNDED_PLAN_LINE = (_UNFUNDED_LINE, None, (), (), None, None, 0, False, None, None, True)


class _CompiledSetup:
    """A checked :class:`FundingSetup` in integer form, with caches for the hot path.

    Percentages become integers over ``percent_scale`` (100 for whole percentages, 10,000 for
    two decimals); amounts become integers of minor units.
    """

    def __init__(self, setup: FundingSetup) -> None:
        self.setup = setup
        self.currency = setup.currency
        self.decimals = currency_decimals(setup.currency)
        self.scale = 10**self.decimals
        self.rounding_source_id = setup.rounding_source_id
        self.on_hold_source_id = setup.on_hold_source_id
        self.source_names = dict(setup.source_names or {})
        self._check_ids(setup)
        self.rules = sorted(setup.rules, key=_rule_order)
        self.percent_places = self._percent_places(self.rules)
        self.percent_scale = 100 * 10**self.percent_places
        self.rule_lines = {rule.id: self._rule_lines(rule) for rule in self.rules}
        self.limits = sorted(setup.limits, key=lambda limit: _id_order(limit.id))
        self.limit_amounts = [self._limit_amount(limit) for limit in self.limits]
        self.limit_index = {limit.id: index for index, limit in enumerate(self.limits)}
        self.limits_by_source: dict[Any, list[int]] = {}
        for index, limit in enumerate(self.limits):
            self.limits_by_source.setdefault(limit.source_id, []).append(index)
        self.breakpoints = self._breakpoints(setup)
        used_fields = set()
        for item in (*setup.rules, *setup.limits):
            for criterion, _attribute in _SIGNATURE_FIELDS:
                if getattr(item, criterion, None) is not None:
                    used_fields.add(criterion)
        attributes = [attr for crit, attr in _SIGNATURE_FIELDS if crit in used_fields]
        # Only the attributes some rule or limit looks at decide the plan: fewer distinct keys.
        self.signature = attrgetter(*attributes) if attributes else None
        self.plans: dict = {}
        self.amount_cache: dict[Decimal, int] = {}
        self.decimal_cache: dict[int, Decimal] = {}
        self.zero = Decimal(0).scaleb(-self.decimals)

    # -- checks ----------------------------------------------------------------------------

    @staticmethod
    def _check_ids(setup: FundingSetup) -> None:
        seen: set = set()
        for rule in setup.rules:
            if rule.id in seen:
                raise FundingSetupInvalid(DUPLICATE_RULE_ID.format(rule=rule.id))
            seen.add(rule.id)
        seen = set()
        for limit in setup.limits:
            if limit.id in seen:
                raise FundingSetupInvalid(DUPLICATE_LIMIT_ID.format(limit=limit.id))
            seen.add(limit.id)

    @staticmethod
    def _percent_places(rules: list[FundingRule]) -> int:
        places = 0
        for rule in rules:
            for line in rule.lines:
                if not isinstance(line.percentage, Decimal) or not line.percentage.is_finite():
                    raise FundingSetupInvalid(
                        AMOUNT_NOT_DECIMAL.format(what="A percentage", value=line.percentage)
                    )
                places = max(places, -line.percentage.as_tuple().exponent)
        return places

    def _rule_lines(self, rule: FundingRule) -> tuple:
        label = _rule_label(rule)
        if not rule.lines:
            raise FundingSetupInvalid(RULE_WITHOUT_LINES.format(rule=label))
        if rule.valid_from and rule.valid_to and rule.valid_from > rule.valid_to:
            raise FundingSetupInvalid(
                VALIDITY_REVERSED.format(rule=label, start=rule.valid_from, end=rule.valid_to)
            )
        if rule.kind is not None and rule.kind not in TRANSACTION_KINDS:
            raise FundingSetupInvalid(
                UNKNOWN_KIND.format(kind=rule.kind, kinds=", ".join(TRANSACTION_KINDS))
            )
        lines = []
        seen: set = set()
        for line in rule.lines:
            if line.source_id is None:
                raise FundingSetupInvalid(SOURCE_ID_MISSING.format(rule=label))
            if line.source_id in seen:
                raise FundingSetupInvalid(
                    SOURCE_TWICE_IN_RULE.format(rule=label, source=line.source_id)
                )
            seen.add(line.source_id)
            if not Decimal(0) < line.percentage <= Decimal(100):
                raise FundingSetupInvalid(
                    PERCENTAGE_OUT_OF_RANGE.format(
                        rule=label, percentage=line.percentage, source=line.source_id
                    )
                )
            points = int(line.percentage.scaleb(self.percent_places))
            lines.append((line.source_id, points, line.percentage))
        total = sum(line.percentage for line in rule.lines)
        if total > 100:
            raise FundingSetupInvalid(RULE_OVER_HUNDRED.format(rule=label, total=total))
        return tuple(lines)

    def _limit_amount(self, limit: FundingLimit) -> int:
        if limit.date_from and limit.date_to and limit.date_from > limit.date_to:
            raise FundingSetupInvalid(
                LIMIT_DATES_REVERSED.format(
                    limit=limit.id, start=limit.date_from, end=limit.date_to
                )
            )
        if limit.kind is not None and limit.kind not in TRANSACTION_KINDS:
            raise FundingSetupInvalid(
                UNKNOWN_KIND.format(kind=limit.kind, kinds=", ".join(TRANSACTION_KINDS))
            )
        amount = self.to_minor(limit.amount, f"Funding limit {limit.id}", error=FundingSetupInvalid)
        if amount < 0:
            raise FundingSetupInvalid(LIMIT_NEGATIVE.format(limit=limit.id, amount=limit.amount))
        return amount

    @staticmethod
    def _breakpoints(setup: FundingSetup) -> list[datetime.date]:
        """Dates where some rule or limit starts or stops being valid, sorted.

        Between two breakpoints every rule and limit is either valid or not, so the plan for a
        transaction depends on its date only through ``bisect_right(breakpoints, date)``.
        """
        points = set()
        ranges = [(rule.valid_from, rule.valid_to) for rule in setup.rules]
        ranges += [(limit.date_from, limit.date_to) for limit in setup.limits]
        for start, end in ranges:
            if start is not None:
                points.add(start)
            if end is not None and end < datetime.date.max:
                points.add(end + _ONE_DAY)
        return sorted(points)

    # -- conversions -----------------------------------------------------------------------

    def to_minor(
        self, amount: Decimal, what: str, error: type[AllocationError] = TransactionNotAllocatable
    ) -> int:
        """``amount`` as an integer number of minor units; refuses sub-minor digits."""
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise error(AMOUNT_NOT_DECIMAL.format(what=what, value=amount))
        scaled = amount.scaleb(self.decimals)
        whole = int(scaled)
        if scaled != whole:
            raise error(
                AMOUNT_NOT_IN_MINOR_UNIT.format(
                    what=what, amount=amount, currency=self.currency, decimals=self.decimals
                )
            )
        return whole

    def to_decimal(self, minor: int) -> Decimal:
        """An integer of minor units as a ``Decimal`` with the currency's exponent."""
        cache = self.decimal_cache
        value = cache.get(minor)
        if value is None:
            if len(cache) >= _DECIMAL_CACHE_SIZE:
                cache.clear()
            value = cache[minor] = Decimal(minor).scaleb(-self.decimals)
        return value

    def usage_read(self, usage: Mapping) -> list[int]:
        """The usage of every limit, by limit index, in minor units."""
        used = []
        for limit in self.limits:
            value = usage.get(limit.id)
            if value is None:
                used.append(0)
            else:
                used.append(self.to_minor(value, f"The usage of funding limit {limit.id}"))
        return used

    def usage_write(self, used: list[int], usage: dict) -> None:
        for limit, value in zip(self.limits, used, strict=True):
            usage[limit.id] = self.to_decimal(value)

    # -- plans -----------------------------------------------------------------------------

    def plan_for(self, transaction: TransactionFacts) -> tuple:
        """The compiled steps for ``transaction``: cached per signature and date bucket."""
        signature = self.signature
        key = signature(transaction) if signature is not None else None
        if self.breakpoints:
            key = (key, bisect_right(self.breakpoints, transaction.date))
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) >= _PLAN_CACHE_SIZE:
                self.plans.clear()
            plan = self.plans[key] = self._build_plan(transaction)
        return plan

    def _build_plan(self, transaction: TransactionFacts) -> tuple:
        """``(steps, on_hold_line)`` for every transaction with the same signature and bucket.

        A step is ``(rule, total_points, plan_lines, limited)``, where ``limited`` holds
        ``(source_id, points, limit_indexes, single_limit_index)`` for each line whose source
        has limits that apply. A plan line has the fields listed above ``_KIND``.
        """
        applicable: dict[Any, tuple[int, ...]] = {}

        def limits_of(source_id: Any) -> tuple[int, ...]:
            found = applicable.get(source_id)
            if found is None:
                found = applicable[source_id] = tuple(
                    index
                    for index in self.limits_by_source.get(source_id, ())
                    if funding_limit_applies(self.limits[index], transaction)
                )
            return found

        matching = [rule for rule in self.rules if funding_rule_matches(rule, transaction)]
        # Which sources come back later (a later rule or the on-hold rest): only their
        # headroom has to be tracked through the transaction.
        later_sources: list[set] = []
        seen: set = {self.on_hold_source_id}
        for rule in reversed(matching):
            later_sources.append(set(seen))
            seen.update(source_id for source_id, _points, _percentage in self.rule_lines[rule.id])
        later_sources.reverse()
        steps = []
        for rule, later in zip(matching, later_sources, strict=True):
            plan_lines = []
            limited = []
            for source_id, points, percentage in self.rule_lines[rule.id]:
                indexes = limits_of(source_id)
                plan_lines.append(
                    (
                        _RULE_LINE,
                        source_id,
                        indexes,
                        tuple(self.limits[index].id for index in indexes),
                        rule,
                        percentage,
                        points,
                        bool(indexes) and source_id in later,
                        rule.id,
                        rule.priority,
                        False,
                    )
                )
                if indexes:
                    single = indexes[0] if len(indexes) == 1 else -1
                    limited.append((source_id, points, indexes, single))
            total_points = sum(line[_POINTS] for line in plan_lines)
            steps.append((rule, total_points, tuple(plan_lines), tuple(limited)))
        on_hold = None
        if self.on_hold_source_id is not None:
            indexes = limits_of(self.on_hold_source_id)
            on_hold = (
                _ON_HOLD_LINE,
                self.on_hold_source_id,
                indexes,
                tuple(self.limits[index].id for index in indexes),
                None,
                None,
                0,
                False,
                None,
                None,
                True,
            )
        return (tuple(steps), on_hold)

    def headroom(self, indexes: tuple[int, ...], used: list[int]) -> list:
        """``[numerator, denominator, binding limit index, headroom]`` of a source.

        Headroom is the smallest ``amount - used`` over the limits that apply; the first such
        limit (by id) is the one that binds. The first two items track the exact headroom
        through a transaction; the last stays the integer headroom at its start.
        """
        amounts = self.limit_amounts
        best = None
        best_index = -1
        for index in indexes:
            left = amounts[index] - used[index]
            if best is None or left < best:
                best = left
                best_index = index
        return [best, 1, best_index, best]

    # -- the hot path ----------------------------------------------------------------------

    def allocate_one(self, transaction: TransactionFacts, used: list[int]) -> AllocationResult:
        """Allocate one transaction against ``used`` (limit index -> minor units, updated).

        The hot path of :func:`allocate_batch`, written flat on purpose: the exact split
        (rational numbers as integer numerator/denominator pairs, amounts in minor units), the
        half-up rounding and the allocations are all built in one pass. Split lines are
        ``(plan_line, numerator, denominator, rest_numerator, rest_denominator, binding,
        context)``: the exact share is numerator / denominator, the rest is what was unallocated
        before the line's rule, ``binding`` is ``(limit_index, headroom_numerator,
        headroom_denominator, source_id)`` of the limit that scaled the rule down, and the line
        itself is what an allocation keeps to explain itself later.
        """
        if transaction.currency != self.currency:
            raise TransactionNotAllocatable(
                CURRENCY_MISMATCH.format(
                    key=transaction.key,
                    transaction_currency=transaction.currency,
                    setup_currency=self.currency,
                )
            )
        amount = transaction.amount
        magnitude = self.amount_cache.get(amount)
        if magnitude is None:
            magnitude = self.to_minor(amount, f"The amount of transaction {transaction.key}")
            if len(self.amount_cache) >= _DECIMAL_CACHE_SIZE:
                self.amount_cache.clear()
            self.amount_cache[amount] = magnitude
        if magnitude <= 0:
            if magnitude == 0:
                return AllocationResult(transaction.key, amount, ())
            return self.allocate_negative(transaction, -magnitude, used)
        signature = self.signature
        key = signature(transaction) if signature is not None else None
        if self.breakpoints:
            key = (key, bisect_right(self.breakpoints, transaction.date))
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plan_for(transaction)
        steps, on_hold = plan

        # 1. The exact split, rounded half-up on the way.
        percent_scale = self.percent_scale
        context = (self, 1, magnitude)
        lines = []
        values = []
        total = 0
        heads = None
        rest_n = magnitude
        rest_d = 1
        for _rule, total_points, plan_lines, limited in steps:
            # The rule takes points/percent_scale of the rest: share_n/share_d per point.
            share_n = rest_n
            share_d = rest_d * percent_scale
            binding = None
            if limited:
                if heads is None:
                    heads = {}
                for source_id, points, indexes, single in limited:
                    head = heads.get(source_id)
                    if head is None:
                        if single >= 0:
                            left = self.limit_amounts[single] - used[single]
                            head = heads[source_id] = [left, 1, single, left]
                        else:
                            head = heads[source_id] = self.headroom(indexes, used)
                    head_n = head[0]
                    if head_n <= 0:
                        break
                    head_d = head[1]
                    # Would points * share go over the headroom? Then the share shrinks to it.
                    if head_n * share_d < share_n * points * head_d:
                        share_n = head_n
                        share_d = head_d * points
                        binding = (head[2], head_n, head_d, source_id)
                if head_n <= 0:
                    continue  # a source of this rule is exhausted: the rule is skipped
            for plan_line in plan_lines:
                points = plan_line[_POINTS]
                numerator = points * share_n
                lines.append((plan_line, numerator, share_d, rest_n, rest_d, binding, context))
                value, remainder = divmod(numerator, share_d)
                if remainder * 2 >= share_d:
                    value += 1
                values.append(value)
                total += value
                if plan_line[_TRACK]:
                    head = heads[plan_line[_SOURCE]]
                    head_d = head[1]
                    head[0] = head[0] * share_d - numerator * head_d
                    head[1] = head_d * share_d
            if binding is None:
                rest_n = rest_n * (percent_scale - total_points)
                rest_d = share_d
            else:
                rest_n = rest_n * share_d - total_points * share_n * rest_d
                rest_d = rest_d * share_d
                divisor = gcd(rest_n, rest_d)
                if divisor > 1:
                    rest_n //= divisor
                    rest_d //= divisor
            if rest_n == 0:
                break
        if rest_n:
            if on_hold is not None:
                take_n, take_d, binding = rest_n, rest_d, None
                indexes = on_hold[_INDEXES]
                if indexes:
                    source_id = on_hold[_SOURCE]
                    if heads is None:
                        heads = {}
                    head = heads.get(source_id)
                    if head is None:
                        head = heads[source_id] = self.headroom(indexes, used)
                    head_n, head_d = head[0], head[1]
                    if head_n <= 0:
                        take_n = 0
                    elif head_n * rest_d < rest_n * head_d:
                        take_n, take_d = head_n, head_d
                        binding = (head[2], head_n, head_d, source_id)
                if take_n:
                    lines.append((on_hold, take_n, take_d, rest_n, rest_d, binding, context))
                    rest_n, rest_d = rest_n * take_d - take_n * rest_d, rest_d * take_d
            if rest_n:
                lines.append((_UNFUNDED_PLAN_LINE, rest_n, rest_d, rest_n, rest_d, None, context))
            for line in lines[len(values) :]:
                value, remainder = divmod(line[1], line[2])
                if remainder * 2 >= line[2]:
                    value += 1
                values.append(value)
                total += value

        # 2. Settle the rounding difference (rare), use the limits, build the allocations.
        baseline = values
        if total != magnitude:
            values = self.settle(lines, baseline, magnitude, heads)
        decimal_cache = self.decimal_cache
        limit_amounts = self.limit_amounts
        zero = self.zero
        over = False
        allocations = []
        for line, value, base in zip(lines, values, baseline, strict=True):
            if value:
                plan_line = line[0]
                for index in plan_line[_INDEXES]:
                    now = used[index] + value
                    used[index] = now
                    if now > limit_amounts[index]:
                        over = True
                binding = line[5]
                decimal_value = decimal_cache.get(value)
                if decimal_value is None:
                    decimal_value = self.to_decimal(value)
                allocations.append(
                    Allocation(
                        plan_line[_SOURCE],
                        decimal_value,
                        plan_line[_RULE_ID],
                        plan_line[_PRIORITY],
                        plan_line[_PERCENTAGE],
                        None if binding is None else self.limits[binding[0]].id,
                        zero if value == base else self.to_decimal(value - base),
                        plan_line[_IS_ON_HOLD],
                        plan_line[_LIMIT_IDS],
                        line,
                    )
                )
        if over:
            # Rounding half-up pushed a nearly exhausted source over a limit: undo, and settle
            # again with the limits as caps.
            for line, value in zip(lines, values, strict=True):
                for index in line[0][_INDEXES]:
                    used[index] -= value
            values = self.settle(lines, baseline, magnitude, heads)
            return AllocationResult(
                transaction.key, amount, self.build(lines, values, baseline, used, 1)
            )
        return AllocationResult(transaction.key, amount, tuple(allocations))

    def build(
        self, lines: list, values: list[int], baseline: list[int], used: list[int], sign: int
    ) -> tuple[Allocation, ...]:
        """Allocations for rounded split lines; ``used`` goes up (``sign`` 1) or down (-1).

        Going down (a credit), usage is floored at zero.
        """
        allocations = []
        for line, value, base in zip(lines, values, baseline, strict=True):
            if not value:
                continue
            plan_line = line[0]
            for index in plan_line[_INDEXES]:
                if sign > 0:
                    used[index] += value
                else:
                    used[index] = max(used[index] - value, 0)
            binding = line[5]
            allocations.append(
                Allocation(
                    plan_line[_SOURCE],
                    self.to_decimal(sign * value),
                    plan_line[_RULE_ID],
                    plan_line[_PRIORITY],
                    plan_line[_PERCENTAGE],
                    None if binding is None else self.limits[binding[0]].id,
                    self.zero if value == base else self.to_decimal(sign * (value - base)),
                    plan_line[_IS_ON_HOLD],
                    plan_line[_LIMIT_IDS],
                    line,
                )
            )
        return tuple(allocations)

    def allocate_negative(
        self, transaction: TransactionFacts, magnitude: int, used: list[int]
    ) -> AllocationResult:
        """A negative amount without original allocations: rule percentages, no limit checks.

        Each matching rule takes its percentage of the rest, nothing is scaled or skipped, the
        rest goes to the on-hold source (or unfunded), and the applicable limits get the
        headroom back, floored at zero.
        """
        steps, on_hold = self.plan_for(transaction)
        percent_scale = self.percent_scale
        context = (self, -1, magnitude)
        lines = []
        rest_n = magnitude
        rest_d = 1
        for _rule, total_points, plan_lines, _limited in steps:
            share_d = rest_d * percent_scale
            for plan_line in plan_lines:
                numerator = plan_line[_POINTS] * rest_n
                lines.append((plan_line, numerator, share_d, rest_n, rest_d, None, context))
            rest_n = rest_n * (percent_scale - total_points)
            rest_d = share_d
            if rest_n == 0:
                break
        if rest_n:
            last = on_hold if on_hold is not None else _UNFUNDED_PLAN_LINE
            lines.append((last, rest_n, rest_d, rest_n, rest_d, None, context))
        baseline = []
        for line in lines:
            value, remainder = divmod(line[1], line[2])
            baseline.append(value + (remainder > 0 and remainder * 2 >= line[2]))
        values = baseline
        if sum(baseline) != magnitude:
            values = self.settle(lines, baseline, magnitude, None)
        allocations = self.build(lines, values, baseline, used, -1)
        return AllocationResult(transaction.key, transaction.amount, allocations)

    def settle(self, lines: list, baseline: list[int], amount: int, heads: dict | None) -> list:
        """Settle the rounding difference of a split with :func:`_apportion`."""
        caps = {source_id: head[3] for source_id, head in heads.items()} if heads else {}
        return _apportion(
            [(line[0][_SOURCE], line[1], line[2]) for line in lines],
            baseline,
            amount,
            caps,
            self.rounding_source_id,
            [bool(line[0][_INDEXES]) for line in lines],
        )

    # -- reversal --------------------------------------------------------------------------

    def reverse_minor(
        self,
        transaction_key: Any,
        amount: Decimal,
        magnitude: int,
        original: Sequence[Allocation],
        used: list[int],
        transaction: TransactionFacts | None,
    ) -> AllocationResult:
        """Split ``magnitude`` minor units back over ``original`` (see :func:`reverse`)."""
        groups: dict[tuple, list] = {}
        for allocation in original:
            key = (
                allocation.source_id,
                allocation.rule_id,
                allocation.is_on_hold,
                allocation.limit_ids,
            )
            minor = self.to_minor(allocation.amount, "An original allocation")
            if key in groups:
                groups[key][1] += minor
            else:
                groups[key] = [allocation, minor]
        parts = []
        for allocation, minor in groups.values():
            if minor < 0:
                raise ReversalNotPossible(
                    ORIGINAL_NOT_POSITIVE.format(
                        amount=self.to_decimal(minor), source=allocation.source_id
                    )
                )
            if minor > 0:
                parts.append((allocation, minor))
        total = sum(minor for _allocation, minor in parts)
        if magnitude > total:
            raise ReversalNotPossible(
                REVERSAL_EXCEEDS_ORIGINAL.format(amount=amount, total=self.to_decimal(total))
            )
        if magnitude == 0:
            return AllocationResult(transaction_key, amount, ())
        # Each exact share is at most the original allocation (magnitude <= total), so even
        # rounded up it never reverses more than the allocation gave.
        exact = [(allocation.source_id, magnitude * minor, total) for allocation, minor in parts]
        baseline = []
        for _source_id, numerator, denominator in exact:
            value, remainder = divmod(numerator, denominator)
            baseline.append(value + (remainder > 0 and remainder * 2 >= denominator))
        values = baseline
        if sum(baseline) != magnitude:
            values = _apportion(
                exact, baseline, magnitude, {}, self.rounding_source_id, [False] * len(exact)
            )
        allocations = []
        for (allocation, minor), value, base in zip(parts, values, baseline, strict=True):
            if value == 0:
                continue
            indexes = self._reversal_limits(allocation, transaction)
            for index in indexes:
                left = used[index] - value
                used[index] = left if left > 0 else 0
            allocations.append(
                Allocation(
                    allocation.source_id,
                    self.to_decimal(-value),
                    allocation.rule_id,
                    allocation.priority,
                    allocation.percentage,
                    None,
                    self.zero if value == base else self.to_decimal(base - value),
                    allocation.is_on_hold,
                    tuple(self.limits[index].id for index in indexes),
                    (_REVERSAL, allocation, minor, total, indexes, None, (self, -1, magnitude)),
                )
            )
        return AllocationResult(transaction_key, amount, tuple(allocations))

    def _reversal_limits(
        self, allocation: Allocation, transaction: TransactionFacts | None
    ) -> tuple[int, ...]:
        if allocation.source_id is None:
            return ()
        if allocation.limit_ids is not None:
            return tuple(
                self.limit_index[limit_id]
                for limit_id in allocation.limit_ids
                if limit_id in self.limit_index
            )
        if transaction is None:
            return ()
        return tuple(
            index
            for index in self.limits_by_source.get(allocation.source_id, ())
            if funding_limit_applies(self.limits[index], transaction)
        )


def _apportion(
    exact: list[tuple[Any, int, int]],
    baseline: list[int],
    amount: int,
    caps: Mapping[Any, int],
    rounding_source_id: Any,
    limited: list[bool],
) -> list[int]:
    """Round exact shares so that they add up to ``amount`` without breaking any cap.

    ``exact`` holds ``(source_id, numerator, denominator)``, ``baseline`` the half-up rounding
    of each, ``caps`` the integer headroom of each limited source (``limited`` marks the lines
    that count against it). Every result is its exact share rounded down or up. First a source
    whose lines would go over its cap gives back units it was rounded up by (smallest remainder
    first); then the difference to ``amount`` is settled one unit at a time, on the rounding
    source's lines first, then by largest remainder (ties: the later line), never on a full
    source. A solution always exists, because the exact shares of a source never exceed its
    cap and each line can move by at most one unit.
    """
    count = len(exact)
    floors = []
    remainders = []
    denominators = []
    preferred = []
    for source_id, numerator, denominator in exact:
        value, remainder = divmod(numerator, denominator)
        floors.append(value)
        remainders.append(remainder)
        denominators.append(denominator)
        preferred.append(rounding_source_id is not None and source_id == rounding_source_id)
    final = list(baseline)
    sums: dict = {}
    if caps:
        for index in range(count):
            if limited[index]:
                source_id = exact[index][0]
                sums[source_id] = sums.get(source_id, 0) + final[index]
        for source_id, cap in caps.items():
            while sums.get(source_id, 0) > cap:
                best = -1
                for index in range(count):
                    if (
                        limited[index]
                        and exact[index][0] == source_id
                        and final[index] > floors[index]
                        and (
                            best < 0
                            # smallest remainder first; ties: the later line
                            or remainders[index] * denominators[best]
                            <= remainders[best] * denominators[index]
                        )
                    ):
                        best = index
                final[best] -= 1
                sums[source_id] -= 1
    difference = amount - sum(final)
    while difference:
        step = 1 if difference > 0 else -1
        best = -1
        for index in range(count):
            if step > 0:
                if final[index] != floors[index] or not remainders[index]:
                    continue
                if limited[index] and caps:
                    source_id = exact[index][0]
                    if source_id in caps and sums[source_id] >= caps[source_id]:
                        continue
            elif final[index] == floors[index]:
                continue
            if best >= 0:
                if preferred[best] != preferred[index]:
                    if preferred[best]:
                        continue
                else:
                    # Up: the largest remainder; down: the smallest. Ties: the later line.
                    left = remainders[index] * denominators[best]
                    right = remainders[best] * denominators[index]
                    if (left < right) if step > 0 else (left > right):
                        continue
            best = index
        final[best] += step
        if limited[best] and caps and exact[best][0] in sums:
            sums[exact[best][0]] += step
        difference -= step
    return final


# --------------------------------------------------------------------------------------------
# Explanations (computed only when asked for)
# --------------------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:,}"


def _signed_money(value: Decimal) -> str:
    return f"{value:+,}"


def _percent(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


@dataclass(frozen=True, slots=True)
class Figure:
    """An amount in an explanation: exact, or ``approximate`` (a share that recurs, shown to
    four more decimals with '≈'), or ``signed`` (a rounding difference, with its sign)."""

    value: Decimal
    approximate: bool = False
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Percent:
    """A percentage in an explanation."""

    value: Decimal


#: The explanation's parts, each a kind and its parameters; a parameter is text (a name, an
#: id), a :class:`Figure`, a :class:`Percent` or a part of its own. These are the English
#: messages; ``funding/explanations.py`` writes the same kinds in the reader's language.
EXPLANATION_TEXTS = {
    "rule_gave": "%(rule)s (priority %(priority)s) gave %(percent)s of %(base)s = %(nominal)s "
    "to %(source)s",
    "credit_by_percentages": " (a credit without original allocations follows the rule "
    "percentages)",
    "scaled_down": ", scaled down to %(amount)s by limit #%(limit)s%(owner)s (%(limit_amount)s, "
    "%(left)s left)",
    "limit_owner": " of %(source)s",
    "rounded": ", rounded to %(amount)s",
    "rounding_by_source": " (%(difference)s rounding difference, taken by the contract's "
    "rounding source)",
    "rounding_within_limits": " (%(difference)s rounding difference, so that the allocations "
    "add up exactly within the limits)",
    "end": ".",
    "reversal": "Takes back %(taken)s of the %(given)s that %(origin)s gave %(source)s: the "
    "credit of %(credit)s is spread in proportion over the %(total)s originally allocated",
    "headroom_back": "; the headroom goes back to limit %(limits)s",
    "origin_on_hold": "the on-hold rest",
    "origin_allocation": "an allocation",
    "origin_rule": "%(rule)s (priority %(priority)s)",
    "on_hold": "No rule covered %(base)s, so it waits on the on-hold %(source)s",
    "on_hold_limit": ", as far as its limit #%(limit)s allows (%(limit_amount)s, %(left)s left)",
    "unfunded": "%(amount)s of %(whole)s is unfunded: no rule covered it and %(reason)s",
    "no_on_hold_source": "there is no on-hold source",
    "on_hold_used_up": "the limits of the on-hold source are used up",
    "left_of": "%(rest)s (what was left of %(whole)s)",
    "rule_named": "Rule '%(name)s'",
    "rule_number": "Rule #%(id)s",
    "source_named": "source '%(name)s'",
    "source_number": "source #%(id)s",
    "no_source": "no source",
    "plain": "%(amount)s to %(source)s",
    "plain_rule": " by rule #%(rule)s (priority %(priority)s)",
    "plain_limit": " scaled down by limit #%(limit)s",
    "plain_on_hold": " on hold",
}


def _part(kind: str, **params) -> tuple:
    return (kind, params)


def explanation_render(parts, *, templates=None, figure=None, percent=None) -> str:
    """The explanation's parts as one text: in English with the defaults; a caller in another
    language passes its own templates (kind -> message) and number formats."""
    templates = templates or EXPLANATION_TEXTS
    figure = figure or _figure_english
    percent = percent or (lambda value: _percent(value.value))

    def value(param):
        if isinstance(param, Figure):
            return figure(param)
        if isinstance(param, Percent):
            return percent(param)
        if isinstance(param, tuple):
            return one(param)
        return str(param)

    def one(part) -> str:
        kind, params = part
        template = str(templates[kind])
        return (
            template % {name: value(param) for name, param in params.items()}
            if params
            else template
        )

    return "".join(one(part) for part in parts)


def _figure_english(figure: Figure) -> str:
    if figure.signed:
        return _signed_money(figure.value)
    return ("≈" if figure.approximate else "") + _money(figure.value)


def _rule_part(rule: FundingRule) -> tuple:
    return _part("rule_named", name=rule.name) if rule.name else _part("rule_number", id=rule.id)


def _rule_label(rule: FundingRule) -> str:
    return explanation_render([_rule_part(rule)])


def _explain(allocation: Allocation) -> str:
    return explanation_render(_explained(allocation))


def _explained(allocation: Allocation) -> tuple:
    line = allocation._explain
    if line is None:
        return _explained_plain(allocation)
    compiled, sign, magnitude = line[6]
    source = _source_part(compiled, allocation.source_id)
    to_decimal = compiled.to_decimal

    def exact(numerator: int, denominator: int, signed: bool = True) -> Figure:
        """An exact share (minor units as a fraction) in plain figures, '≈' when it recurs."""
        extra = 6
        scaled, remainder = divmod(numerator * 10**extra, denominator)
        value = Decimal(sign * scaled if signed else scaled).scaleb(-extra - compiled.decimals)
        if remainder:
            return Figure(value.quantize(Decimal(1).scaleb(-compiled.decimals - 4)), True)
        if value.as_tuple().exponent < -compiled.decimals:
            value = value.normalize()
            if value.as_tuple().exponent > -compiled.decimals:
                value = value.quantize(Decimal(1).scaleb(-compiled.decimals))
        return Figure(value)

    def rounded(numerator: int, denominator: int) -> list:
        """', rounded to ...' when the allocation differs from its exact share."""
        if numerator == abs(compiled.to_minor(allocation.amount, "")) * denominator:
            return []
        parts = [_part("rounded", amount=Figure(allocation.amount))]
        if allocation.rounding_adjustment:
            why = (
                "rounding_by_source"
                if allocation.source_id is not None
                and allocation.source_id == compiled.rounding_source_id
                else "rounding_within_limits"
            )
            parts.append(_part(why, difference=Figure(allocation.rounding_adjustment, signed=True)))
        return parts

    end = _part("end")
    if line[0] == _REVERSAL:
        _tag, original, minor, total, indexes, _binding, _context = line
        origin = _part("origin_on_hold" if original.is_on_hold else "origin_allocation")
        if original.rule_id is not None:
            origin = _part(
                "origin_rule",
                rule=_part("rule_number", id=original.rule_id),
                priority=original.priority,
            )
            for rule in compiled.rules:
                if rule.id == original.rule_id:
                    origin = _part("origin_rule", rule=_rule_part(rule), priority=rule.priority)
        limits = ", ".join(f"#{compiled.limits[index].id}" for index in indexes)
        giveback = [_part("headroom_back", limits=limits)] if limits else []
        reversal = _part(
            "reversal",
            taken=exact(magnitude * minor, total, signed=False),
            given=Figure(to_decimal(minor)),
            origin=origin,
            source=source,
            credit=Figure(to_decimal(-magnitude)),
            total=Figure(to_decimal(total)),
        )
        return (reversal, *rounded(magnitude * minor, total), *giveback, end)
    plan_line, numerator, denominator, rest_n, rest_d, binding, _context = line
    whole = Figure(to_decimal(sign * magnitude))
    rest = exact(rest_n, rest_d)
    of_what = (
        rest if rest_n == magnitude and rest_d == 1 else _part("left_of", rest=rest, whole=whole)
    )
    kind = plan_line[_KIND]
    if kind == _RULE_LINE:
        rule = plan_line[_RULE]
        parts = [
            _part(
                "rule_gave",
                rule=_rule_part(rule),
                priority=rule.priority,
                percent=Percent(plan_line[_PERCENTAGE]),
                base=of_what,
                nominal=exact(plan_line[_POINTS] * rest_n, rest_d * compiled.percent_scale),
                source=source,
            )
        ]
        if sign < 0:
            parts.append(_part("credit_by_percentages"))
        if binding is not None:
            limit_index, head_n, head_d, binding_source = binding
            limit = compiled.limits[limit_index]
            owner = ""
            if binding_source != allocation.source_id:
                owner = _part("limit_owner", source=_source_part(compiled, binding_source))
            parts.append(
                _part(
                    "scaled_down",
                    amount=exact(numerator, denominator),
                    limit=limit.id,
                    owner=owner,
                    limit_amount=Figure(limit.amount),
                    left=exact(head_n, head_d),
                )
            )
        return (*parts, *rounded(numerator, denominator), end)
    if kind == _ON_HOLD_LINE:
        parts = [_part("on_hold", base=of_what, source=source)]
        if binding is not None:
            limit = compiled.limits[binding[0]]
            parts.append(
                _part(
                    "on_hold_limit",
                    limit=limit.id,
                    limit_amount=Figure(limit.amount),
                    left=exact(binding[1], binding[2]),
                )
            )
        return (*parts, *rounded(numerator, denominator), end)
    reason = _part("no_on_hold_source")
    if compiled.on_hold_source_id is not None:
        reason = _part("on_hold_used_up")
    unfunded = _part("unfunded", amount=exact(numerator, denominator), whole=whole, reason=reason)
    return (unfunded, *rounded(numerator, denominator), end)


def _explained_plain(allocation: Allocation) -> tuple:
    """For an allocation built by hand (e.g. loaded back from the database)."""
    parts = [
        _part(
            "plain",
            amount=Figure(allocation.amount),
            source=_source_part(None, allocation.source_id),
        )
    ]
    if allocation.rule_id is not None:
        parts.append(_part("plain_rule", rule=allocation.rule_id, priority=allocation.priority))
    if allocation.binding_limit_id is not None:
        parts.append(_part("plain_limit", limit=allocation.binding_limit_id))
    if allocation.is_on_hold:
        parts.append(_part("plain_on_hold"))
    return (*parts, _part("end"))


def _source_part(compiled: _CompiledSetup | None, source_id: Any) -> tuple:
    if source_id is None:
        return _part("no_source")
    name = compiled.source_names.get(source_id) if compiled is not None else None
    return _part("source_named", name=name) if name else _part("source_number", id=source_id)
