from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import access_request, export_views, two_factor, views
from clinic.forms_auth import LoginForm

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("login/verify/", two_factor.verify_view, name="two_factor_verify"),
    path("account/two-factor/", two_factor.setup_view, name="two_factor_setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.ClientCreateView.as_view(), name="client_create"),
    path("clients/<int:pk>/", views.ClientDetailView.as_view(), name="client_detail"),
    path("clients/<int:pk>/edit/", views.ClientUpdateView.as_view(), name="client_update"),
    path("clients/<int:pk>/archive/", views.client_archive_view, name="client_archive"),
    path("clients/<int:pk>/restore/", views.client_restore_view, name="client_restore"),
    path(
        "clients/<int:pk>/access-request/",
        access_request.client_access_request,
        name="client_access_request",
    ),
    path("audit/", views.audit_list, name="audit_list"),
    path(
        "clients/<int:pk>/export/fhir/",
        export_views.ClientFhirExportView.as_view(),
        name="client_export_fhir",
    ),
    path("exports/", export_views.ExportsView.as_view(), name="exports"),
    path("exports/clients.csv", export_views.ClientsCsvView.as_view(), name="export_clients_csv"),
    path(
        "exports/sessions.csv", export_views.SessionsCsvView.as_view(), name="export_sessions_csv"
    ),
    path("exports/import/", export_views.ClientImportView.as_view(), name="client_import"),
    path("library/", include("knowledge.urls")),
    path("", include("treatments.urls")),
    path("", include("intake.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH:
    # `make bench` only (KNOTWORK_BENCH=1): absent from tests and from production.
    from clinic import bench

    urlpatterns.append(path("bench/bare", bench.bare, name="bench_bare"))
