from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from config.health import health
from invoicing.views import DashboardView

admin.site.site_header = "Project billing administration"
admin.site.site_title = "Project billing"

urlpatterns = [
    path("", DashboardView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", health, name="health"),
    # Browsers ask for /favicon.ico before they read the page's <link rel="icon">.
    path(
        "favicon.ico",
        login_not_required(RedirectView.as_view(url=static_url("img/favicon.svg"), permanent=True)),
    ),
    path("contracts/", include("contracts.urls")),
    path("", include("collaboration.urls")),
    path("contracts/<int:contract_pk>/funding/", include("funding.urls")),
    path("billing/", include("invoicing.urls")),
    path("api/v1/", include("invoicing.api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
