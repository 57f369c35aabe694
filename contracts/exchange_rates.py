"""Entering exchange rates and importing the central banks' published rates.

An import is all or nothing: the file is read and every row checked (``rate_files``), then
checked against the rates already stored, and only a file without a single problem is written,
in one transaction. The same file imported twice writes nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from contracts.models import ExchangeRate, RateSource
from contracts.rate_files import MAX_PROBLEMS_LISTED, RateProblem, rate_file_read
from contracts.services import with_history_user
from contracts.texts import text_kind, text_stored

NOT_ALLOWED = gettext_lazy("Your role cannot enter exchange rates.")
RATES_STORED_MEANWHILE = gettext_lazy(
    "Someone stored some of these rates while the file was imported; nothing was imported. "
    "Import the file again."
)

#: The history's reason for a rate read from a bank's file (``text_stored``: shown in the
#: reader's language, whoever imported it).
RATES_IMPORTED = text_kind("rates_imported", gettext_lazy("Imported from %(source)s"))


class RateImportRefused(ValidationError):
    """The file has problems; ``problems`` names each with its row and column. Nothing was
    written."""

    def __init__(self, problems: list[RateProblem]):
        self.problems = problems
        messages = [str(problem) for problem in problems[:MAX_PROBLEMS_LISTED]]
        if len(problems) > MAX_PROBLEMS_LISTED:
            messages.append(_("… and more: %(count)s problems in all.") % {"count": len(problems)})
        super().__init__(messages)


@dataclass(frozen=True)
class RateImportResult:
    created: int  # rates written
    unchanged: int  # rates the database already had, with the same value
    skipped: int  # rows without a value (no fixing that day)


def _check_permission(actor: AbstractBaseUser) -> None:
    if not actor.has_perm("contracts.add_exchangerate"):
        raise PermissionDenied(NOT_ALLOWED)


@transaction.atomic
def exchange_rate_enter(
    *,
    currency: str,
    quote_currency: str,
    rate_date: datetime.date,
    rate: Decimal,
    actor: AbstractBaseUser,
) -> ExchangeRate:
    """Store one rate entered by hand (source "entered"), checked by the model's rules."""
    _check_permission(actor)
    exchange_rate = ExchangeRate(
        currency=currency,
        quote_currency=quote_currency,
        rate_date=rate_date,
        rate=rate,
        source=RateSource.ENTERED,
        created_by=actor,
    )
    exchange_rate.full_clean()
    with_history_user(exchange_rate, actor).save()
    return exchange_rate


@transaction.atomic
def exchange_rates_import(
    *, content: bytes, layout: str, actor: AbstractBaseUser
) -> RateImportResult:
    """Import a Riksbanken or Danmarks Nationalbank CSV file (``rate_files.LAYOUTS``): every
    rate or none. Raises ``RateImportRefused`` naming each bad row and column; a rate already
    stored with another value for the same currency and day is a problem too (change or delete
    that one first), one with the same value is left as it is."""
    _check_permission(actor)
    read = rate_file_read(content, layout=layout, today=timezone.localdate())
    problems = list(read.problems)
    quote = read.layout.quote_currency
    stored = _stored_rates(quote, {(row.currency, row.rate_date) for row in read.rows})
    new_rows, unchanged = [], 0
    for row in read.rows:
        existing = stored.get((row.currency, row.rate_date))
        if existing is None:
            new_rows.append(row)
        elif existing.rate == row.rate:
            unchanged += 1
        else:
            problems.append(
                RateProblem(
                    row.row,
                    "",
                    _(
                        "%(currency)s on %(date)s already has the rate %(stored)s (%(source)s); "
                        "the file says %(rate)s. An administrator can change or delete the stored "
                        "rate."
                    )
                    % {
                        "currency": row.currency,
                        "date": row.rate_date.isoformat(),
                        "stored": existing.rate.normalize(),
                        "source": existing.get_source_display(),
                        "rate": row.rate.normalize(),
                    },
                )
            )
    if problems:
        raise RateImportRefused(sorted(problems, key=lambda problem: problem.row))
    now = timezone.now()
    try:
        _bulk_create(new_rows, layout=read.layout, actor=actor, now=now)
    except IntegrityError as error:
        raise ValidationError(RATES_STORED_MEANWHILE) from error
    return RateImportResult(created=len(new_rows), unchanged=unchanged, skipped=read.skipped)


def _bulk_create(new_rows, *, layout, actor, now) -> None:
    bulk_create_with_history(
        [
            ExchangeRate(
                currency=row.currency,
                quote_currency=layout.quote_currency,
                rate_date=row.rate_date,
                rate=row.rate,
                source=layout.source,
                created_by=actor,
                created_at=now,
            )
            for row in new_rows
        ],
        ExchangeRate,
        default_user=actor,
        default_change_reason=text_stored(RATES_IMPORTED, source=layout.source),
    )


def _stored_rates(quote: str, keys: set[tuple[str, datetime.date]]) -> dict:
    """The stored rates of these (currency, day) pairs in ``quote``, in one query."""
    if not keys:
        return {}
    currencies = {currency for currency, _day in keys}
    days = [day for _currency, day in keys]
    rates = ExchangeRate.objects.filter(
        Q(quote_currency=quote, currency__in=currencies)
        & Q(rate_date__gte=min(days), rate_date__lte=max(days))
    )
    return {(rate.currency, rate.rate_date): rate for rate in rates}
