from django.urls import path

from meters.views import entry, registry, verify
from meters.views import imports as import_views
from meters.views import sheets as sheet_views

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
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/status.json", import_views.import_status, name="import_status"),
    path("import/<int:pk>/errors.csv", import_views.import_errors, name="import_errors"),
    path("sheet/<int:route>/<str:month>.pdf", sheet_views.dsml_pdf, name="dsml_pdf"),
    path("progress/", sheet_views.period_progress, name="progress"),
]
