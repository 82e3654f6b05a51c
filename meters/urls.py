from django.urls import path

from meters.views import entry, registry, verify

app_name = "meters"

urlpatterns = [
    path("entry/", entry.route_entry, name="route_entry"),
    path("entry/<int:route>/<str:month>/<str:number>/", entry.route_entry_save, name="route_entry_save"),
    path("customer/<str:number>/reading/", entry.reading_single, name="reading_single"),
    path("customer/<str:number>/install/", registry.meter_install, name="meter_install"),
    path("customer/<str:number>/replace/", registry.meter_replace, name="meter_replace"),
    path("reading/<int:pk>/photo/", registry.reading_photo, name="reading_photo"),
    path("verify/", verify.verification_queue, name="verify_queue"),
    path("verify/<int:pk>/", verify.verification_detail, name="verify_detail"),
]
