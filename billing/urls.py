from django.urls import path

from billing.views import corrections, runs, tariffs
from billing.views import drd as drd_views
from billing.views import invoices as invoice_views

app_name = "billing"

urlpatterns = [
    path("tariffs/", tariffs.tariff_list, name="tariffs"),
    path("tariffs/new/", tariffs.tariff_create, name="tariff_create"),
    path("tariffs/<int:pk>/", tariffs.tariff_detail, name="tariff_detail"),
    path("runs/", runs.run_list, name="runs"),
    path("runs/start/", runs.run_start, name="run_start"),
    path("runs/preview/<str:month>/", runs.run_preview, name="run_preview"),
    path("runs/<int:pk>/release/", runs.run_release, name="run_release"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/status.json", runs.run_status, name="run_status"),
    path("runs/<int:pk>/resume/", runs.run_resume, name="run_resume"),
    path("periods/<str:month>/close/", runs.period_close, name="period_close"),
    path("invoices/<str:number>/", invoice_views.invoice_detail, name="invoice_detail"),
    path("invoices/<str:number>.pdf", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("batch/<int:route>/<str:month>.pdf", invoice_views.route_batch_pdf, name="route_batch_pdf"),
    path("drd/", drd_views.drd_page, name="drd"),
    path("drd/<str:month>.csv", drd_views.drd_csv, name="drd_csv"),
    path("drd/<str:month>.xlsx", drd_views.drd_xlsx, name="drd_xlsx"),
    path("invoices/<str:number>/correct/", corrections.correction_request, name="correction_request"),
    path("corrections/", corrections.correction_list, name="corrections"),
    path("corrections/<int:pk>/", corrections.correction_detail, name="correction_detail"),
]
