from django.urls import path

from treatments import documents, views

app_name = "treatments"

_client = "clients/<int:client_pk>/"
_session = _client + "sessions/<int:pk>/"

urlpatterns = [
    path("schedule/", views.schedule_day, name="schedule_day"),
    path("schedule/week/", views.schedule_week, name="schedule_week"),
    path("schedule/book/", views.session_book, name="session_book"),
    path(_session, views.session_detail, name="session_detail"),
    path(_session + "note/", views.session_note, name="session_note"),
    path(_session + "sign/", views.session_sign, name="session_sign"),
    path(_session + "addenda/", views.addendum_create, name="addendum_create"),
    path(_session + "move/", views.session_move, name="session_move"),
    path(_session + "cancel/", views.session_cancel, name="session_cancel"),
    path(_session + "no-show/", views.session_no_show, name="session_no_show"),
    path(_client + "plans/new/", views.plan_create, name="plan_create"),
    path(_client + "plans/add-muscle/", views.plan_add_muscle, name="plan_add_muscle"),
    path(_client + "plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path(_client + "plans/<int:pk>/edit/", views.plan_update, name="plan_update"),
    path(_client + "surgery/new/", views.surgery_create, name="surgery_create"),
    path(_client + "surgery/<int:pk>/", views.surgery_detail, name="surgery_detail"),
    path(_client + "surgery/<int:pk>/edit/", views.surgery_update, name="surgery_update"),
    path(
        _client + "surgery/<int:pk>/notes/", views.surgery_note_create, name="surgery_note_create"
    ),
    path(_client + "measures/<slug:kind>/new/", views.measure_create, name="measure_create"),
    path(_client + "progress/", views.progress, name="progress"),
    # Printable documents (static/css/print.css gives the A4 pages).
    path(_session + "print/", documents.session_note_document, name="session_print"),
    path(_client + "progress/report/", documents.progress_report, name="progress_report"),
    path(_client + "letters/new/", documents.letter_create, name="letter_create"),
    path(_client + "letters/<int:pk>/", documents.letter_detail, name="letter_detail"),
]
