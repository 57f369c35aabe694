"""Saved filters: a user names the filter a list shows ("Overdue SEK, Malmö") and picks it
again later. They are the user's own view of a list, not the books: whoever may see a list
keeps their own filters of it (read-only users too) and never sees anyone else's."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class FilteredList(models.TextChoices):
    PROPOSALS = "proposals", _("Invoice proposals")
    INVOICES = "invoices", _("Invoices")
    TRANSACTIONS = "transactions", _("Transactions")
    RECEIVABLES = "receivables", _("Receivables")


#: Each list: its page and the permission to see it.
LIST_PAGES = {
    FilteredList.PROPOSALS: ("invoicing:proposal_list", "invoicing.view_invoiceproposal"),
    FilteredList.INVOICES: ("invoicing:invoice_list", "invoicing.view_invoice"),
    FilteredList.TRANSACTIONS: ("invoicing:transaction_list", "invoicing.view_projecttransaction"),
    FilteredList.RECEIVABLES: ("invoicing:receivables", "invoicing.view_invoice"),
}
#: Parameters that are not part of a filter: the page number (or the row a keyset page starts
#: after or before), the export format.
NOT_FILTERS = {"page", "after", "before", "format", "csrfmiddlewaretoken"}
MAX_PER_LIST = 30

NAME_NEEDED = _("Give the filter a name.")
NOTHING_TO_SAVE = _("Choose a filter first: this list shows everything.")
TOO_MANY = _("You have %(count)s saved filters on this list; delete one first.")


class SavedFilter(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    list_name = models.CharField(_("list"), max_length=20, choices=FilteredList.choices)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=2000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        app_label = "invoicing"
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["list_name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_name", "name"],
                name="savedfilter_name_unique_per_user_and_list",
                violation_error_message=_("You already have a filter of this name here."),
            ),
            models.CheckConstraint(
                condition=models.Q(list_name__in=FilteredList.values),
                name="savedfilter_list_valid",
                violation_error_message=_("Choose a valid list."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"{reverse(LIST_PAGES[self.list_name][0])}?{self.query}"


def filter_query(pairs) -> str:
    """The filter part of a list's query string: no page number, no empty values."""
    return urlencode(
        [(key, value) for key, value in pairs if key not in NOT_FILTERS and value.strip()]
    )[:2000]


def saved_filters_of(*, user: AbstractBaseUser, list_name: str) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user=user, list_name=list_name).order_by("name"))


def _check_list(user: AbstractBaseUser, list_name: str) -> None:
    if list_name not in LIST_PAGES:
        raise ValidationError(_("Choose a valid list."))
    if not user.has_perm(LIST_PAGES[list_name][1]):
        raise PermissionDenied


@transaction.atomic
def saved_filter_save(
    *, user: AbstractBaseUser, list_name: str, name: str, query: str
) -> SavedFilter:
    """Save the list's filter under ``name`` (a filter of the same name is replaced)."""
    _check_list(user, list_name)
    name = " ".join(name.split())[:80]
    query = filter_query(parse_qsl(query))
    if not name:
        raise ValidationError(NAME_NEEDED)
    if not query:
        raise ValidationError(NOTHING_TO_SAVE)
    mine = SavedFilter.objects.select_for_update().filter(user=user, list_name=list_name)
    count = mine.exclude(name=name).count()
    if count >= MAX_PER_LIST:
        raise ValidationError(TOO_MANY % {"count": count})
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, list_name=list_name, name=name, defaults={"query": query}
    )
    return saved


def saved_filter_delete(*, user: AbstractBaseUser, saved_filter_id: int) -> str:
    """Delete one of the user's own filters; returns the list it was on."""
    saved = SavedFilter.objects.filter(user=user, pk=saved_filter_id).first()
    if saved is None:
        raise ValidationError(_("This saved filter no longer exists."))
    saved.delete()
    return saved.list_name
