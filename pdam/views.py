import logging

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pdam.roles import ROLE_HOME, user_role

logger = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 otherwise (for load balancers and compose)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        # The error text (host names, user names) goes to the log, never to the anonymous caller.
        logger.exception("healthz: the database does not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each user to their role's own home page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    role = user_role(request.user)
    if role is None:
        return render(request, "pdam/no_role.html", status=403)
    return redirect(ROLE_HOME[role])


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin uses the one login page of the portal; logged-in non-admins are refused."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next", "/admin/"))


def admin_has_permission(request: HttpRequest) -> bool:
    from pdam.roles import Role

    user = request.user
    return user.is_active and user.is_staff and user_role(user) is Role.ADMIN


admin.site.has_permission = admin_has_permission
