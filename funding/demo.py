"""Demo funding for worked example F1: three sources used in priority order (idempotent)."""

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
    sources = {}
    for number, (name, source_type, limit) in enumerate(
        [
            ("Source 1: Nordic Research Council", SourceType.GRANT, Decimal("10000.00")),
            ("Source 2: Regional fund", SourceType.GRANT, Decimal("500.00")),
            ("Source 3: City partnership", SourceType.CUSTOMER, Decimal("750.00")),
        ],
        start=1,
    ):
        source = FundingSource.objects.create(
            contract=f1,
            name=name,
            source_type=source_type,
            customer=grantor,
            is_rounding_source=number == 1,
        )
        FundingLimit.objects.create(source=source, amount=limit)
        sources[number] = source
    FundingSource.objects.create(
        contract=f1, name="On hold", source_type=SourceType.ORGANIZATION, is_on_hold=True
    )
    for priority, name, lines in [
        (1, "Shared by sources 2 and 3", [(2, "50"), (3, "50")]),
        (2, "Source 3 pays", [(3, "100")]),
        (3, "Source 1 pays the rest", [(1, "100")]),
    ]:
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
        rule = FundingRule.objects.create(contract=contract, name="Customer pays all", priority=1)
        FundingRuleLine.objects.create(rule=rule, source=source, percentage=Decimal("100"))
