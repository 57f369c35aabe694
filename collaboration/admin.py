from django.contrib import admin

from collaboration.models import Comment, Notification, NotificationSettings


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the events that cause them."""

    list_display = ["created_at", "recipient", "kind", "read_at", "emailed_at"]
    list_filter = ["kind", "read_at", "emailed_at"]
    search_fields = ["recipient__username", "event_key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "language"]
    list_filter = ["email_enabled", "language"]
    search_fields = ["user__username"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "author", "content_type", "object_id", "body"]
    list_filter = ["content_type"]
    search_fields = ["body", "author__username"]
    list_select_related = ["author", "content_type"]
    readonly_fields = ["content_type", "object_id", "author", "created_at", "mentions"]
