"""Sending documents by e-mail over the API: queue the e-mail of an invoice or credit note
(``POST /api/v1/invoices/{id}/send/``) and read its log (``GET .../dispatches/``). The same
service and permissions as the invoice page (``invoicing.add_invoicedispatch`` to send,
``view_invoicedispatch`` to read)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from invoicing.invoices.models import Invoice
from invoicing.receivables import sending
from invoicing.receivables.dispatch_models import InvoiceDispatch


class SendRequestSerializer(serializers.Serializer):
    to = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Where to send it; blank: the customer's invoice e-mail. Commas separate "
        "several addresses.",
    )
    cc = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Copies, comma-separated."
    )


class SendQueuedSerializer(serializers.Serializer):
    request = serializers.UUIDField(
        help_text="The request's key: its attempts appear under it in the dispatch log."
    )
    invoice = serializers.IntegerField()
    queued = serializers.BooleanField()


class AttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class DispatchSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    # Plain text, not an enum: OpenAPI enum names are per field name and "kind" is taken.
    kind = serializers.CharField(
        read_only=True, help_text="document (the invoice e-mail) or reminder"
    )
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InvoiceDispatch
        fields = [
            "id", "invoice", "kind", "request_key", "attempt", "created_at", "to", "cc",
            "subject", "attachments", "result", "error", "actor",
        ]  # fmt: skip
        read_only_fields = fields


class InvoiceSendView(generics.GenericAPIView):
    """Queue the e-mail of a posted invoice or credit note to the customer (or ``to``). Each
    call sends again: a resend is this call made once more. The invoice becomes sent when the
    e-mail went out; the result is in ``GET /api/v1/invoices/{id}/dispatches/``."""

    queryset = InvoiceDispatch.objects.all()  # its model's permissions: add_ to send
    serializer_class = SendRequestSerializer

    @extend_schema(request=SendRequestSerializer, responses={202: SendQueuedSerializer})
    def post(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        payload = SendRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key = sending.invoice_send(
            invoice=invoice,
            actor=request.user,
            to=payload.validated_data.get("to") or None,
            cc=payload.validated_data.get("cc") or None,
        )
        body = {"request": key, "invoice": invoice.pk, "queued": True}
        return Response(SendQueuedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class InvoiceDispatchListView(generics.ListAPIView):
    """Every e-mail of the document and of its reminders, newest first: to whom, which files
    (with their SHA-256), and whether it went out."""

    serializer_class = DispatchSerializer
    queryset = InvoiceDispatch.objects.all()

    def get_queryset(self):
        invoice = get_object_or_404(Invoice, pk=self.kwargs["pk"])
        return (
            InvoiceDispatch.objects.filter(invoice=invoice)
            .select_related("actor")
            .order_by("-created_at", "-pk")
        )
