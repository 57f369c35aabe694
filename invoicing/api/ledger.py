"""The books in the API: journal vouchers (read, filtered by legal entity and period), the
export log, and the SIE 4I export (a POST, because it records the export). Same permissions
as the pages: view_voucher to read, add_ledgerexport to export."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from contracts.models import LegalEntity
from invoicing.ledger import exports, selectors
from invoicing.ledger.models import ExportFormat, LedgerExport, Voucher, VoucherKind, VoucherLine


class VoucherLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = VoucherLine
        fields = [
            "account",
            "account_name",
            "amount",
            "currency_amount",
            "vat_category",
            "vat_rate",
            "text",
        ]


class VoucherSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    # Plain text, not an enum: a second "kind" enum beside the transactions' would make the
    # schema generator rename both.
    kind = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(VoucherKind.values)
    )
    lines = VoucherLineSerializer(many=True, read_only=True)

    class Meta:
        model = Voucher
        fields = [
            "id", "label", "legal_entity", "series", "number", "kind", "date", "text", "currency",
            "exchange_rate", "invoice", "payment", "credit_application", "refund",
            "internal_charge", "reverses", "created_at", "lines",
        ]  # fmt: skip


class LedgerExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = LedgerExport
        fields = [
            "id", "legal_entity", "export_format", "date_from", "date_to", "voucher_count",
            "sha256", "overlap_confirmed", "created_by", "created_at",
        ]  # fmt: skip


class SieExportRequestSerializer(serializers.Serializer):
    legal_entity = serializers.PrimaryKeyRelatedField(queryset=LegalEntity.objects.all())
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    confirm_overlap = serializers.BooleanField(
        default=False, help_text="Export although the period overlaps an earlier SIE export."
    )


def _date_param(request, name: str) -> datetime.date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: ["Give the date as YYYY-MM-DD."]}) from None


@extend_schema(
    parameters=[
        OpenApiParameter("legal_entity", int, description="Only this legal entity's vouchers"),
        OpenApiParameter("date_from", datetime.date, description="Dated on or after"),
        OpenApiParameter("date_to", datetime.date, description="Dated on or before"),
    ]
)
class VoucherViewSet(viewsets.ReadOnlyModelViewSet):
    """Journal vouchers with their lines, in date order."""

    queryset = Voucher.objects.none()
    serializer_class = VoucherSerializer

    def get_queryset(self):
        entity = self.request.query_params.get("legal_entity")
        if entity is not None and not entity.isdigit():
            raise ValidationError({"legal_entity": ["Give the legal entity's id (a number)."]})
        return selectors.journal(
            legal_entity_id=int(entity) if entity else None,
            date_from=_date_param(self.request, "date_from"),
            date_to=_date_param(self.request, "date_to"),
        ).prefetch_related("lines")


class LedgerExportViewSet(viewsets.ReadOnlyModelViewSet):
    """The export log: who exported which period of which legal entity, and the file's
    SHA-256."""

    queryset = LedgerExport.objects.order_by("-created_at", "-pk")
    serializer_class = LedgerExportSerializer


class SieExportViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The SIE 4I file of a legal entity's vouchers in a period, recorded in the export log. A
    period overlapping an earlier SIE export is refused (409) unless ``confirm_overlap``."""

    queryset = LedgerExport.objects.all()
    serializer_class = SieExportRequestSerializer

    @extend_schema(
        request=SieExportRequestSerializer,
        responses={
            (200, "text/plain"): OpenApiResponse(description="The SIE file, code page 437"),
            400: OpenApiResponse(description="The request cannot be exported"),
            409: OpenApiResponse(description="The period was exported before"),
        },
    )
    def create(self, request, *args, **kwargs):
        payload = SieExportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            exported = exports.ledger_export(
                legal_entity=data["legal_entity"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                export_format=ExportFormat.SIE,
                confirm_overlap=data["confirm_overlap"],
                actor=request.user,
            )
        except exports.ExportOverlaps as overlap:
            return Response({"non_field_errors": overlap.messages}, status=409)
        response = HttpResponse(exported.content, content_type=exported.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        response["X-Export-Id"] = str(exported.record.pk)
        return response
