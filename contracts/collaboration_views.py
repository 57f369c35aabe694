"""Pages for working together: notifications, comment threads and contract documents."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from contracts import comments, documents, notifications
from contracts.forms import CommentForm, ContractDocumentForm, NotificationSettingsForm
from contracts.models import ContractDocument, Milestone, Notification, ProjectContract
from contracts.views import PermissionRequired

# ------------------------------------------------------------------------------------------
# Notifications: everyone sees only their own
# ------------------------------------------------------------------------------------------


class NotificationListView(TemplateView):
    template_name = "contracts/notification_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mine = Notification.objects.filter(recipient=self.request.user).order_by(
            "-created_at", "-pk"
        )
        only_unread = self.request.GET.get("show") == "unread"
        if only_unread:
            mine = mine.filter(read_at__isnull=True)
        page = Paginator(mine, settings.PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            page=page,
            rows=[
                (item, notifications.notification_text(item.kind, item.params))
                for item in page.object_list
            ],
            only_unread=only_unread,
            unread_count=Notification.objects.filter(
                recipient=self.request.user, read_at__isnull=True
            ).count(),
            settings_form=NotificationSettingsForm(
                initial=_settings_initial(
                    notifications.notification_settings_for(self.request.user)
                )
            ),
        )
        return context


def _settings_initial(chosen) -> dict:
    return {"email_enabled": chosen.email_enabled, "language": chosen.language}


class NotificationOpenView(View):
    """Mark one notification read and go where it points."""

    def get(self, request, pk):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        target = notifications.notification_open(notification=notification)
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return redirect(target)
        return redirect("collaboration:notification_list")


class NotificationsReadAllView(View):
    def post(self, request):
        count = notifications.notifications_read_all(user=request.user)
        messages.success(request, _("%(count)s notifications marked as read.") % {"count": count})
        return redirect("collaboration:notification_list")


class NotificationSettingsView(View):
    def post(self, request):
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            notifications.notification_settings_save(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your notification settings were saved."))
        else:
            messages.error(request, _("Choose one of the offered languages."))
        return redirect("collaboration:notification_list")


# ------------------------------------------------------------------------------------------
# Comments
# ------------------------------------------------------------------------------------------


class CommentThreadView(View):
    """The comment thread of a contract, milestone or proposal. With htmx only the thread is
    returned, so a comment added on the object's own page updates in place."""

    def dispatch(self, request, *args, **kwargs):
        self.target_kind = comments.comment_target(kwargs["target"])
        if self.target_kind is None:
            raise Http404
        if not request.user.has_perm(self.target_kind.permission):
            raise PermissionDenied
        self.target = get_object_or_404(self.target_kind.model, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def render_thread(self, request, form, status=200):
        context = {
            "target": self.target,
            "target_kind": self.target_kind,
            "target_label": self.target_kind.describe(self.target),
            "target_url": self.target_kind.page(self.target),
            "comments": comments.comments_for(self.target),
            "comment_form": form,
        }
        template = (
            "contracts/_comments.html"
            if request.htmx and not request.htmx.boosted
            else "contracts/comment_thread.html"
        )
        return render(request, template, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_thread(request, CommentForm())

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("contracts.add_comment"):
            raise PermissionDenied
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comments.comment_add(
                    target=self.target, author=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if not request.htmx:
                    messages.success(request, _("Your comment was added."))
                    return redirect(request.path)
                form = CommentForm()
        # htmx swaps only 2xx answers, so the thread with its errors comes back as 200.
        failed = bool(form.errors) and not request.htmx
        return self.render_thread(request, form, status=422 if failed else 200)


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
