"""Pages for working together: notifications and comment threads."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from collaboration import comments, notifications
from collaboration.emails import notification_settings_for
from collaboration.forms import CommentForm, NotificationSettingsForm
from collaboration.models import Notification
from collaboration.registry import comment_target
from collaboration.texts import notification_text

# ------------------------------------------------------------------------------------------
# Notifications: everyone sees only their own
# ------------------------------------------------------------------------------------------


class NotificationListView(TemplateView):
    template_name = "collaboration/notification_list.html"

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
            rows=[(item, notification_text(item.kind, item.params)) for item in page.object_list],
            only_unread=only_unread,
            unread_count=Notification.objects.filter(
                recipient=self.request.user, read_at__isnull=True
            ).count(),
            settings_form=NotificationSettingsForm(
                initial=_settings_initial(notification_settings_for(self.request.user))
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
    """The comment thread of any registered target. With htmx only the thread is returned, so
    a comment added on the object's own page updates in place."""

    def dispatch(self, request, *args, **kwargs):
        self.target_kind = comment_target(kwargs["target"])
        if self.target_kind is None:
            raise Http404
        if not request.user.has_perm(self.target_kind.permission):
            raise PermissionDenied
        self.target = get_object_or_404(self.target_kind.model, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def render_thread(self, request, form, status=200):
        thread = list(comments.comments_for(self.target))
        form.mention_example_set(comments.mention_example(thread, reader=request.user))
        context = {
            "target": self.target,
            "target_kind": self.target_kind,
            "target_label": self.target_kind.describe(self.target),
            "target_url": self.target_kind.page(self.target),
            "comments": thread,
            "comment_form": form,
        }
        template = (
            "collaboration/_comments.html"
            if request.htmx and not request.htmx.boosted
            else "collaboration/comment_thread.html"
        )
        return render(request, template, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_thread(request, CommentForm())

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("collaboration.add_comment"):
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
