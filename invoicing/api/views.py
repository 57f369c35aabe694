"""The JSON API: a thin layer over the same selectors and services as the finance UI."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from contracts import services as contract_services
from contracts.models import Milestone, Project, ProjectContract
from funding.models import FundingLimit, FundingRule, FundingSource
from invoicing.api import serializers
from invoicing.invoices import credits, documents, outbox, posting
from invoicing.invoices.models import EInvoice, EInvoiceSyntax, Invoice
from invoicing.invoices.views import einvoice_response
from invoicing.proposals import generation, workflow
from invoicing.proposals.models import InvoiceProposal
from invoicing.receivables.selectors import invoice_with_payment_state, invoices_with_open_amount
from invoicing.transactions import imports, services, timesheet_reader
from invoicing.transactions.models import ProjectTransaction


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied()


class ActionPermissionsMixin:
    """Workflow actions check their own permission (in the action or its service), exactly as
    the UI does; plain reads and writes use the model permissions."""

    def get_permissions(self):
        if self.action in getattr(self, "own_permission_actions", ()):
            return [IsAuthenticated()]
        return super().get_permissions()


class SavedThroughService:
    """Creates and updates go through the app's service (its checks and history), not
    serializer.save(); the viewset says which service in ``save``."""

    def save(self, instance):
        raise NotImplementedError

    def perform_create(self, serializer):
        serializer.instance = self.save(self.queryset.model(**serializer.validated_data))

    def perform_update(self, serializer):
        instance = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(instance, field, value)
        serializer.instance = self.save(instance)


class ContractViewSet(
    SavedThroughService, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Project contracts."""

    queryset = ProjectContract.objects.order_by("code")
    serializer_class = serializers.ContractSerializer

    def save(self, contract: ProjectContract) -> ProjectContract:
        return contract_services.contract_save(contract=contract, actor=self.request.user)


