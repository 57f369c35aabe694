"""Exporting the journal of a legal entity and a period (SIE 4I, CSV or XLSX): the file is
built from the vouchers by the pure writers (``sie.py``, ``contracts/spreadsheets.py``), and every
export is recorded (who, when, which entity and period, how many vouchers, the file's
SHA-256). A period that overlaps an earlier export of the same format is refused until the
user confirms it: importing the same vouchers twice books them twice."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from contracts.models import LegalEntity
from contracts.spreadsheets import DATE, MONEY, NUMBER, Column, table_csv, table_xlsx
from invoicing.ledger import selectors, sie
from invoicing.ledger.models import ExportFormat, LedgerExport, Voucher
from invoicing.ledger.services import BOOK_LANGUAGES

NOT_ALLOWED = _("Your role cannot export the books.")
RANGE_BACKWARDS = _("The period ends before it starts.")
SIE_ONE_YEAR = _(
    "An SIE file holds one financial year: export %(start)s to %(end)s and the rest separately."
)
OVERLAPS = _(
    "This period overlaps %(count)s earlier export(s) of the same kind (%(exports)s). Importing "
    "the same vouchers twice books them twice: confirm only if the earlier file was not imported."
)


class ExportOverlaps(ValidationError):
    """The period was exported before; the user has to confirm."""


@dataclass(frozen=True)
class ExportFile:
    record: LedgerExport
    content: bytes
    filename: str
    content_type: str


CONTENT_TYPES = {
    ExportFormat.SIE: "text/plain; charset=IBM437",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {ExportFormat.SIE: "se", ExportFormat.CSV: "csv", ExportFormat.XLSX: "xlsx"}


def export_overlaps(
    *, legal_entity: LegalEntity, export_format: str, date_from, date_to
) -> list[LedgerExport]:
    return list(
        LedgerExport.objects.filter(
            legal_entity=legal_entity,
            export_format=export_format,
            date_from__lte=date_to,
            date_to__gte=date_from,
        ).order_by("date_from")
    )


@transaction.atomic
def ledger_export(
    *,
    legal_entity: LegalEntity,
    date_from: datetime.date,
    date_to: datetime.date,
    export_format: str,
    actor: AbstractBaseUser,
    confirm_overlap: bool = False,
) -> ExportFile:
    """The file of the entity's vouchers dated ``date_from`` to ``date_to`` (inclusive) in
    ``export_format``, recorded in the export log. Refused: a period ending before it starts,
    an SIE period spanning two calendar years (the financial year is the calendar year), and
    a period overlapping an earlier export of the same format unless ``confirm_overlap``."""
    if not actor.has_perm("invoicing.add_ledgerexport"):
        raise PermissionDenied(NOT_ALLOWED)
    if date_from > date_to:
        raise ValidationError(RANGE_BACKWARDS)
    if export_format == ExportFormat.SIE and date_from.year != date_to.year:
        raise ValidationError(
            SIE_ONE_YEAR
            % {
                "start": date_from.isoformat(),
                "end": datetime.date(date_from.year, 12, 31).isoformat(),
            }
        )
    # One export of an entity at a time: two clerks exporting at once both see the other's.
    LegalEntity.objects.select_for_update().filter(pk=legal_entity.pk).first()
    earlier = export_overlaps(
        legal_entity=legal_entity, export_format=export_format, date_from=date_from, date_to=date_to
    )
    if earlier and not confirm_overlap:
        listed = ", ".join(
            f"{export.date_from.isoformat()}–{export.date_to.isoformat()} "
            f"({formats.date_format(timezone.localtime(export.created_at), 'SHORT_DATE_FORMAT')})"
            for export in earlier
        )
        raise ExportOverlaps(OVERLAPS % {"count": len(earlier), "exports": listed})
    vouchers = selectors.vouchers_with_lines(
        legal_entity_id=legal_entity.pk, date_from=date_from, date_to=date_to
    )
    if export_format == ExportFormat.SIE:
        content = _sie(legal_entity, vouchers, date_from=date_from, actor=actor)
    else:
        content = _journal(legal_entity, vouchers, export_format)
    record = LedgerExport.objects.create(
        legal_entity=legal_entity,
        export_format=export_format,
        date_from=date_from,
        date_to=date_to,
        voucher_count=len(vouchers),
        sha256=hashlib.sha256(content).hexdigest(),
        overlap_confirmed=bool(earlier),
        created_by=actor,
    )
    filename = (
        f"{legal_entity.code}-{date_from.isoformat()}-{date_to.isoformat()}."
        f"{EXTENSIONS[export_format]}"
    )
    return ExportFile(record, content, filename, CONTENT_TYPES[export_format])


def _sie(entity: LegalEntity, vouchers: list[Voucher], *, date_from, actor) -> bytes:
    accounts: dict[str, str] = {}
    sie_vouchers = []
    for voucher in vouchers:
        lines = list(voucher.lines.all())
        for line in lines:
            accounts[line.account] = line.account_name or accounts.get(line.account, "")
        sie_vouchers.append(
            sie.SieVoucher(
                series=voucher.series,
                number=voucher.number,
                date=voucher.date,
                text=voucher.text,
                transactions=tuple(sie.SieTransaction(line.account, line.amount) for line in lines),
                registered_on=timezone.localtime(voucher.created_at).date(),
            )
        )
    company = sie.SieCompany(
        name=entity.name,
        organization_number=entity.organization_number_display
        if entity.organization_number
        else "",
        currency=entity.base_currency,
        fiscal_year_start=datetime.date(date_from.year, 1, 1),
        fiscal_year_end=datetime.date(date_from.year, 12, 31),
    )
    return sie.sie_write(
        company=company,
        accounts=sorted(accounts.items()),
        vouchers=sie_vouchers,
        generated_on=timezone.localdate(),
        generated_by=actor.get_username(),
    )


@dataclass(frozen=True)
class JournalRow:
    """One voucher line of the journal, with what the accountant needs beside it."""

    voucher: str
    date: datetime.date
    kind: str
    text: str
    account: str
    account_name: str
    amount: Decimal
    currency: str
    currency_amount: Decimal | None
    vat_category: str
    vat_rate: Decimal | None
    document: str

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


#: The journal files' columns, in the context "journal" (debit and credit as nouns).
JOURNAL_COLUMNS = (
    Column(pgettext_lazy("journal", "Voucher"), attrgetter("voucher")),
    Column(pgettext_lazy("journal", "Date"), attrgetter("date"), DATE),
    Column(pgettext_lazy("journal", "Kind"), attrgetter("kind")),
    Column(pgettext_lazy("journal", "Text"), attrgetter("text")),
    Column(pgettext_lazy("journal", "Account"), attrgetter("account")),
    Column(pgettext_lazy("journal", "Account name"), attrgetter("account_name")),
    Column(pgettext_lazy("journal", "Debit"), attrgetter("debit"), MONEY),
    Column(pgettext_lazy("journal", "Credit"), attrgetter("credit"), MONEY),
    Column(pgettext_lazy("journal", "Document currency"), attrgetter("currency")),
    Column(
        pgettext_lazy("journal", "Amount in document currency"),
        attrgetter("currency_amount"),
        MONEY,
    ),
    Column(pgettext_lazy("journal", "VAT category"), attrgetter("vat_category")),
    Column(pgettext_lazy("journal", "VAT rate"), attrgetter("vat_rate"), NUMBER),
    Column(pgettext_lazy("journal", "Document"), attrgetter("document")),
)


def journal_rows(vouchers: list[Voucher]) -> list[JournalRow]:
    rows = []
    for voucher in vouchers:
        document, _url = selectors.voucher_source(voucher)
        for line in voucher.lines.all():
            rows.append(
                JournalRow(
                    voucher=voucher.label,
                    date=voucher.date,
                    kind=voucher.get_kind_display(),
                    text=line.text or voucher.text,
                    account=line.account,
                    account_name=line.account_name,
                    amount=line.amount,
                    currency=voucher.currency,
                    currency_amount=line.currency_amount,
                    vat_category=line.vat_category,
                    vat_rate=line.vat_rate,
                    document=document,
                )
            )
    return rows


def _journal(entity: LegalEntity, vouchers: list[Voucher], export_format: str) -> bytes:
    # The file is for the entity's accountant: in the language of its books, and in the CSV
    # convention of that language (semicolons and a decimal comma in Swedish and Danish).
    language = BOOK_LANGUAGES.get(str(entity.country), "en")
    with translation.override(language):
        columns, rows = list(JOURNAL_COLUMNS), journal_rows(vouchers)
        if export_format == ExportFormat.CSV:
            return table_csv(columns, rows, language=language)
        return table_xlsx(columns, rows, title=gettext("Journal"))
