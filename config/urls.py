from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from public.admin_login import ThrottledAdminLoginView

admin.site.site_header = "数据资产登记系统 Data Asset Registry"
admin.site.site_title = "数据资产登记 Registry"
admin.site.index_title = "登记机构管理 Registrar administration"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own URLs: its sign-in is throttled like the site's.
    path("admin/login/", ThrottledAdminLoginView.as_view(), name="admin-login-throttled"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file (the CSP refuses inline scripts).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("portal/", include("portal.urls")),
    path("", include("public.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
]

# No static route for MEDIA_URL, in DEBUG or not: uploaded and generated files are downloaded
# through permission-checked views only (portal/downloads.py, public/certificates.py).