class ProjectViewSet(
    SavedThroughService, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Projects (type locked once the project has transactions)."""

    queryset = Project.objects.order_by("code")
    serializer_class = serializers.ProjectSerializer

    def save(self, project: Project) -> Project:
        return contract_services.project_save(project=project, actor=self.request.user)


class FundingSourceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FundingSource.objects.order_by("contract", "name")
    serializer_class = serializers.FundingSourceSerializer


class FundingLimitViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FundingLimit.objects.order_by("pk")
    serializer_class = serializers.FundingLimitSerializer


class FundingRuleViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FundingRule.objects.prefetch_related("lines").order_by("contract", "priority", "pk")
    serializer_class = serializers.FundingRuleSerializer


class TransactionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Project transactions: recorded one by one (funded at entry) or in bulk."""

    queryset = ProjectTransaction.objects.prefetch_related("allocations").order_by("-date", "-pk")
    serializer_class = serializers.TransactionSerializer
    own_permission_actions = ("bulk",)

    def perform_create(self, serializer):
        record = ProjectTransaction(**{**serializer.validated_data, "currency": ""})
        serializer.instance = services.transaction_record(record=record, actor=self.request.user)

    @extend_schema(
        request=serializers.BulkTransactionsSerializer,
        responses={201: OpenApiResponse(description="Rows created and rows already imported")},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Create many transactions with the checks of the CSV import: one bad row and nothing is
        written (every error names its row and column); rows sent before are skipped."""
        _require(request, "invoicing.import_projecttransaction")
        payload = serializers.BulkTransactionsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = payload.validated_data["rows"]
        header = list(timesheet_reader.COLUMN_ALIASES)
        cells = [[str(row.get(column, "") or "") for column in header] for row in rows]
        outcome = imports.timesheet_rows_import(header=header, cells=cells)
        if outcome.errors:
            errors = [
                {"row": error.row - 1, "field": error.column, "message": str(error.message)}
                for error in outcome.errors[:1000]
            ]
            return Response(
                {"errors": errors, "error_count": len(outcome.errors)},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            {"created": len(outcome.drafts), "already_imported": outcome.unchanged_rows},
            status=status.HTTP_201_CREATED,
        )


class MilestoneViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Milestone.objects.order_by("contract", "due_date", "pk")
    serializer_class = serializers.MilestoneSerializer
    own_permission_actions = ("complete",)

    @extend_schema(
        request=serializers.MilestoneCompleteSerializer, responses=serializers.MilestoneSerializer
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        payload = serializers.MilestoneCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        milestone = contract_services.milestone_complete(
            milestone=self.get_object(),
            actor=request.user,
            accepted_by_name=payload.validated_data.get("accepted_by_name", ""),
            accepted_on=payload.validated_data.get("accepted_on"),
        )
        return Response(serializers.MilestoneSerializer(milestone).data)


class ProposalViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Invoice proposals and their workflow: generate, submit, approve, reject, cancel, post."""

    queryset = InvoiceProposal.objects.prefetch_related("lines").order_by("-pk")
    serializer_class = serializers.ProposalSerializer
    own_permission_actions = ("generate", "submit", "approve", "reject", "cancel", "post")

    def _respond(self, proposal):
        return Response(
            serializers.ProposalSerializer(InvoiceProposal.objects.get(pk=proposal.pk)).data
        )

    @extend_schema(
        request=serializers.GenerateSerializer, responses=serializers.ProposalSerializer(many=True)
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        _require(request, "invoicing.add_invoiceproposal")
        payload = serializers.GenerateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        created = generation.proposals_generate(actor=request.user, **payload.validated_data)
        data = serializers.ProposalSerializer(created, many=True).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        _require(request, "invoicing.change_invoiceproposal")
        return self._respond(
            workflow.proposal_submit(proposal=self.get_object(), actor=request.user)
        )

    @extend_schema(request=None, responses=serializers.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        # The service checks the approver's permission and the four-eyes rule.
        return self._respond(
            workflow.proposal_approve(proposal=self.get_object(), actor=request.user)
        )

    @extend_schema(request=serializers.RejectSerializer, responses=serializers.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        payload = serializers.RejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._respond(
            workflow.proposal_reject(
                proposal=self.get_object(), actor=request.user, **payload.validated_data
            )
        )

    @extend_schema(request=None, responses=serializers.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        _require(request, "invoicing.change_invoiceproposal")
        return self._respond(
            workflow.proposal_cancel(proposal=self.get_object(), actor=request.user)
        )

    @extend_schema(request=serializers.PostSerializer, responses=serializers.InvoiceSerializer)
    # Named post_invoice: a method called "post" would also answer POST on the list route.
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_invoice(self, request, pk=None):
        payload = serializers.PostSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = posting.invoice_post(
            proposal=self.get_object(),
            actor=request.user,
            invoice_date=payload.validated_data.get("invoice_date"),
        )
        if not isinstance(document, Invoice):
            return Response(
                {"internal_charge": document.pk, "amount": str(document.amount)},
                status=status.HTTP_201_CREATED,
            )
        return Response(
            serializers.InvoiceSerializer(invoice_with_payment_state(document)).data,
            status=status.HTTP_201_CREATED,
        )


class InvoiceViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Posted invoices and credit notes (final: no update or delete)."""

    queryset = Invoice.objects.prefetch_related(
        "lines",
        "taxes",
        Prefetch(
            "einvoices",
            queryset=EInvoice.objects.filter(syntax=EInvoiceSyntax.PEPPOL_BIS_UBL).defer("xml"),
            to_attr="peppol_einvoices",
        ),
    ).order_by("legal_entity", "-sequence_number")
    serializer_class = serializers.InvoiceSerializer
    own_permission_actions = ("credit",)

    def get_queryset(self):
        # Annotated per request: "overdue" depends on today's date.
        return invoices_with_open_amount(super().get_queryset())

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{invoice.number}.pdf"'
        return response

    @extend_schema(
        responses={(200, "application/xml"): OpenApiResponse(description="The e-invoice XML")}
    )
    @action(detail=True, methods=["get"])
    def einvoice(self, request, pk=None):
        invoice = self.get_object()
        stored = EInvoice.objects.filter(
            invoice=invoice, syntax=EInvoiceSyntax.PEPPOL_BIS_UBL
        ).first()
        if stored is None:
            raise NotFound("This document was posted before e-invoices were made: it has none.")
        return einvoice_response(stored)

    @extend_schema(request=serializers.CreditSerializer, responses=serializers.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def credit(self, request, pk=None):
        _require(request, "invoicing.add_invoiceproposal")
        payload = serializers.CreditSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        amounts = {line["line"]: line.get("amount") for line in payload.validated_data["lines"]}
        proposal = credits.credit_proposal_create(
            invoice=self.get_object(),
            amounts=amounts,
            reason=payload.validated_data["reason"],
            rebill=payload.validated_data["rebill"],
            actor=request.user,
        )
        return Response(
            serializers.ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED
        )


class EInvoiceViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """The e-invoice outbox: e-invoices no access point has picked up yet (``?picked_up=true``
    lists those picked up). Fetch the XML from ``/invoices/{invoice}/einvoice/``, then
    acknowledge the pick-up."""

    queryset = EInvoice.objects.none()
    serializer_class = serializers.EInvoiceSerializer
    own_permission_actions = ("acknowledge",)

    def get_queryset(self):
        if self.action == "list":
            picked_up = self.request.query_params.get("picked_up") in ("true", "1")
            return outbox.einvoices_listed(waiting=not picked_up)
        return (
            EInvoice.objects.filter(syntax=EInvoiceSyntax.PEPPOL_BIS_UBL)
            .select_related("invoice", "acknowledgement")
            .defer("xml")
        )

    @extend_schema(
        parameters=[OpenApiParameter("picked_up", bool, description="List those picked up")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=serializers.EInvoiceAcknowledgeSerializer, responses=serializers.EInvoiceSerializer
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        payload = serializers.EInvoiceAcknowledgeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        einvoice = self.get_object()
        outbox.einvoice_acknowledge(
            einvoice=einvoice,
            actor=request.user,
            message_reference=payload.validated_data["message_reference"],
        )
        einvoice = self.get_queryset().get(pk=einvoice.pk)
        return Response(
            serializers.EInvoiceSerializer(einvoice).data, status=status.HTTP_201_CREATED
        )
