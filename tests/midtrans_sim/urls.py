"""The simulator alone, at the portal's mount: these tests do not depend on the portal's URLs."""

from django.urls import include, path

urlpatterns = [path("midtrans-sim/", include("midtrans_sim.urls"))]
