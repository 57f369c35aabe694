"""The top bar's search: invoices by number, customer or amount, customers, contracts and
projects by code or name. On PostgreSQL with ``pg_trgm`` (``contracts`` migration
``0017_search_trigram``) names match by trigram word similarity too, best first, so "malmo
stad" finds "Malmö stad"; elsewhere (SQLite) by ``icontains``. One query per kind, at most
``SEARCH_LIMIT`` rows each, whatever the size of the books.

On PostgreSQL every searched column has a trigram index on ``UPPER(column)`` (``invoicing``
migration ``0030_search_trigram_indexes``), and each part of a query is written so that index
can answer it: ``icontains`` is ``UPPER(column) LIKE UPPER('%text%')``, and the similarity is
asked with pg_trgm's ``%>`` operator before its figure is compared with the threshold (a
function call ``word_similarity(...) >= 0.6`` alone makes PostgreSQL read every row). A
condition on another table (an invoice's customer name) is asked as ``customer_id =
ANY(ARRAY(matching customers))``, which the invoice's foreign-key index answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet, Value
from django.db.models.functions import Greatest, Upper
from django.db.models.lookups import GreaterThanOrEqual

from contracts.models import Customer, Project, ProjectContract
from contracts.numbers import number_parse
from invoicing.invoices.models import Invoice

SEARCH_LIMIT = 10
#: Shortest query searched (but a number): one letter would match half the books.
SEARCH_MIN_LENGTH = 2
#: Trigram word similarity from which a name counts as a match (pg_trgm's own default, which
#: the ``%>`` operator reads from ``pg_trgm.word_similarity_threshold``: keep them equal).
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


class _EqualsAnyOf(Lookup):
    """``column = ANY(array)``: with ``ArraySubquery`` the array is worked out once, before the
    rows, so an index of the column answers it (``column IN (subquery)`` inside an ``OR`` is
    checked row by row instead)."""

    lookup_name = "equals_any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def _similarity(text: str, names: tuple[str, ...]):
    similarities = [TrigramWordSimilarity(Value(text), F(name)) for name in names]
    return similarities[0] if len(similarities) == 1 else Greatest(*similarities)


def _text_condition(text: str, *, codes: tuple[str, ...], names: tuple[str, ...]) -> Q:
    """Rows whose code or name contains ``text`` or (with trigrams) whose name is similar to
    it: ``word_similarity(text, name) >= SIMILARITY_THRESHOLD``, asked first with the ``%>``
    operator on ``UPPER`` of both (trigrams are lower-cased: the figure is the same) so the
    index on ``UPPER(name)`` finds the candidates."""
    condition = Q()
    for name in codes + names:
        condition |= Q(**{f"{name}__icontains": text})
    if trigram_available():
        for name in names:
            condition |= Q(TrigramWordSimilar(Upper(name), Upper(Value(text)))) & Q(
                GreaterThanOrEqual(_similarity(text, (name,)), SIMILARITY_THRESHOLD)
            )
    return condition


def _customer_matches(text: str) -> Q:
    """Invoices whose customer's name contains ``text`` or is similar to it."""
    customers = Customer.objects.filter(_text_condition(text, codes=(), names=("name",)))
    if connection.vendor == "postgresql":
        return Q(_EqualsAnyOf(F("customer_id"), ArraySubquery(customers.values("pk"))))
    return Q(customer__in=customers)


def _matching(queryset: QuerySet, text: str, *, codes: tuple[str, ...], names: tuple[str, ...],
              extra: Q | None = None, order: tuple[str, ...] = (),
              ranked_by: tuple[str, ...] = ()) -> QuerySet:  # fmt: skip
    """Rows whose code contains ``text`` or whose name contains it (or, with trigrams, is
    similar to it), the most similar first (by ``ranked_by``, the names by default), then in
    ``order`` (the codes by default)."""
    order = order or codes
    condition = _text_condition(text, codes=codes, names=names)
    if extra is not None:
        condition |= extra
    if trigram_available():
        queryset = queryset.annotate(similarity=_similarity(text, ranked_by or names))
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
    by_customer_or_amount = _customer_matches(text)
    if results.amount is not None:
        by_customer_or_amount |= Q(gross_total=results.amount) | Q(net_total=results.amount)
    invoices = Invoice.objects.select_related("customer", "contract")
    results.invoices = list(
        _matching(
            invoices,
            text,
            codes=("number",),
            names=(),
            extra=by_customer_or_amount,
            order=("-invoice_date", "-pk"),
            ranked_by=("customer__name",),
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
