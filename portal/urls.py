"""The enterprise portal, included at /portal/ by config/urls.py."""

from django.urls import path

from portal import downloads, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("assets/new/", views.asset_create, name="asset-create"),
    path("assets/<int:pk>/", views.asset_detail, name="asset-detail"),
    path("assets/<int:pk>/edit/", views.asset_edit, name="asset-edit"),
    path("assets/<int:pk>/cancel/", views.asset_cancel, name="asset-cancel"),
    path(
        "assets/<int:pk>/objections/<int:objection_pk>/respond/",
        views.objection_respond,
        name="objection-respond",
    ),
    path(
        "assets/<int:pk>/requests/amendment/",
        views.amendment_request,
        name="amendment-request",
    ),
    path("assets/<int:pk>/requests/renewal/", views.renewal_request, name="renewal-request"),
    path("password/", views.password_change, name="password-change"),
    path("password/done/", views.password_change_done, name="password-change-done"),
    # MEDIA_URL (config/settings_uploads.py): every stored file's link, permission-checked.
    path("files/<path:name>", downloads.stored_file, name="stored-file"),
]
