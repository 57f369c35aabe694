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

Usage of the limits is a mapping ``{limit_id: Decimal}``. :func:`allocate`, :func:`allocate_batch`
and :func:`reverse` all **update the mapping in place**, and afterwards it holds the current
usage of every limit of the setup, in the currency's minor unit (a missing key counts as zero).

Negative amounts (credits, deductions):

* with the original allocations (:func:`reverse`, or :func:`allocate` with ``original=``) the
  negative amount is split over the original allocations in proportion to their amounts, adding
  back exactly, never reversing more than an allocation gave, and the headroom goes back to the
  limits the original allocations used (usage goes down, never below zero);
* without them, the rules' percentages are followed in priority order without any limit checks
  (nothing is scaled or skipped), the rest goes to the on-hold source or unfunded, and the
  headroom of the applicable limits is given back, floored at zero.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from math import gcd
from operator import attrgetter
from typing import Any

from contracts.money import currency_decimals, round_money

TRANSACTION_KINDS = ("hour", "expense", "item", "fee", "on_account")

# Error messages, reused by the tests.
UNKNOWN_KIND = "Unknown transaction kind {kind!r}: expected one of {kinds}."
AMOUNT_NOT_DECIMAL = "{what} must be a Decimal, got {value!r}."
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
        if not isinstance(self.amount, Decimal):
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
        if transaction.amount >= 0:
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
    results = [allocate_one(transaction, used) for transaction in transactions]
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
        if transaction_key is None:
            transaction_key = original.transaction_key
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

