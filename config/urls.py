from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core.views import ApiDocsView, healthz
from disposal.urls import partner_urlpatterns, public_urlpatterns

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"

api_v1 = [
    path("", include("recalls.urls")),
    path("", include("claims.urls")),
    path("", include(public_urlpatterns)),
    path("", include("incidents.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/partner/v1/", include(partner_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api-docs"),
    path("healthz/", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("claims.page_urls")),
    path("", include("outreach.urls")),
    path("", include("incidents.page_urls")),
]
