from django.urls import path

from intake import documents, views

app_name = "intake"

urlpatterns = [
    path("clients/<int:client_pk>/intakes/new/", views.intake_start, name="start"),
    path("clients/<int:client_pk>/intakes/import/", views.intake_import, name="import"),
    path("clients/<int:client_pk>/intake-link/", views.online_link_create_view, name="link_create"),
    path("intakes/to-review/", views.to_review, name="to_review"),
    path("intakes/<int:pk>/", views.intake_detail, name="detail"),
    path("intakes/<int:pk>/edit/", views.intake_edit, name="edit"),
    path("intakes/<int:pk>/autosave/", views.intake_autosave, name="autosave"),
    path("intakes/<int:pk>/review/", views.intake_review, name="review"),
    path("intakes/<int:pk>/reviewed/", views.intake_mark_reviewed_view, name="mark_reviewed"),
    path(
        "intakes/<int:pk>/suggestions/<int:index>/map/",
        views.suggestion_map,
        name="suggestion_map",
    ),
    path(
        "intakes/<int:pk>/suggestions/refresh/",
        views.suggestions_refresh,
        name="suggestions_refresh",
    ),
    path("intakes/<int:pk>/amendments/", views.amendment_add_view, name="amend"),
    path("intakes/<int:pk>/summary/", documents.intake_summary, name="summary_print"),
    path("intakes/<int:pk>/intake.json", views.intake_export, name="export"),
    # The client's online form: the token is the only key, so these pages need no login.
    path("i/done/", views.online_done, name="online_done"),
    path("i/<str:token>/", views.online_intake, name="online"),
    path("i/<str:token>/autosave/", views.online_autosave, name="online_autosave"),
]
