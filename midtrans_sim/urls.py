"""Midtrans's URL layout under the simulator's mount (``/midtrans-sim/``).

Point ``midtransclient`` at it with ``api_config.SNAP_SANDBOX_BASE_URL = <mount>/snap/v1`` and
``api_config.CORE_SANDBOX_BASE_URL = <mount>``.
"""

from django.urls import path

from midtrans_sim import views

app_name = "midtrans_sim"

urlpatterns = [
    # Snap API and the payment page it redirects to.
    path("snap/v1/transactions", views.snap_create, name="snap_create"),
    path("snap/v2/vtweb/<uuid:token>", views.pay, name="pay"),
    # Core API (order_id or transaction_id).
    path("v2/<str:order_id>/status", views.status, name="status"),
    path("v2/<str:order_id>/cancel", views.cancel, name="cancel"),
    path("v2/<str:order_id>/expire", views.expire, name="expire"),
    path("v2/<str:order_id>/approve", views.approve, name="approve"),
    path("v2/<str:order_id>/deny", views.deny, name="deny"),
    # Control API for tests and developers.
    path("_sim/", views.control_index, name="control_index"),
    path("_sim/faults", views.control_faults, name="control_faults"),
    path("_sim/bulk-settle", views.control_settle_bulk, name="control_settle_bulk"),
    path("_sim/transactions/<str:order_id>", views.control_detail, name="control_detail"),
    path("_sim/transactions/<str:order_id>/act", views.control_act, name="control_act"),
    path("_sim/transactions/<str:order_id>/resend", views.control_resend, name="control_resend"),
    path("_sim/transactions/<str:order_id>/lapse", views.control_lapse, name="control_lapse"),
]
