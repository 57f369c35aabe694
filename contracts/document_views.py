"""Pages for contract documents and a milestone's acceptance evidence."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from contracts import documents
from contracts.forms import ContractDocumentForm
from contracts.models import ContractDocument, Milestone, ProjectContract
from contracts.views import PermissionRequired

# ------------------------------------------------------------------------------------------
# Contract documents
# ------------------------------------------------------------------------------------------


def _documents_anchor(contract_pk: int) -> str:
    return reverse("contracts:contract_detail", kwargs={"pk": contract_pk}) + "#documents"


class ContractDocumentUploadView(PermissionRequired, View):
    permission_required = "contracts.add_contractdocument"

    def post(self, request, pk):
        contract = get_object_or_404(ProjectContract, pk=pk)
        form = ContractDocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = documents.contract_document_add(
                    contract=contract,
                    kind=form.cleaned_data["kind"],
                    title=form.cleaned_data["title"],
                    uploaded_file=form.cleaned_data["file"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("%(title)s was attached.") % {"title": document.title})
                return redirect(_documents_anchor(contract.pk))
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(
            request,
            _("The document was not attached: %(problems)s") % {"problems": " ".join(problems)},
        )
        return redirect(_documents_anchor(contract.pk))


class ContractDocumentDownloadView(PermissionRequired, View):
    permission_required = "contracts.view_contractdocument"

    def get(self, request, pk, document_pk):
        document = get_object_or_404(ContractDocument, pk=document_pk, contract_id=pk)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404(_("The file of this document is missing.")) from missing
        return FileResponse(
            handle,
            as_attachment=request.GET.get("inline") != "1",
            filename=document.file_name,
            content_type=document.media_type,
        )


class ContractDocumentDeleteView(PermissionRequired, View):
    permission_required = "contracts.delete_contractdocument"

    def post(self, request, pk, document_pk):
        document = get_object_or_404(ContractDocument, pk=document_pk, contract_id=pk)
        documents.contract_document_delete(document=document, actor=request.user)
        messages.success(request, _("%(title)s was removed.") % {"title": document.title})
        return redirect(_documents_anchor(pk))


class MilestoneEvidenceView(PermissionRequired, View):
    """The customer's signed acceptance, served to users who may see milestones (media files
    are not public)."""

    permission_required = "contracts.view_milestone"

    def get(self, request, pk, milestone_pk):
        milestone = get_object_or_404(Milestone, pk=milestone_pk, contract_id=pk)
        if not milestone.acceptance_evidence:
            raise Http404
        try:
            handle = milestone.acceptance_evidence.open("rb")
        except FileNotFoundError as missing:
            raise Http404(_("The file of this document is missing.")) from missing
        return FileResponse(handle, filename=PurePath(milestone.acceptance_evidence.name).name)
