"""What every model of contracts shares: the money and percentage field settings, the
languages, the constraint builders (each constraint carries a message a ModelForm shows before
the database refuses), coded records and addresses."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

from contracts.currencies import CURRENCY_CODES

COUNTRY_CODES = sorted(code for code, _name in countries)

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 12, "decimal_places": 4}
PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(0), MaxValueValidator(100)],
}
NON_NEGATIVE = [MinValueValidator(0)]


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SWEDISH = "sv", _("Swedish")
    DANISH = "da", _("Danish")


def code_constraints(model_name: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            fields=["code"],
            name=f"{model_name}_code_unique",
            violation_error_message=_("This code is already in use. Codes must be unique."),
        ),
        models.CheckConstraint(
            condition=~Q(code=""),
            name=f"{model_name}_code_not_blank",
            violation_error_message=_("The code cannot be blank."),
        ),
    ]


def non_negative_constraint(field: str, model_name: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}),
        name=f"{model_name}_{field}_non_negative",
        violation_error_message=format_lazy(_("{label} cannot be less than zero."), label=label),
    )


def _percent_signs_doubled(message) -> str:
    return str(message).replace("%", "%%")


#: A constraint's refusal as Django needs it. Django fills the message in with ``%`` formatting
#: (``%(name)s``), so a bare percent sign ("at most 100 %.") made reporting the refusal fail
#: with "incomplete format" instead of showing it; the sign is doubled, in every language.
constraint_message = lazy(_percent_signs_doubled, str)


def percentage_constraint(field: str, model_name: str, label: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0, f"{field}__lte": 100}),
        name=f"{model_name}_{field}_0_to_100",
        violation_error_message=constraint_message(
            format_lazy(_("{label} must be between 0 and 100 %."), label=label)
        ),
    )


def currency_constraint(field: str, model_name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": CURRENCY_CODES}),
        name=f"{model_name}_{field}_iso4217",
        violation_error_message=_(
            "Choose a valid ISO 4217 currency code, such as SEK, DKK or EUR."
        ),
    )


def country_constraint(field: str, model_name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": COUNTRY_CODES}),
        name=f"{model_name}_{field}_iso3166",
        violation_error_message=_("Choose a valid ISO 3166 country code, such as SE or DK."),
    )


class CodedModel(models.Model):
    """A record finance staff refer to by a short, unique code."""

    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AddressMixin(models.Model):
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"))
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)

    class Meta:
        abstract = True
