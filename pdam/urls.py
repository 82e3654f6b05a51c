from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from payments.views import public
from pdam import views
from pdam.forms import LoginForm
from pdam.password_reset import CustomerPasswordResetView

admin.site.site_header = _("PDAM billing portal administration")
admin.site.site_title = _("PDAM administration")

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/password/done/"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", CustomerPasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/password/reset/complete/"),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("customers.urls")),
    path("meters/", include("meters.urls")),
    path("billing/", include("billing.urls")),
    path("payments/", include("payments.urls")),
    path("messages/", include("pdam.messaging.urls")),
    path("arrears/", include("arrears.urls")),
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
]

if settings.MIDTRANS_SIMULATOR:
    urlpatterns.insert(0, path("midtrans-sim/", include("midtrans_sim.urls")))

# Media (reading photos, imports, invoice PDFs) is never served as files: each is served by a
# view that checks who asks.
