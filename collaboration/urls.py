from django.urls import path

from collaboration import views

app_name = "collaboration"

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path(
        "notifications/<int:pk>/",
        views.NotificationOpenView.as_view(),
        name="notification_open",
    ),
    path(
        "notifications/read-all/",
        views.NotificationsReadAllView.as_view(),
        name="notifications_read_all",
    ),
    path(
        "notifications/settings/",
        views.NotificationSettingsView.as_view(),
        name="notification_settings",
    ),
    path("comments/<slug:target>/<int:pk>/", views.CommentThreadView.as_view(), name="comments"),
]
