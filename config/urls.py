from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import set_language

from config.health import health
from invoicing.views import DashboardView

admin.site.site_header = "Project billing administration"
admin.site.site_title = "Project billing"


@login_not_required
def favicon(request):
    """The site's icon, asked for by browsers before they read the page's <link rel="icon">
    (resolved per request: the static manifest exists only after collectstatic)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("", DashboardView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("healthz", health, name="health"),
    # Browsers ask for /favicon.ico before they read the page's <link rel="icon">.
    path("favicon.ico", favicon),
    path("contracts/", include("contracts.urls")),
    path("", include("collaboration.urls")),
    path("contracts/<int:contract_pk>/funding/", include("funding.urls")),
    path("billing/", include("invoicing.urls")),
    path("api/v1/", include("invoicing.api.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static as media_patterns

    urlpatterns += media_patterns(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
