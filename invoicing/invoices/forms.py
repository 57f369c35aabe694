"""Reading what a clerk types on the invoice pages."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _


def amount_parse(text) -> Decimal:
    """An amount typed by a clerk (spaces and a decimal comma allowed), or a ValueError that
    says so in words."""
    try:
        value = Decimal(str(text or "").replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation as error:
        raise ValueError(_("Enter the amount paid as a number.")) from error
    if not value.is_finite():
        raise ValueError(_("Enter the amount paid as a number."))
    return value
