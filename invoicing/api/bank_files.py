"""The API of bank files and payments: the same services and permissions as the finance pages.

- ``POST /bank-files/`` (multipart ``file``): read and match, nothing booked; answers the
  preview (201, or 200 with ``already_imported`` for a file sent before);
- ``POST /bank-files/{id}/confirm/``: book the matched payments, all or nothing;
- ``GET /bank-files/``, ``GET /bank-files/{id}/`` (with its payments);
- ``GET /payments/``, ``GET /payments/{id}/``, ``POST /payments/``: record a payment through
  ``payments.payment_record`` with the checks of the invoice page's form.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from contracts.models import Customer
from contracts.money import is_valid_currency
from invoicing.api.views import ActionPermissionsMixin, _require
from invoicing.invoices.models import Invoice
from invoicing.receivables import payments
from invoicing.receivables.bank_files import selectors, services
from invoicing.receivables.bank_files.matching import reason_text
from invoicing.receivables.bank_files.models import BankFile, BankFilePayment
from invoicing.receivables.bank_files.statement import BankFileError
from invoicing.receivables.models import Payment, PaymentAllocation, PaymentMethod
from invoicing.receivables.views import WRITE_PERMISSION


class BankFilePaymentSerializer(serializers.ModelSerializer):
    reasons = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField()
    surplus = serializers.SerializerMethodField()

    class Meta:
        model = BankFilePayment
        fields = [
            "id", "position", "line", "bank_reference", "amount", "currency", "booked_on",
            "payer_name", "payer_account", "references", "texts", "is_deduction", "match_kind",
            "state", "customer", "payment", "allocations", "surplus", "reasons",
        ]  # fmt: skip

    def get_reasons(self, row) -> list[str]:
        return [reason_text(reason) for reason in row.match.get("reasons", [])]

    def get_allocations(self, row) -> list[dict]:
        return [
            {"invoice": allocation["invoice"], "number": allocation["number"],
             "amount": allocation["amount"]}
            for allocation in row.match.get("allocations", [])
        ]  # fmt: skip

    def get_surplus(self, row) -> str:
        return row.match.get("surplus", "0")


class BankFileSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.get_username", read_only=True)

    class Meta:
        model = BankFile
        fields = [
            "id", "kind", "file_name", "sha256", "identifier", "is_test", "notes", "status",
            "uploaded_by", "uploaded_at", "confirmed_at",
        ]  # fmt: skip


class BankFileDetailSerializer(BankFileSerializer):
    payments = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    already_imported = serializers.SerializerMethodField()

    class Meta(BankFileSerializer.Meta):
        fields = [*BankFileSerializer.Meta.fields, "already_imported", "summary", "payments"]

    def _rows(self, bank_file):
        if not hasattr(bank_file, "_rows"):
            bank_file._rows = list(selectors.bank_file_payments(bank_file))
        return bank_file._rows

    @extend_schema_field(BankFilePaymentSerializer(many=True))
    def get_payments(self, bank_file) -> list[dict]:
        return BankFilePaymentSerializer(self._rows(bank_file), many=True).data

    def get_summary(self, bank_file) -> list[dict]:
        return [
            {**total, "total": str(total["total"]),
             **{group: {"count": total[group]["count"], "amount": str(total[group]["amount"])}
                for group in ("matched", "partly_matched", "unmatched", "skipped")}}
            for total in selectors.bank_file_summary(self._rows(bank_file))
        ]  # fmt: skip

    def get_already_imported(self, bank_file) -> bool:
        return bool(self.context.get("already_imported"))


class BankFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class BankFileViewSet(
    ActionPermissionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    mixins.CreateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Bank files (Bankgirot BgMax, camt.054): upload for a preview, then confirm."""

    queryset = BankFile.objects.none()
    own_permission_actions = ("create", "confirm")
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self):
        return selectors.bank_files_listed().order_by("-uploaded_at", "-pk")

    def get_serializer_class(self):
        if self.action == "list":
            return BankFileSerializer
        if self.action == "create":
            return BankFileUploadSerializer
        return BankFileDetailSerializer

    @extend_schema(
        request={"multipart/form-data": BankFileUploadSerializer},
        responses={
            201: BankFileDetailSerializer,
            200: OpenApiResponse(BankFileDetailSerializer, description="Sent before: nothing new"),
        },
    )
    def create(self, request, *args, **kwargs):
        """Read a bank file and match its payments to open invoices; nothing is booked."""
        _require(request, WRITE_PERMISSION)
        payload = BankFileUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        uploaded = payload.validated_data["file"]
        try:
            upload = services.bank_file_upload(
                content=uploaded.read(), file_name=uploaded.name, actor=request.user
            )
        except (BankFileError, services.BankFileRefused) as refused:
            raise ValidationError({"file": [str(refused)]}) from refused
        data = BankFileDetailSerializer(
            upload.bank_file, context={"already_imported": not upload.is_new}
        ).data
        return Response(
            data, status=status.HTTP_201_CREATED if upload.is_new else status.HTTP_200_OK
        )

    @extend_schema(request=None, responses=BankFileDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Book every matched payment of the file (all or nothing); the others wait."""
        _require(request, WRITE_PERMISSION)
        bank_file = self.get_object()
        try:
            services.bank_file_confirm(bank_file=bank_file, actor=request.user)
        except services.BankFileRefused as refused:
            raise ValidationError({"non_field_errors": [str(refused)]}) from refused
        return Response(BankFileDetailSerializer(self.get_queryset().get(pk=bank_file.pk)).data)


class PaymentAllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "invoice_number", "amount"]


class PaymentSerializer(serializers.ModelSerializer):
    allocations = PaymentAllocationSerializer(many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.get_username", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "customer", "currency", "paid_on", "amount", "method", "reference", "payer",
            "note", "reverses", "recorded_by", "recorded_at", "allocations",
        ]  # fmt: skip


class AllocationRequestSerializer(serializers.Serializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )


class PaymentRecordSerializer(serializers.Serializer):
    """A payment to record. ``allocations`` omitted: the customer's open invoices in that
    currency, due first first; an allocation's amount omitted: as much as is open."""

    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    currency = serializers.CharField(max_length=3)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    payer = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    keep_surplus_as_credit = serializers.BooleanField(default=False)
    allocations = AllocationRequestSerializer(many=True, required=False)

    def validate_currency(self, value: str) -> str:
        if not is_valid_currency(value):
            raise serializers.ValidationError(
                _("%(currency)s is not a currency code (SEK, DKK, EUR...).") % {"currency": value}
            )
        return value


class PaymentViewSet(
    ActionPermissionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    mixins.CreateModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """Payments received, with their allocations; recording one allocates it to invoices."""

    queryset = (
        Payment.objects.select_related("recorded_by")
        .prefetch_related("allocations__invoice")
        .order_by("-paid_on", "-pk")
    )
    serializer_class = PaymentSerializer
    own_permission_actions = ("create",)

    @extend_schema(request=PaymentRecordSerializer, responses={201: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        _require(request, WRITE_PERMISSION)
        payload = PaymentRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        allocations = data.get("allocations")
        payment = payments.payment_record(
            customer=data["customer"],
            currency=data["currency"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            allocations=None
            if allocations is None
            else [(row["invoice"], row.get("amount")) for row in allocations],
            method=data["method"],
            reference=data["reference"],
            payer=data["payer"],
            note=data["note"],
            keep_surplus_as_credit=data["keep_surplus_as_credit"],
            actor=request.user,
        )
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)
