"""Exchange rates per currency and day: what an invoice in another currency than its legal
entity's converts its VAT with (EN 16931 BT-6, BT-111), entered by hand or imported from the
central bank's published rates. Posting freezes the rate it used on the invoice, so changing or
deleting a rate afterwards changes nothing printed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.currencies import CURRENCY_CHOICES
from contracts.currency_conversion import EXCHANGE_RATE
from contracts.models.base import currency_constraint

EXCHANGE_RATE_POSITIVE = _("An exchange rate must be above zero.")
EXCHANGE_RATE_SAME_CURRENCY = _(
    "A currency has no exchange rate to itself: choose two different currencies."
)
EXCHANGE_RATE_EXISTS = _(
    "There is already a rate for this currency pair on this day; an administrator can "
    "change or delete it."
)


class RateSource(models.TextChoices):
    """Where a rate comes from. The banks' values are their names, printed as they are."""

    RIKSBANKEN = "Riksbanken", "Riksbanken"
    NATIONALBANKEN = "Danmarks Nationalbank", "Danmarks Nationalbank"
    ENTERED = "entered", _("entered by hand")


class ExchangeRate(models.Model):
    """One day's rate: ``rate`` units of ``quote_currency`` buy ONE unit of ``currency``
    (EUR → SEK 11.2345 means 1 EUR = 11.2345 SEK)."""

    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    quote_currency = models.CharField(
        _("in currency"),
        max_length=3,
        choices=CURRENCY_CHOICES,
        help_text=_("The currency the rate is expressed in, e.g. SEK for 1 EUR = 11.23 SEK."),
    )
    rate_date = models.DateField(_("rate date"))
    rate = models.DecimalField(
        _("rate"),
        **EXCHANGE_RATE,
        help_text=_("Units of the quote currency for ONE unit of the currency."),
    )
    source = models.CharField(
        _("source"), max_length=30, choices=RateSource.choices, default=RateSource.ENTERED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("entered"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-rate_date", "currency", "quote_currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "quote_currency", "rate_date"],
                name="exchangerate_one_per_pair_and_day",
                violation_error_message=EXCHANGE_RATE_EXISTS,
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="exchangerate_rate_positive",
                violation_error_message=EXCHANGE_RATE_POSITIVE,
            ),
            models.CheckConstraint(
                condition=~Q(currency=F("quote_currency")),
                name="exchangerate_two_currencies",
                violation_error_message=EXCHANGE_RATE_SAME_CURRENCY,
            ),
            currency_constraint("currency", "exchangerate"),
            currency_constraint("quote_currency", "exchangerate"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.quote_currency} ({self.rate_date})"
