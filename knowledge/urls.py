from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.muscle_list, name="muscle_list"),
    path("muscles/<slug:slug>/", views.muscle_detail, name="muscle_detail"),
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/<slug:slug>/", views.zone_detail, name="zone_detail"),
]
