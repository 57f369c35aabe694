"""Demo funding for worked example F1: three sources used in priority order (idempotent).

Sources and rules carry proper names and figures only: the funding explanation quotes them
inside translated sentences ("The rule '...' gives 100 % to this source")."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from contracts.models import Customer, ProjectContract
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource, SourceType


@transaction.atomic
def demo_funding_create() -> None:
    f1 = ProjectContract.objects.get(code="F1")
    if f1.funding_sources.exists():
        return
    grantor = Customer.objects.get(code="C-NRC")
    city = Customer.objects.get(code="C-GBG")
    sources = {}
    for number, (name, source_type, payer, limit) in enumerate(
        [
            ("Nordic Research Council", SourceType.GRANT, grantor, Decimal("10000.00")),
            ("Nordic Research Council, Region Väst", SourceType.GRANT, grantor, Decimal("500.00")),
            (city.name, SourceType.CUSTOMER, city, Decimal("750.00")),
        ],
        start=1,
    ):
        source = FundingSource.objects.create(
            contract=f1,
            name=name,
            source_type=source_type,
            customer=payer,
            is_rounding_source=number == 1,
        )
        FundingLimit.objects.create(source=source, amount=limit)
        sources[number] = source
    FundingSource.objects.create(
        contract=f1,
        name="Nordic Project Services AB",
        source_type=SourceType.ORGANIZATION,
        is_on_hold=True,
    )
    for priority, lines in [(1, [(2, "50"), (3, "50")]), (2, [(3, "100")]), (3, [(1, "100")])]:
        name = " + ".join(f"{sources[number].name}: {percentage} %" for number, percentage in lines)
        rule = FundingRule.objects.create(contract=f1, name=name, priority=priority)
        for number, percentage in lines:
            FundingRuleLine.objects.create(
                rule=rule, source=sources[number], percentage=Decimal(percentage)
            )
    # The other examples have one customer paying everything.
    for contract in ProjectContract.objects.exclude(code="F1"):
        source = FundingSource.objects.create(
            contract=contract,
            name=contract.customer.name,
            customer=contract.customer,
            is_rounding_source=True,
        )
        rule = FundingRule.objects.create(
            contract=contract, name=f"{contract.customer.name}: 100 %", priority=1
        )
        FundingRuleLine.objects.create(rule=rule, source=source, percentage=Decimal("100"))
