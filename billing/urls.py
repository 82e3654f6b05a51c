from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("tariffs/", views.tariff_list, name="tariffs"),
    path("tariffs/new/", views.tariff_create, name="tariff_create"),
    path("tariffs/<int:pk>/", views.tariff_detail, name="tariff_detail"),
]
