from django.urls import path

from pdam.messaging import views

app_name = "messaging"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("status/", views.status_callback, name="status_callback"),
]
