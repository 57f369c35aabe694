"""The books (DOMAIN.md section 13): each legal entity's chart-of-accounts mapping, the
journal vouchers that every posted document and every receivables record produce, and the log
of exports to the accounting system.

A voucher and its lines are records: written once, in the transaction of the event they book,
never changed or deleted (the services write them, the admin only shows them and, on
PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE, migration 0020_ledger). A mistake is
undone by a reversing voucher (``services.voucher_reverse``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import MONEY, RATE, Category, LegalEntity, TransactionKind
from invoicing.invoices.models import InternalCharge, Invoice
from invoicing.receivables.models import CreditApplication, CustomerRefund, Payment

ACCOUNT_NUMBER_MESSAGE = _("An account number is 1 to 10 digits, e.g. 1510.")
account_number_validator = RegexValidator(r"^[0-9]{1,10}$", ACCOUNT_NUMBER_MESSAGE)


class LedgerAccount(models.Model):
    """An account of the legal entity's chart that the mapping uses, with its name (printed
    in the journal and in the SIE file's #KONTO)."""

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.CASCADE,
        related_name="ledger_accounts",
    )  # fmt: skip
    number = models.CharField(_("account"), max_length=10, validators=[account_number_validator])
    name = models.CharField(_("account name"), max_length=100)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["legal_entity", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="ledger_account_unique_per_entity"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{1,10}$"), name="ledger_account_number_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class AccountPurpose(models.TextChoices):
    """What a mapped account is used for. The first group is one account each (required);
    revenue and output VAT may have several rules, the most specific matching one wins."""

    RECEIVABLES = "receivables", _("Receivables")
    BANK = "bank", _("Bank")
    RETENTION = "retention", _("Retention receivable")
    PREPAYMENT = "prepayment", _("Prepayments invoiced (liability)")
    CUSTOMER_CREDIT = "customer_credit", _("Customer credit (liability)")
    ROUNDING = "rounding", _("Rounding")
    EXCHANGE_GAIN = "exchange_gain", _("Exchange gains")
    EXCHANGE_LOSS = "exchange_loss", _("Exchange losses")
    INTERNAL_DEBIT = "internal_debit", _("Internal charges, debit")
    INTERNAL_CREDIT = "internal_credit", _("Internal charges, credit")
    REVENUE = "revenue", _("Revenue")
    OUTPUT_VAT = "output_vat", _("Output VAT")


#: Purposes with exactly one rule and no criteria.
SINGLE_PURPOSES = tuple(
    purpose
    for purpose in AccountPurpose.values
    if purpose not in (AccountPurpose.REVENUE, AccountPurpose.OUTPUT_VAT)
)


class AccountRule(models.Model):
    """One line of the mapping: which account a purpose books to, for the lines that match
    its criteria (blank criteria match everything). Revenue may be narrowed by transaction
    kind, category and VAT category and rate; output VAT by VAT category and rate."""

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.CASCADE,
        related_name="account_rules",
    )  # fmt: skip
    purpose = models.CharField(_("used for"), max_length=20, choices=AccountPurpose.choices)
    account = models.ForeignKey(
        LedgerAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="rules"
    )
    kind = models.CharField(
        _("transaction kind"), max_length=20, choices=TransactionKind.choices, blank=True
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    vat_category = models.CharField(_("VAT category"), max_length=2, blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("account rule")
        verbose_name_plural = _("account rules")
        ordering = ["legal_entity", "purpose", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "purpose"],
                condition=Q(purpose__in=SINGLE_PURPOSES),
                name="account_rule_single_purpose_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.account.number}"


class VoucherKind(models.TextChoices):
    INVOICE = "invoice", pgettext_lazy("voucher kind", "Invoice")
    CREDIT_NOTE = "credit_note", pgettext_lazy("voucher kind", "Credit note")
    PAYMENT = "payment", pgettext_lazy("voucher kind", "Payment")
    PAYMENT_REVERSAL = "payment_reversal", pgettext_lazy("voucher kind", "Payment reversal")
    CREDIT_APPLICATION = "credit_application", pgettext_lazy("voucher kind", "Credit application")
    REFUND = "refund", pgettext_lazy("voucher kind", "Refund")
    INTERNAL_CHARGE = "internal_charge", pgettext_lazy("voucher kind", "Internal charge")
    REVERSAL = "reversal", pgettext_lazy("voucher kind", "Reversal")


class VoucherSeries(models.TextChoices):
    """SIE voucher series: A sales, B payments and credit, C internal charges."""

    SALES = "A", _("A: invoices and credit notes")
    PAYMENTS = "B", _("B: payments, credit and refunds")
    INTERNAL = "C", _("C: internal charges")


class Voucher(models.Model):
    """One balanced journal entry (verifikation / bilag), numbered without gaps per legal
    entity and series, in the legal entity's currency. It names the document it books (at
    most one voucher per document) or the voucher it reverses."""

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.PROTECT,
        related_name="vouchers",
    )  # fmt: skip
    series = models.CharField(_("series"), max_length=2, choices=VoucherSeries.choices)
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=20, choices=VoucherKind.choices)
    date = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=200)
    currency = models.CharField(_("document currency"), max_length=3)
    exchange_rate = models.DecimalField(_("exchange rate"), **RATE, null=True, blank=True)
    invoice = models.OneToOneField(
        Invoice, verbose_name=pgettext_lazy("document", "invoice"), on_delete=models.PROTECT, related_name="voucher",
        null=True, blank=True,
    )  # fmt: skip
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="voucher",
        null=True, blank=True,
    )  # fmt: skip
    credit_application = models.OneToOneField(
        CreditApplication, verbose_name=_("credit application"), on_delete=models.PROTECT,
        related_name="voucher", null=True, blank=True,
    )  # fmt: skip
    refund = models.OneToOneField(
        CustomerRefund, verbose_name=_("refund"), on_delete=models.PROTECT,
        related_name="voucher", null=True, blank=True,
    )  # fmt: skip
    internal_charge = models.OneToOneField(
        InternalCharge, verbose_name=_("internal charge"), on_delete=models.PROTECT,
        related_name="voucher", null=True, blank=True,
    )  # fmt: skip
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), on_delete=models.PROTECT, related_name="reversal",
        null=True, blank=True,
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "series", "number"], name="voucher_number_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="reversal", reverses__isnull=False)
                    | Q(kind="payment_reversal")
                    | ~Q(kind__in=["reversal", "payment_reversal"]) & Q(reverses__isnull=True)
                ),
                name="voucher_reversal_names_voucher",
            ),
        ]
        indexes = [models.Index(fields=["legal_entity", "date"], name="voucher_entity_date")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.series}{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("invoicing:voucher_detail", kwargs={"pk": self.pk})


class VoucherLine(models.Model):
    """One line of a voucher: an account and a signed amount in the legal entity's currency
    (debit positive, credit negative), the amount in the document's currency when it is
    another, and the VAT category and rate the line belongs to. The account's number and name
    are copied: a later change to the mapping never changes a written voucher."""

    voucher = models.ForeignKey(
        Voucher, verbose_name=_("voucher"), on_delete=models.PROTECT, related_name="lines"
    )
    account = models.CharField(_("account"), max_length=10)
    account_name = models.CharField(_("account name"), max_length=100)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency_amount = models.DecimalField(
        _("amount in document currency"), **MONEY, null=True, blank=True
    )
    vat_category = models.CharField(_("VAT category"), max_length=2, blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    text = models.CharField(_("text"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("voucher line")
        verbose_name_plural = _("voucher lines")
        ordering = ["voucher", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="voucher_line_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"

    @property
    def debit(self):
        return self.amount if self.amount > 0 else None

    @property
    def credit(self):
        return -self.amount if self.amount < 0 else None


class ExportFormat(models.TextChoices):
    SIE = "sie", _("SIE 4 (type 4I)")
    CSV = "csv", _("CSV journal")
    XLSX = "xlsx", _("Excel journal (XLSX)")


class LedgerExport(models.Model):
    """A record of the journal of a period handed to another system: who, when, what and the
    file's SHA-256, so a period is not exported twice by mistake."""

    legal_entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.PROTECT,
        related_name="ledger_exports",
    )  # fmt: skip
    export_format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    voucher_count = models.PositiveIntegerField(_("vouchers"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    overlap_confirmed = models.BooleanField(_("overlap confirmed"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("exported by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("exported"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")), name="ledger_export_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity} {self.date_from}..{self.date_to} ({self.export_format})"