# Line kinds in the exact split (index 0 of a split line).
_RULE_LINE, _ON_HOLD_LINE, _UNFUNDED_LINE = 0, 1, 2


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
        breakpoints = self.breakpoints
        if breakpoints:
            key = (key, bisect_right(breakpoints, transaction.date))
        plans = self.plans
        plan = plans.get(key)
        if plan is None:
            if len(plans) >= _PLAN_CACHE_SIZE:
                plans.clear()
            plan = plans[key] = self._build_plan(transaction)
        return plan

    def _build_plan(self, transaction: TransactionFacts) -> tuple:
        """``(steps, on_hold)`` for transactions like this one.

        A step is ``(rule, total_points, lines, limited_lines)``; a line is
        ``(source_id, points, limit_indexes, percentage, limit_ids)`` and ``limited_lines``
        are the lines whose source has a limit that applies. ``on_hold`` is
        ``(source_id, limit_indexes, limit_ids)`` or ``None``.
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

        steps = []
        for rule in self.rules:
            if not funding_rule_matches(rule, transaction):
                continue
            lines = []
            for source_id, points, percentage in self.rule_lines[rule.id]:
                indexes = limits_of(source_id)
                limit_ids = tuple(self.limits[index].id for index in indexes)
                lines.append((source_id, points, indexes, percentage, limit_ids))
            limited = tuple(line for line in lines if line[2])
            steps.append((rule, sum(line[1] for line in lines), tuple(lines), limited))
        on_hold = None
        if self.on_hold_source_id is not None:
            indexes = limits_of(self.on_hold_source_id)
            limit_ids = tuple(self.limits[index].id for index in indexes)
            on_hold = (self.on_hold_source_id, indexes, limit_ids)
        return (tuple(steps), on_hold)

    def headroom(self, indexes: tuple[int, ...], used: list[int]) -> list:
        """``[numerator, denominator, binding limit index, headroom]`` of a source.

        Headroom is the smallest ``amount - used`` over the limits that apply; the first such
        limit (by id) is the one that binds.
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
        """Allocate one transaction against ``used`` (limit index -> minor units, updated)."""
        if transaction.currency != self.currency:
            raise TransactionNotAllocatable(
                CURRENCY_MISMATCH.format(
                    key=transaction.key,
                    transaction_currency=transaction.currency,
                    setup_currency=self.currency,
                )
            )
        amount = transaction.amount
        minor = self.amount_cache.get(amount)
        if minor is None:
            minor = self.to_minor(amount, f"The amount of transaction {transaction.key}")
            if len(self.amount_cache) >= _DECIMAL_CACHE_SIZE:
                self.amount_cache.clear()
            self.amount_cache[amount] = minor
        if minor == 0:
            return AllocationResult(transaction.key, amount, ())
        plan = self.plan_for(transaction)
        if minor > 0:
            lines, caps = self.split_exact(plan, minor, used)
            allocations = self.finish(lines, minor, caps, used, 1)
        else:
            lines = self.split_without_limits(plan, -minor)
            allocations = self.finish(lines, -minor, None, used, -1)
        return AllocationResult(transaction.key, amount, allocations)

    def split_exact(self, plan: tuple, amount: int, used: list[int]) -> tuple[list, dict | None]:
        """The exact (unrounded) split of a positive amount, with limits.

        Returns the split lines ``(kind, source_id, limit_indexes, limit_ids, step, percentage,
        numerator, denominator, rest_numerator, rest_denominator, binding)`` and the integer
        headroom of every limited source that was looked at (the rounding caps).
        ``binding`` is ``(limit_index, headroom_numerator, headroom_denominator, source_id)``.
        """
        percent_scale = self.percent_scale
        steps, on_hold = plan
        out = []
        heads = None
        rest_n = amount
        rest_d = 1
        for step in steps:
            share_n = rest_n
            share_d = rest_d * percent_scale
            binding = None
            limited = step[3]
            if limited:
                if heads is None:
                    heads = {}
                exhausted = False
                for source_id, points, indexes, _percentage, _ids in limited:
                    head = heads.get(source_id)
                    if head is None:
                        head = heads[source_id] = self.headroom(indexes, used)
                    head_n = head[0]
                    if head_n <= 0:
                        exhausted = True
                        break
                    head_d = head[1]
                    # Would points * share go over the headroom? Then the share shrinks to it.
                    if head_n * share_d < share_n * points * head_d:
                        share_n = head_n
                        share_d = head_d * points
                        binding = (head[2], head_n, head_d, source_id)
                if exhausted:
                    continue
            for source_id, points, indexes, percentage, limit_ids in step[2]:
                out.append(
                    (
                        _RULE_LINE,
                        source_id,
                        indexes,
                        limit_ids,
                        step,
                        percentage,
                        points * share_n,
                        share_d,
                        rest_n,
                        rest_d,
                        binding,
                    )
                )
                if indexes:
                    head = heads[source_id]
                    head_d = head[1]
                    head[0] = head[0] * share_d - points * share_n * head_d
                    head[1] = head_d * share_d
            if binding is None:
                rest_n = rest_n * (percent_scale - step[1])
                rest_d = share_d
            else:
                rest_n = rest_n * share_d - step[1] * share_n * rest_d
                rest_d = rest_d * share_d
                divisor = gcd(rest_n, rest_d)
                if divisor > 1:
                    rest_n //= divisor
                    rest_d //= divisor
            if rest_n == 0:
                break
        if rest_n and on_hold is not None:
            source_id, indexes, limit_ids = on_hold
            take_n, take_d, binding = rest_n, rest_d, None
            if indexes:
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
                out.append(
                    (
                        _ON_HOLD_LINE,
                        source_id,
                        indexes,
                        limit_ids,
                        None,
                        None,
                        take_n,
                        take_d,
                        rest_n,
                        rest_d,
                        binding,
                    )
                )
                rest_n, rest_d = rest_n * take_d - take_n * rest_d, rest_d * take_d
        if rest_n:
            out.append(
                (_UNFUNDED_LINE, None, (), (), None, None, rest_n, rest_d, rest_n, rest_d, None)
            )
        caps = {source_id: head[3] for source_id, head in heads.items()} if heads else None
        return out, caps

    def split_without_limits(self, plan: tuple, amount: int) -> list:
        """The exact split of the magnitude of a negative amount: percentages, no limits."""
        percent_scale = self.percent_scale
        steps, on_hold = plan
        out = []
        rest_n = amount
        rest_d = 1
        for step in steps:
            share_d = rest_d * percent_scale
            for source_id, points, indexes, percentage, limit_ids in step[2]:
                out.append(
                    (
                        _RULE_LINE,
                        source_id,
                        indexes,
                        limit_ids,
                        step,
                        percentage,
                        points * rest_n,
                        share_d,
                        rest_n,
                        rest_d,
                        None,
                    )
                )
            rest_n = rest_n * (percent_scale - step[1])
            rest_d = share_d
            if rest_n == 0:
                break
        if rest_n:
            if on_hold is not None:
                source_id, indexes, limit_ids = on_hold
                kind = _ON_HOLD_LINE
            else:
                source_id, indexes, limit_ids, kind = None, (), (), _UNFUNDED_LINE
            out.append(
                (
                    kind,
                    source_id,
                    indexes,
                    limit_ids,
                    None,
                    None,
                    rest_n,
                    rest_d,
                    rest_n,
                    rest_d,
                    None,
                )
            )
        return out

    def finish(
        self, lines: list, amount: int, caps: dict | None, used: list[int], sign: int
    ) -> tuple[Allocation, ...]:
        """Round the exact split to minor units, update ``used`` and build the allocations.

        ``amount`` is the (positive) magnitude; ``sign`` -1 turns everything into a credit,
        which gives headroom back (floored at zero) instead of using it.
        """
        baseline = []
        total = 0
        for line in lines:
            numerator = line[6]
            denominator = line[7]
            if denominator == 1:
                value = numerator
            else:
                value, remainder = divmod(numerator, denominator)
                if remainder * 2 >= denominator:
                    value += 1
            baseline.append(value)
            total += value
        final = baseline
        if caps is not None:
            sums: dict = {}
            for line, value in zip(lines, baseline, strict=True):
                if line[2]:
                    sums[line[1]] = sums.get(line[1], 0) + value
            over = any(value > caps[source_id] for source_id, value in sums.items())
        else:
            over = False
        if over or total != amount:
            final = _apportion(
                [(line[1], line[6], line[7]) for line in lines],
                baseline,
                amount,
                caps or {},
                self.rounding_source_id,
                limited=[bool(line[2]) for line in lines],
            )
        to_decimal = self.to_decimal
        zero = self.zero
        allocations = []
        for line, value, base in zip(lines, final, baseline, strict=True):
            if value == 0:
                continue
            kind = line[0]
            indexes = line[2]
            if sign > 0:
                for index in indexes:
                    used[index] += value
            else:
                for index in indexes:
                    left = used[index] - value
                    used[index] = left if left > 0 else 0
                value = -value
                base = -base
            step = line[4]
            rule = step[0] if step is not None else None
            allocations.append(
                Allocation(
                    line[1],
                    to_decimal(value),
                    rule.id if rule is not None else None,
                    rule.priority if rule is not None else None,
                    line[5],
                    self.limits[line[10][0]].id if line[10] is not None else None,
                    zero if value == base else to_decimal(value - base),
                    kind != _RULE_LINE,
                    line[3],
                    (self, line, sign, amount),
                )
            )
        return tuple(allocations)

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
        exact = [(allocation.source_id, magnitude * minor, total) for allocation, minor in parts]
        baseline = []
        for _source_id, numerator, denominator in exact:
            value, remainder = divmod(numerator, denominator)
            baseline.append(value + (remainder * 2 >= denominator and remainder > 0))
        final = baseline
        if sum(baseline) != magnitude:
            final = _apportion(
                exact, baseline, magnitude, {}, self.rounding_source_id, [False] * len(exact)
            )
        allocations = []
        for (allocation, minor), value, base in zip(parts, final, baseline, strict=True):
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
                    (self, ("reversal", allocation, minor, magnitude, total), -1, magnitude),
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
    """Round exact shares so they add up to ``amount`` without breaking any cap.

    ``exact`` holds ``(source_id, numerator, denominator)``, ``baseline`` the half-up rounding
    of each. Every result is the exact share rounded down or up. First a capped source that
    would go over its cap gives back units it was rounded up by (the smallest remainders first);
    then the difference to ``amount`` is settled one unit at a time: on the rounding source's
    lines first, then by largest remainder (ties: the later line), skipping full sources.
    A solution always exists because the exact shares of a source never exceed its cap.
    """
    count = len(exact)
    floors = []
    remainders = []
    for _source_id, numerator, denominator in exact:
        value, remainder = divmod(numerator, denominator)
        floors.append(value)
        remainders.append(Fraction(remainder, denominator))
    final = list(baseline)
    sums: dict = {}
    for index in range(count):
        if limited[index]:
            source_id = exact[index][0]
            sums[source_id] = sums.get(source_id, 0) + final[index]
    for source_id, cap in caps.items():
        while sums.get(source_id, 0) > cap:
            candidates = [
                index
                for index in range(count)
                if limited[index] and exact[index][0] == source_id and final[index] > floors[index]
            ]
            index = min(candidates, key=lambda i: (remainders[i], -i))
            final[index] -= 1
            sums[source_id] -= 1

    def is_rounding_source(index: int) -> bool:
        return rounding_source_id is not None and exact[index][0] == rounding_source_id

    difference = amount - sum(final)
    while difference > 0:
        candidates = [
            index
            for index in range(count)
            if final[index] == floors[index]
            and remainders[index]
            and not (
                limited[index]
                and exact[index][0] in caps
                and sums[exact[index][0]] >= caps[exact[index][0]]
            )
        ]
        index = max(candidates, key=lambda i: (is_rounding_source(i), remainders[i], i))
        final[index] += 1
        if limited[index] and exact[index][0] in sums:
            sums[exact[index][0]] += 1
        difference -= 1
    while difference < 0:
        candidates = [index for index in range(count) if final[index] > floors[index]]
        index = max(candidates, key=lambda i: (is_rounding_source(i), -remainders[i], i))
        final[index] -= 1
        if limited[index] and exact[index][0] in sums:
            sums[exact[index][0]] -= 1
        difference += 1
    return final


