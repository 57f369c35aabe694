"""Who invoices and who is invoiced: legal entities, customers, payment terms and tax groups."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts import identifiers
from contracts.currencies import CURRENCY_CHOICES
from contracts.models.base import (
    PERCENT,
    AddressMixin,
    CodedModel,
    Language,
    code_constraints,
    country_constraint,
    currency_constraint,
    percentage_constraint,
)


class PaymentTerms(CodedModel):
    """How long a customer has to pay: the due date is the invoice date plus ``net_days``."""

    net_days = models.PositiveSmallIntegerField(_("days net"), validators=[MaxValueValidator(365)])
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        constraints = [
            *code_constraints("paymentterms"),
            models.CheckConstraint(
                condition=Q(net_days__lte=365),
                name="paymentterms_net_days_at_most_365",
                violation_error_message=_("Payment terms cannot be longer than 365 days."),
            ),
        ]


class VatCategory(models.TextChoices):
    """The EN 16931 VAT category (UNCL 5305 subset, BT-118 and BT-151) of a tax group."""

    STANDARD = "S", _("S – standard rate")
    ZERO = "Z", _("Z – zero rated")
    EXEMPT = "E", _("E – exempt from VAT")
    REVERSE_CHARGE = "AE", _("AE – reverse charge")
    INTRA_COMMUNITY = "K", _("K – intra-community supply (EU)")
    EXPORT = "G", _("G – export outside the EU")
    NOT_SUBJECT = "O", _("O – not subject to VAT")


#: Categories that are charged at 0 %: every one but S.
ZERO_RATE_CATEGORIES = ("Z", "E", "AE", "K", "G", "O")
#: Categories whose VAT breakdown must give an exemption reason, code or text (BR-E-10,
#: BR-AE-10, BR-IC-10, BR-G-10, BR-O-10); S and Z must not give one (BR-S-10, BR-Z-10).
REASON_CATEGORIES = ("E", "AE", "K", "G", "O")
#: The one VATEX code each of these categories can have (Peppol PEPPOL-EN16931-P0104..P0107);
#: every other VATEX code is an exemption (category E, P0108..P0111 and the CEF list).
CATEGORY_OF_SPECIFIC_REASON = {
    "VATEX-EU-AE": "AE",
    "VATEX-EU-IC": "K",
    "VATEX-EU-G": "G",
    "VATEX-EU-O": "O",
}

_NAMED_REASONS = {
    "VATEX-EU-AE": _("Reverse charge"),
    "VATEX-EU-IC": _("Intra-community supply"),
    "VATEX-EU-G": _("Export outside the EU"),
    "VATEX-EU-O": _("Not subject to VAT"),
    "VATEX-EU-D": _("Intra-community acquisition of second-hand means of transport"),
    "VATEX-EU-F": _("Intra-community acquisition of second-hand goods"),
    "VATEX-EU-I": _("Intra-community acquisition of works of art"),
    "VATEX-EU-J": _("Intra-community acquisition of collectors' items and antiques"),
}
#: The exemptions under an article of the VAT directive (2006/112/EC) in the CEF VATEX list.
_ARTICLE_REASONS = [
    "79-C",
    "132",
    "132-1A",
    "132-1B",
    "132-1C",
    "132-1D",
    "132-1E",
    "132-1F",
    "132-1G",
    "132-1H",
    "132-1I",
    "132-1J",
    "132-1K",
    "132-1L",
    "132-1M",
    "132-1N",
    "132-1O",
    "132-1P",
    "132-1Q",
    "135-1",
    "143",
    "143-1A",
    "143-1B",
    "143-1C",
    "143-1D",
    "143-1E",
    "143-1F",
    "143-1FA",
    "143-1G",
    "143-1H",
    "143-1I",
    "143-1J",
    "143-1K",
    "143-1L",
    "144",
    "146-1E",
    "148",
    "148-A",
    "148-B",
    "148-C",
    "148-D",
    "148-E",
    "148-F",
    "148-G",
    "151",
    "151-1A",
    "151-1AA",
    "151-1B",
    "151-1C",
    "151-1D",
    "151-1E",
    "153",
    "159",
    "309",
]


def _article(reference: str) -> str:
    """``132-1A`` as the directive cites it: ``132(1)(a)``."""
    number, *parts = reference.split("-")
    if parts and parts[0][0].isdigit():
        paragraph, point = parts[0][:1], parts[0][1:]
        return number + f"({paragraph})" + (f"({point.lower()})" if point else "")
    return number + "".join(f"({part.lower()})" for part in parts)


def _reason_choices() -> list[tuple[str, object]]:
    named = [
        (code, format_lazy("{code} – {text}", code=code, text=text))
        for code, text in _NAMED_REASONS.items()
    ]
    articles = [
        (
            f"VATEX-EU-{reference}",
            format_lazy(
                "VATEX-EU-{reference} – {text}",
                reference=reference,
                text=format_lazy(
                    _("exempt under article {article} of the VAT directive"),
                    article=_article(reference),
                ),
            ),
        )
        for reference in _ARTICLE_REASONS
    ]
    return named + articles


VAT_EXEMPTION_REASON_CHOICES = _reason_choices()
VAT_EXEMPTION_REASON_CODES = [code for code, _label in VAT_EXEMPTION_REASON_CHOICES]
EXEMPTION_REASON_CODES = [
    code for code in VAT_EXEMPTION_REASON_CODES if code not in CATEGORY_OF_SPECIFIC_REASON
]

TAX_GROUP_STANDARD_RATE_POSITIVE = _("A standard-rate (S) tax group needs a VAT rate above zero.")
TAX_GROUP_ZERO_RATE = _(
    "Only a standard-rate (S) tax group charges VAT: for this category the VAT rate must be zero."
)
TAX_GROUP_NEEDS_REASON = _(
    "Exempt, reverse-charge, intra-community, export and not-subject tax groups must say why no "
    "VAT is charged: choose an exemption reason code or write the text on invoice."
)
TAX_GROUP_NO_REASON_CODE = _(
    "Standard-rate and zero-rated tax groups cannot have an exemption reason code."
)
TAX_GROUP_REASON_MATCHES_CATEGORY = _(
    "This exemption reason code belongs to another VAT category: VATEX-EU-AE is for reverse "
    "charge (AE), VATEX-EU-IC for intra-community supply (K), VATEX-EU-G for export (G), "
    "VATEX-EU-O for not subject to VAT (O), and the others for exempt (E)."
)
TAX_GROUP_FLAGS_MATCH_CATEGORY = _(
    "A tax group is reverse charge exactly when its category is AE, and exempt exactly when "
    "its category is E."
)


class TaxGroup(CodedModel):
    """The VAT treatment of a line: its EN 16931 category and rate and, for the categories that
    charge no VAT, why not (an exemption reason code and the printed text).

    ``is_reverse_charge`` and ``is_exempt`` are kept for the code that reads them; they follow
    the category (AE and E) and the database refuses a row where they do not."""

    rate = models.DecimalField(_("VAT rate (%)"), **PERCENT)
    vat_category = models.CharField(
        _("VAT category"),
        max_length=2,
        choices=VatCategory.choices,
        default=VatCategory.STANDARD,
        help_text=_(
            "The category an e-invoice gives this VAT (EN 16931): S for the normal rates, AE "
            "for reverse charge, E for exempt, K for goods and services to another EU country, "
            "G for export, Z for zero rated, O for not subject to VAT."
        ),
    )
    exemption_reason_code = models.CharField(
        _("exemption reason code"),
        max_length=20,
        choices=VAT_EXEMPTION_REASON_CHOICES,
        blank=True,
        help_text=_(
            "Why no VAT is charged, as a code from the EU list (VATEX), e.g. VATEX-EU-AE for "
            "reverse charge. Needed, or the text on invoice, for every category but S and Z."
        ),
    )
    is_reverse_charge = models.BooleanField(_("reverse charge"), default=False, editable=False)
    is_exempt = models.BooleanField(_("exempt"), default=False, editable=False)
    note = models.CharField(
        _("text on invoice"),
        max_length=200,
        blank=True,
        help_text=_(
            "Printed on the invoice, e.g. 'Reverse charge, art. 196 VAT directive'. For the "
            "categories that charge no VAT it is also the exemption reason of the e-invoice."
        ),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("tax group")
        verbose_name_plural = _("tax groups")
        constraints = [
            *code_constraints("taxgroup"),
            percentage_constraint("rate", "taxgroup", _("The VAT rate")),
            models.CheckConstraint(
                condition=Q(is_reverse_charge=False, is_exempt=False) | Q(rate=0),
                name="taxgroup_special_treatment_has_zero_rate",
                violation_error_message=_(
                    "Reverse-charge and exempt tax groups must have a zero VAT rate."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(is_reverse_charge=True, is_exempt=True),
                name="taxgroup_not_both_reverse_charge_and_exempt",
                violation_error_message=_(
                    "A tax group is either reverse charge or exempt, not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(vat_category__in=VatCategory.values),
                name="taxgroup_vat_category_valid",
                violation_error_message=_("Choose a valid VAT category."),
            ),
            models.CheckConstraint(
                condition=~Q(vat_category=VatCategory.STANDARD) | Q(rate__gt=0),
                name="taxgroup_standard_rate_positive",
                violation_error_message=TAX_GROUP_STANDARD_RATE_POSITIVE,
            ),
            models.CheckConstraint(
                condition=Q(vat_category=VatCategory.STANDARD) | Q(rate=0),
                name="taxgroup_other_categories_zero_rate",
                violation_error_message=TAX_GROUP_ZERO_RATE,
            ),
            models.CheckConstraint(
                condition=(
                    Q(is_reverse_charge=True, vat_category=VatCategory.REVERSE_CHARGE)
                    | (Q(is_reverse_charge=False) & ~Q(vat_category=VatCategory.REVERSE_CHARGE))
                )
                & (
                    Q(is_exempt=True, vat_category=VatCategory.EXEMPT)
                    | (Q(is_exempt=False) & ~Q(vat_category=VatCategory.EXEMPT))
                ),
                name="taxgroup_flags_follow_category",
                violation_error_message=TAX_GROUP_FLAGS_MATCH_CATEGORY,
            ),
            models.CheckConstraint(
                condition=~Q(vat_category__in=REASON_CATEGORIES)
                | ~Q(exemption_reason_code="")
                | ~Q(note=""),
                name="taxgroup_exemption_has_reason",
                violation_error_message=TAX_GROUP_NEEDS_REASON,
            ),
            models.CheckConstraint(
                condition=Q(exemption_reason_code="")
                | Q(
                    vat_category=VatCategory.EXEMPT,
                    exemption_reason_code__in=EXEMPTION_REASON_CODES,
                )
                | Q(
                    *(
                        Q(vat_category=category, exemption_reason_code=code)
                        for code, category in CATEGORY_OF_SPECIFIC_REASON.items()
                    ),
                    _connector=Q.OR,
                ),
                name="taxgroup_reason_code_fits_category",
                violation_error_message=TAX_GROUP_REASON_MATCHES_CATEGORY,
            ),
        ]

    def _derive_flags(self) -> None:
        self.is_reverse_charge = self.vat_category == VatCategory.REVERSE_CHARGE
        self.is_exempt = self.vat_category == VatCategory.EXEMPT
        self.note = (self.note or "").strip()

    def clean(self) -> None:
        """The category's rules with a message on the field to change (the constraints above
        say the same to whoever bypasses the form)."""
        super().clean()
        self._derive_flags()
        errors: dict[str, list] = {}
        if self.rate is not None:
            if self.vat_category == VatCategory.STANDARD and self.rate <= 0:
                errors.setdefault("rate", []).append(TAX_GROUP_STANDARD_RATE_POSITIVE)
            if self.vat_category != VatCategory.STANDARD and self.rate != 0:
                errors.setdefault("rate", []).append(TAX_GROUP_ZERO_RATE)
        code = self.exemption_reason_code
        if self.vat_category in REASON_CATEGORIES and not code and not self.note:
            errors.setdefault("exemption_reason_code", []).append(TAX_GROUP_NEEDS_REASON)
        if code and self.vat_category in (VatCategory.STANDARD, VatCategory.ZERO):
            errors.setdefault("exemption_reason_code", []).append(TAX_GROUP_NO_REASON_CODE)
        elif code and exemption_reason_category(code) != self.vat_category:
            errors.setdefault("exemption_reason_code", []).append(TAX_GROUP_REASON_MATCHES_CATEGORY)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self._derive_flags()
        super().save(*args, **kwargs)


def exemption_reason_category(code: str) -> str:
    """The VAT category a VATEX code belongs to: AE, K, G or O for their own code, else E."""
    return CATEGORY_OF_SPECIFIC_REASON.get(code, VatCategory.EXEMPT)


def _identifiers_checked(record, checks: dict) -> None:
    """Run each filled field through its ``identifiers`` check, store the number as it comes
    back (compacted) and raise every refusal at once, on its own field."""
    errors = {}
    for field, check in checks.items():
        value = getattr(record, field)
        if not value:
            continue
        try:
            setattr(record, field, check(value))
        except ValidationError as error:
            errors[field] = error.error_list
    if errors:
        raise ValidationError(errors)


class LegalEntity(CodedModel, AddressMixin):
    """The company that invoices, with its own invoice-number series, the numbers the law and
    an e-invoice print for it (organisation and VAT number, F-tax, registered office) and where
    it is paid (IBAN and BIC, bankgiro or plusgiro in Sweden, FIK in Denmark).

    Numbers are stored compact (no spaces or dashes, upper-case): ``clean`` checks them for the
    entity's country, ``save`` compacts them whichever way they come in."""

    base_currency = models.CharField(_("base currency"), max_length=3, choices=CURRENCY_CHOICES)
    invoice_number_prefix = models.CharField(
        _("invoice number prefix"), max_length=10, blank=True, help_text=_("e.g. 'INV-'")
    )
    organization_number = models.CharField(
        _("organization number"),
        max_length=30,
        blank=True,
        help_text=_(
            "Swedish organisation numbers and Danish CVR numbers are checked (check digit); "
            "for other countries write the number as registered."
        ),
    )
    f_skatt = models.BooleanField(
        _("approved for F-tax"),
        default=False,
        help_text=_("Sweden only: printed as 'Godkänd för F-skatt' on every invoice."),
    )
    registered_office = models.CharField(
        _("registered office"),
        max_length=100,
        blank=True,
        help_text=_(
            "The municipality where the company has its registered office, e.g. Stockholm."
        ),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    iban = models.CharField(
        _("IBAN"), max_length=34, blank=True, help_text=_("e.g. SE45 5000 0000 0583 9825 7466")
    )
    bic = models.CharField(_("BIC"), max_length=11, blank=True, help_text=_("e.g. ESSESESS"))
    bankgiro = models.CharField(
        _("bank giro"),
        max_length=20,
        blank=True,
        help_text=_("Sweden: 7 or 8 digits, e.g. 5050-1055."),
    )
    plusgiro = models.CharField(
        _("plusgiro"),
        max_length=20,
        blank=True,
        help_text=_("Sweden: 2 to 8 digits, e.g. 4 12 34-6."),
    )
    fik_creditor_number = models.CharField(
        _("FIK creditor number"),
        max_length=8,
        blank=True,
        help_text=_(
            "Denmark: the 8-digit creditor number of the payment slip (+71), from your bank."
        ),
    )
    locked_until = models.DateField(
        _("books closed up to"),
        null=True,
        blank=True,
        help_text=_("Nothing can be posted with an invoice date on or before this date."),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        constraints = [
            *code_constraints("legalentity"),
            currency_constraint("base_currency", "legalentity"),
            country_constraint("country", "legalentity"),
        ]

    def _checks(self) -> dict:
        country = str(self.country)
        return {
            "organization_number": lambda number: identifiers.organization_number_clean(
                number, country
            ),
            "vat_number": lambda number: identifiers.vat_number_clean(number, country),
            "bankgiro": identifiers.bankgiro_clean,
            "plusgiro": identifiers.plusgiro_clean,
            "iban": identifiers.iban_clean,
            "bic": identifiers.bic_clean,
            "fik_creditor_number": identifiers.fik_creditor_clean,
        }

    def clean(self) -> None:
        super().clean()
        self.registered_office = self.registered_office.strip()
        _identifiers_checked(self, self._checks())

    def save(self, *args, **kwargs):
        _identifiers_compacted(self, self._checks())
        super().save(*args, **kwargs)

    @property
    def organization_number_display(self) -> str:
        return identifiers.organization_number_display(self.organization_number, str(self.country))

    @property
    def bankgiro_display(self) -> str:
        return identifiers.bankgiro_display(self.bankgiro)

    @property
    def plusgiro_display(self) -> str:
        return identifiers.plusgiro_display(self.plusgiro)


def _identifiers_compacted(record, checks: dict) -> None:
    """What ``save`` does to numbers that did not come through ``clean``: compacted as the
    check would store them, or upper-case without spaces and dashes when the check refuses them
    (free text, such as a German register entry, is only trimmed by its check)."""
    for field, check in checks.items():
        value = getattr(record, field)
        if value:
            try:
                setattr(record, field, check(value))
            except ValidationError:
                setattr(record, field, identifiers.compact(value))


class PeppolScheme(models.TextChoices):
    """Electronic address schemes (EAS) of the Peppol participants we invoice, Nordic first."""

    SE_ORGANIZATION_NUMBER = "0007", _("0007 – Swedish organisation number")
    DK_CVR = "0184", _("0184 – Danish CVR number")
    NO_ORGANIZATION_NUMBER = "0192", _("0192 – Norwegian organisation number")
    FI_OVT = "0216", _("0216 – Finnish OVT code")
    FI_VAT = "0213", _("0213 – Finnish VAT number")
    GLN = "0088", _("0088 – GLN (global location number)")
    BE_ENTERPRISE_NUMBER = "0208", _("0208 – Belgian enterprise number")
    DE_VAT = "9930", _("9930 – German VAT number")
    FR_VAT = "9957", _("9957 – French VAT number")


# What finance edits on a customer, in the finance UI and the API alike (the same order).
CUSTOMER_EDITABLE_FIELDS = (
    "code",
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_number",
    "email",
    "language",
    "payment_terms",
    "peppol_scheme",
    "peppol_identifier",
    "buyer_reference",
    "wants_facturx",
)


class Customer(CodedModel, AddressMixin):
    """Who is invoiced. Documents are rendered in the customer's language; an e-invoice goes
    to its Peppol endpoint with its default buyer reference (BT-10) unless the contract gives
    one; a customer that wants Factur-X gets its PDFs with the e-invoice inside."""

    language = models.CharField(
        _("document language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    email = models.EmailField(_("invoice e-mail"), blank=True)
    payment_terms = models.ForeignKey(
        PaymentTerms,
        verbose_name=_("payment terms"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    peppol_scheme = models.CharField(
        _("Peppol scheme"),
        max_length=4,
        choices=PeppolScheme.choices,
        blank=True,
        help_text=_("How the customer is found in the Peppol network, e.g. 0007 in Sweden."),
    )
    peppol_identifier = models.CharField(
        _("Peppol identifier"),
        max_length=50,
        blank=True,
        help_text=_("The customer's number in that scheme, e.g. its organisation number for 0007."),
    )
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "The reference the customer asks for on every invoice (BT-10), e.g. a Swedish "
            "public body's reference code. A contract can give its own."
        ),
    )
    wants_facturx = models.BooleanField(
        _("send PDFs as Factur-X (PDF/A-3 with the e-invoice inside)"),
        default=False,
        help_text=_(
            "The invoice PDF becomes a PDF/A-3 that carries the e-invoice as CII XML "
            "(Factur-X / ZUGFeRD, EN 16931), for customers who read invoices into their "
            "systems from the PDF. Invoices keep the kind they were posted with."
        ),
    )
    history = HistoricalRecords()

    class Meta(CodedModel.Meta):
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            *code_constraints("customer"),
            country_constraint("country", "customer"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values),
                name="customer_language_supported",
                violation_error_message=_("Choose English, Swedish or Danish."),
            ),
            models.CheckConstraint(
                condition=Q(peppol_scheme="", peppol_identifier="")
                | (~Q(peppol_scheme="") & ~Q(peppol_identifier="")),
                name="customer_peppol_scheme_and_identifier_together",
                violation_error_message=identifiers.PEPPOL_BOTH_OR_NEITHER,
            ),
            models.CheckConstraint(
                condition=Q(peppol_scheme="") | Q(peppol_scheme__in=PeppolScheme.values),
                name="customer_peppol_scheme_valid",
                violation_error_message=_("Choose a Peppol scheme from the list."),
            ),
        ]

    def _checks(self) -> dict:
        country = str(self.country)
        scheme = self.peppol_scheme
        return {
            "vat_number": lambda number: identifiers.vat_number_clean(number, country),
            "peppol_identifier": lambda identifier: identifiers.peppol_identifier_clean(
                identifier, scheme
            ),
        }

    def clean(self) -> None:
        super().clean()
        self.buyer_reference = self.buyer_reference.strip()
        errors = {}
        try:
            _identifiers_checked(self, self._checks())
        except ValidationError as error:
            errors = error.error_dict
        if bool(self.peppol_scheme) != bool(self.peppol_identifier):
            field = "peppol_identifier" if self.peppol_scheme else "peppol_scheme"
            errors.setdefault(field, []).append(
                ValidationError(identifiers.PEPPOL_BOTH_OR_NEITHER, code="peppol")
            )
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        _identifiers_compacted(self, self._checks())
        super().save(*args, **kwargs)
