"""The top bar's search: invoices by number, customer or amount, customers, contracts and
projects by code or name. On PostgreSQL with ``pg_trgm`` (``contracts`` migration
``0017_search_trigram``) names match by trigram word similarity too, best first, so "malmo
stad" finds "Malmö stad"; elsewhere (SQLite) by ``icontains``. One query per kind, at most
``SEARCH_LIMIT`` rows each, whatever the size of the books."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Greatest

from contracts.models import Customer, Project, ProjectContract
from contracts.numbers import number_parse
from invoicing.invoices.models import Invoice

SEARCH_LIMIT = 10
#: Shortest query searched (but a number): one letter would match half the books.
SEARCH_MIN_LENGTH = 2
#: Trigram word similarity from which a name counts as a match (pg_trgm's own default).
SIMILARITY_THRESHOLD = 0.6

_trigram_databases: dict[str, bool] = {}


def trigram_available() -> bool:
    """Whether this database can match by trigram (PostgreSQL with pg_trgm installed); asked
    once per database and process."""
    if connection.vendor != "postgresql":
        return False
    name = connection.settings_dict["NAME"]
    if name not in _trigram_databases:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _trigram_databases[name] = cursor.fetchone() is not None
    return _trigram_databases[name]


@dataclass
class SearchResults:
    query: str
    amount: Decimal | None = None
    invoices: list[Invoice] = field(default_factory=list)
    customers: list[Customer] = field(default_factory=list)
    contracts: list[ProjectContract] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.invoices or self.customers or self.contracts or self.projects)


def _amount(text: str, language: str | None) -> Decimal | None:
    try:
        return number_parse(text, language)
    except (ValueError, ArithmeticError):
        return None


def _matching(queryset: QuerySet, text: str, *, codes: tuple[str, ...], names: tuple[str, ...],
              extra: Q | None = None, order: tuple[str, ...] = ()) -> QuerySet:  # fmt: skip
    """Rows whose code contains ``text`` or whose name contains it (or, with trigrams, is
    similar to it), the most similar first, then in ``order`` (the codes by default)."""
    order = order or codes
    condition = Q()
    for name in codes + names:
        condition |= Q(**{f"{name}__icontains": text})
    if extra is not None:
        condition |= extra
    if trigram_available():
        similarities = [TrigramWordSimilarity(Value(text), F(name)) for name in names]
        score = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
        queryset = queryset.annotate(similarity=score)
        condition |= Q(similarity__gte=SIMILARITY_THRESHOLD)
        return queryset.filter(condition).order_by("-similarity", *order)
    return queryset.filter(condition).order_by(*order)


def search(*, query: str, language: str | None) -> SearchResults:
    """What ``query`` finds, at most ``SEARCH_LIMIT`` of each kind (four queries, five the
    first time on PostgreSQL). A query that reads as an amount in ``language`` (``1 234,50``)
    also finds the invoices of that net or gross total."""
    text = " ".join(query.split())[:100]
    results = SearchResults(query=text)
    if len(text) < SEARCH_MIN_LENGTH and not text.isdigit():  # invoice number 7 is fine
        return results
    results.amount = _amount(text, language)
    by_amount = (
        Q(gross_total=results.amount) | Q(net_total=results.amount)
        if results.amount is not None
        else None
    )
    invoices = Invoice.objects.select_related("customer", "contract")
    results.invoices = list(
        _matching(
            invoices,
            text,
            codes=("number",),
            names=("customer__name",),
            extra=by_amount,
            order=("-invoice_date", "-pk"),
        )[:SEARCH_LIMIT]  # fmt: skip
    )
    results.customers = list(
        _matching(Customer.objects.all(), text, codes=("code",), names=("name",))[:SEARCH_LIMIT]
    )
    results.contracts = list(
        _matching(
            ProjectContract.objects.select_related("customer"),
            text,
            codes=("code", "customer_reference", "order_reference"),
            names=("name",),
        )[:SEARCH_LIMIT]
    )
    results.projects = list(
        _matching(
            Project.objects.select_related("contract"), text, codes=("code",), names=("name",)
        )[:SEARCH_LIMIT]  # fmt: skip
    )
    return results
