"""A billing run: proposals for every active contract up to a date, in chunks of contracts, as a
background task with progress; one contract's problem is recorded and the others go on."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.models import (
    BillingRule,
    ContractStatus,
    ProjectContract,
)
from invoicing.proposals.generation import LineNames, NothingToBill, proposals_generate
from invoicing.proposals.models import (
    BillingRun,
)
from invoicing.proposals.state import RUN_CHUNK


def billing_run_execute(*, run_id: int) -> None:
    """Generate proposals for every active contract up to the run's date. Contracts are
    committed in chunks (fewer commits) and each contract is its own savepoint, so one
    contract's problem rolls back only that contract and is recorded; the others go on."""
    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    contracts = list(ProjectContract.objects.filter(status=ContractStatus.ACTIVE).order_by("pk"))
    BillingRun.objects.filter(pk=run_id).update(total_contracts=len(contracts))
    names = LineNames.load()
    rules_by_contract: dict[int, list[BillingRule]] = defaultdict(list)
    all_rules = (
        BillingRule.objects.filter(contract__in=contracts, is_active=True)
        .prefetch_related("projects", "chargeable_categories", "caps")
        .order_by("pk")
    )
    for rule in all_rules:
        rules_by_contract[rule.contract_id].append(rule)
    created, problems = 0, []
    for start in range(0, len(contracts), RUN_CHUNK):
        chunk = contracts[start : start + RUN_CHUNK]
        with transaction.atomic():
            for contract in chunk:
                try:
                    created += len(
                        proposals_generate(
                            contract=contract,
                            up_to_date=run.up_to_date,
                            actor=run.created_by,
                            split_by_kind=run.split_by_kind,
                            names=names,
                            rules=rules_by_contract[contract.pk],
                        )
                    )
                except NothingToBill:
                    pass
                except ValidationError as refused:
                    problems.append([contract.code, " ".join(refused.messages)])
        BillingRun.objects.filter(pk=run_id).update(
            processed_contracts=start + len(chunk), proposals_created=created
        )
    BillingRun.objects.filter(pk=run_id).update(
        status=BillingRun.Status.DONE, problems=problems, finished_at=timezone.now()
    )