# --------------------------------------------------------------------------------------------
# Explanations (computed only when asked for)
# --------------------------------------------------------------------------------------------


def _rule_label(rule: FundingRule) -> str:
    return f"Rule '{rule.name}'" if rule.name else f"Rule #{rule.id}"


def _money(value: Decimal) -> str:
    return f"{value:,}"


def _percent(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


def _explain(allocation: Allocation) -> str:
    context = allocation._explain
    if context is None:
        return _explain_plain(allocation)
    compiled, line, sign, amount = context
    source = _source_label(compiled, allocation.source_id)
    adjustment = ""
    if allocation.rounding_adjustment:
        adjustment = (
            f", {'plus' if allocation.rounding_adjustment > 0 else 'minus'} a rounding "
            f"difference of {_money(abs(allocation.rounding_adjustment))}"
        )
    if line[0] == "reversal":
        _tag, original, minor, magnitude, total = line
        origin = "the on-hold rest" if original.is_on_hold else "its original allocation"
        if original.rule_id is not None:
            origin = f"rule #{original.rule_id} (priority {original.priority})"
            for rule in compiled.rules:
                if rule.id == original.rule_id:
                    origin = f"{_rule_label(rule)} (priority {rule.priority})"
        return (
            f"Reverses {_money(-allocation.amount)} of the {_money(compiled.to_decimal(minor))} "
            f"that {origin} gave {source}: its share of the credit of "
            f"{_money(compiled.to_decimal(magnitude))} against "
            f"{_money(compiled.to_decimal(total))} allocated{adjustment}; the headroom goes back "
            f"to its limits."
        )
    kind, _source_id, _indexes, _ids, step, percentage, numerator, denominator = line[:8]
    rest_n, rest_d, binding = line[8], line[9], line[10]
    currency = compiled.currency

    def exact(num: int, den: int) -> Decimal:
        value = Decimal(num) / Decimal(den) / compiled.scale
        return round_money(sign * value, currency)

    rest = exact(rest_n, rest_d)
    shown = _money(allocation.amount)
    if kind == _RULE_LINE:
        rule = step[0]
        nominal = round_money(rest * percentage / 100, currency)
        text = (
            f"{_rule_label(rule)} (priority {rule.priority}) gave {_percent(percentage)} of "
            f"{_money(rest)} = {_money(nominal)} to {source}"
        )
        if sign < 0:
            text += " (a credit without original allocations follows the rule percentages)"
        if binding is not None:
            limit_index, head_n, head_d, binding_source = binding
            limit = compiled.limits[limit_index]
            owner = (
                ""
                if binding_source == allocation.source_id
                else (f" of {_source_label(compiled, binding_source)}")
            )
            text += (
                f", scaled down to {_money(exact(numerator, denominator))} by limit #{limit.id}"
                f"{owner} ({_money(limit.amount)}, {_money(exact(head_n, head_d))} left)"
            )
        return f"{text}{adjustment}; allocated {shown}."
    if kind == _ON_HOLD_LINE:
        text = (
            f"No rule funded {_money(rest)} of {_money(compiled.to_decimal(sign * amount))}; "
            f"it waits on the on-hold source {source}"
        )
        if binding is not None:
            limit = compiled.limits[binding[0]]
            text += f", up to its limit #{limit.id} ({_money(limit.amount)})"
        return f"{text}{adjustment}; allocated {shown}."
    reason = "no rule funded it and there is no on-hold source"
    if compiled.on_hold_source_id is not None:
        reason = "no rule funded it and the limits of the on-hold source are used up"
    return f"{shown} is unfunded: {reason}{adjustment}."


def _explain_plain(allocation: Allocation) -> str:
    parts = [f"{_money(allocation.amount)} to source #{allocation.source_id}"]
    if allocation.rule_id is not None:
        parts.append(f"by rule #{allocation.rule_id} (priority {allocation.priority})")
    if allocation.binding_limit_id is not None:
        parts.append(f"limited by limit #{allocation.binding_limit_id}")
    if allocation.is_on_hold:
        parts.append("on hold")
    return " ".join(parts) + "."


def _source_label(compiled: _CompiledSetup, source_id: Any) -> str:
    if source_id is None:
        return "no source"
    name = compiled.source_names.get(source_id)
    return f"source '{name}'" if name else f"source #{source_id}"
