"""API representations. Writes go through the same services as the finance UI."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.models import Milestone, Project, ProjectContract
from funding.models import FundingLimit, FundingRule, FundingRuleLine, FundingSource
from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice, InvoiceLine, InvoiceTax
from invoicing.proposals.models import InvoiceProposal, ProposalLine
from invoicing.transactions.models import ProjectTransaction, TransactionAllocation


class ContractSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectContract
        fields = [
            "id",
            "code",
            "name",
            "legal_entity",
            "customer",
            "status",
            "currency",
            "contract_value",
            "retention_percent",
            "default_tax_group",
            "payment_terms",
            "invoicing_scope",
            "requires_customer_acceptance",
            "start_date",
            "end_date",
            "customer_reference",
            "description",
        ]
        # Uniqueness and every constraint are checked by the service (model validation), with
        # the same messages as the UI.
        validators = []
        extra_kwargs = {"code": {"validators": []}}


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "contract",
            "parent",
            "project_type",
            "status",
            "tax_group",
            "start_date",
            "end_date",
        ]
        validators = []
        extra_kwargs = {"code": {"validators": []}}


class FundingSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingSource
        fields = [
            "id",
            "contract",
            "name",
            "source_type",
            "customer",
            "is_on_hold",
            "is_rounding_source",
        ]
        validators = []


class FundingLimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingLimit
        fields = [
            "id",
            "source",
            "amount",
            "used_amount",
            "project",
            "category",
            "worker",
            "item",
            "kind",
            "date_from",
            "date_to",
        ]
        read_only_fields = ["used_amount"]


class FundingRuleLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingRuleLine
        fields = ["source", "percentage"]


class FundingRuleSerializer(serializers.ModelSerializer):
    lines = FundingRuleLineSerializer(many=True, read_only=True)

    class Meta:
        model = FundingRule
        fields = [
            "id",
            "contract",
            "name",
            "priority",
            "project",
            "worker",
            "item",
            "category",
            "category_group",
            "kind",
            "valid_from",
            "valid_to",
            "lines",
        ]


class AllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransactionAllocation
        fields = [
            "source",
            "amount",
            "rule",
            "priority",
            "percentage",
            "binding_limit",
            "is_on_hold",
        ]


class TransactionSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    # The description in the request's language (a billing rule's is a kind, issue 16).
    text = serializers.CharField(read_only=True)
    cost_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, required=False, allow_null=True
    )
    sales_price = serializers.DecimalField(
        max_digits=12, decimal_places=4, required=False, allow_null=True
    )
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=Decimal("0"))

    class Meta:
        model = ProjectTransaction
        fields = [
            "id",
            "kind",
            "date",
            "project",
            "category",
            "worker",
            "item",
            "line_property",
            "quantity",
            "cost_price",
            "sales_price",
            "cost_amount",
            "sales_amount",
            "currency",
            "description",
            "text",
            "is_chargeable",
            "billing_status",
            "external_reference",
            "allocations",
        ]
        read_only_fields = [
            "cost_amount",
            "sales_amount",
            "currency",
            "is_chargeable",
            "billing_status",
        ]
        validators = []


class TimesheetRowSerializer(serializers.Serializer):
    """One row of a bulk create, with the columns of the CSV import (DOMAIN names)."""

    entry_id = serializers.CharField(max_length=100)
    date = serializers.CharField(max_length=30)
    project = serializers.CharField(max_length=30)
    category = serializers.CharField(max_length=30)
    hours = serializers.CharField(max_length=30)
    worker = serializers.CharField(max_length=30, required=False, allow_blank=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    kind = serializers.CharField(max_length=20, required=False, allow_blank=True)
    item = serializers.CharField(max_length=30, required=False, allow_blank=True)
    sales_price = serializers.CharField(max_length=30, required=False, allow_blank=True)
    cost_price = serializers.CharField(max_length=30, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    line_property = serializers.CharField(max_length=30, required=False, allow_blank=True)


class BulkTransactionsSerializer(serializers.Serializer):
    rows = TimesheetRowSerializer(many=True, allow_empty=False, max_length=100_000)


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = [
            "id",
            "contract",
            "project",
            "sequence",
            "description",
            "activity",
            "due_date",
            "amount",
            "percent",
            "status",
            "completed_at",
            "accepted_by_name",
            "accepted_on",
        ]
        read_only_fields = ["status", "completed_at"]


class MilestoneCompleteSerializer(serializers.Serializer):
    accepted_by_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    accepted_on = serializers.DateField(required=False, allow_null=True)


class ProposalLineSerializer(serializers.ModelSerializer):
    # ``description`` is the text as stored (a generated one in the language of whoever made
    # it); ``text`` is the line in the request's language, from its kind (issue 16).
    text = serializers.CharField(read_only=True)

    class Meta:
        model = ProposalLine
        fields = [
            "id",
            "line_type",
            "kind",
            "description",
            "text",
            "quantity",
            "unit_price",
            "amount",
            "transaction",
        ]


class ProposalSerializer(serializers.ModelSerializer):
    lines = ProposalLineSerializer(many=True, read_only=True)

    class Meta:
        model = InvoiceProposal
        fields = [
            "id",
            "contract",
            "funding_source",
            "project",
            "kind",
            "status",
            "up_to_date",
            "submitted_by",
            "approved_by",
            "rejection_reason",
            "revision",
            "credited_invoice",
            "credit_reason",
            "lines",
        ]
        read_only_fields = fields


class GenerateSerializer(serializers.Serializer):
    contract = serializers.PrimaryKeyRelatedField(queryset=ProjectContract.objects.all())
    up_to_date = serializers.DateField()
    split_by_kind = serializers.BooleanField(default=False)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class PostSerializer(serializers.Serializer):
    invoice_date = serializers.DateField(required=False, allow_null=True)


class InvoiceLineSerializer(serializers.ModelSerializer):
    # ``description`` is what the document prints (frozen in its language at posting);
    # ``text`` is the line in the request's language.
    text = serializers.CharField(read_only=True)

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "line_type",
            "kind",
            "description",
            "text",
            "quantity",
            "unit_price",
            "amount",
            "tax_rate",
            "transaction",
        ]


class InvoiceTaxSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceTax
        fields = ["label", "rate", "base", "amount"]


class TaxCurrencyVatSerializer(serializers.Serializer):
    category = serializers.CharField(read_only=True)
    rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


class TaxCurrencySerializer(serializers.Serializer):
    """The VAT in the legal entity's currency (EN 16931 BT-6, BT-111) frozen at posting, with
    the exchange rate used (units of ``currency`` per one unit of the invoice's currency)."""

    currency = serializers.CharField(read_only=True)
    rate = serializers.CharField(
        read_only=True, help_text="The rate as frozen, with at least six decimals: 11.234500."
    )
    rate_date = serializers.DateField(read_only=True)
    source = serializers.CharField(read_only=True)
    vat_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    taxes = TaxCurrencyVatSerializer(many=True, read_only=True)


class InvoiceSerializer(serializers.ModelSerializer):
    """A posted document with what is paid, credited and open on it, from the receivables
    ledger (the instance must come from ``receivables.selectors.invoices_with_open_amount``)."""

    lines = InvoiceLineSerializer(many=True, read_only=True)
    taxes = InvoiceTaxSerializer(many=True, read_only=True)
    amount_paid = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    amount_credited = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    open_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    payment_state = serializers.ChoiceField(
        choices=["open", "partly_paid", "paid", "settled"], read_only=True
    )
    is_overdue = serializers.BooleanField(read_only=True)
    einvoice_sha256 = serializers.SerializerMethodField(
        help_text="SHA-256 of the Peppol e-invoice XML stored at posting (GET .../einvoice/); "
        "null for documents posted before e-invoices were made."
    )
    tax_currency = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "document_type",
            "legal_entity",
            "contract",
            "funding_source",
            "customer",
            "currency",
            "invoice_date",
            "due_date",
            "net_total",
            "retention_total",
            "vat_total",
            "gross_total",
            "status",
            "amount_paid",
            "amount_credited",
            "open_amount",
            "payment_state",
            "is_overdue",
            "credited_invoice",
            "credit_reason",
            "lines",
            "taxes",
            "einvoice_sha256",
            "tax_currency",
        ]
        read_only_fields = fields

    @extend_schema_field(TaxCurrencySerializer(allow_null=True))
    def get_tax_currency(self, invoice: Invoice) -> dict | None:
        """As frozen in the snapshot; null in the legal entity's own currency and on invoices
        posted before issue 14, item 3."""
        frozen = invoice.snapshot.get("tax_currency")
        return None if frozen is None else TaxCurrencySerializer(frozen).data

    def get_einvoice_sha256(self, invoice) -> str | None:
        stored = getattr(invoice, "peppol_einvoices", None)
        if stored is None:  # not prefetched (a single invoice just posted)
            stored = list(invoice.einvoices.filter(syntax=EInvoiceSyntax.PEPPOL_BIS_UBL))
        return stored[0].sha256 if stored else None


class CreditLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=Decimal("0")
    )


class CreditSerializer(serializers.Serializer):
    lines = CreditLineSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=2000)
    rebill = serializers.BooleanField(default=False)


class EInvoiceSerializer(serializers.ModelSerializer):
    """An e-invoice in the outbox (or picked up): what an access point needs to fetch it."""

    number = serializers.CharField(source="invoice.number", read_only=True)
    document_type = serializers.CharField(source="invoice.document_type", read_only=True)
    customer = serializers.IntegerField(source="invoice.customer_id", read_only=True)
    picked_up_at = serializers.DateTimeField(
        source="acknowledgement.acknowledged_at", read_only=True, allow_null=True
    )
    message_reference = serializers.CharField(
        source="acknowledgement.message_reference", read_only=True, allow_null=True
    )

    class Meta:
        model = EInvoice
        fields = [
            "id",
            "invoice",
            "number",
            "document_type",
            "customer",
            "syntax",
            "sha256",
            "created_at",
            "picked_up_at",
            "message_reference",
        ]
        read_only_fields = fields


class EInvoiceAcknowledgeSerializer(serializers.Serializer):
    message_reference = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
