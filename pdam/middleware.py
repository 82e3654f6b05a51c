import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from pdam.roles import STAFF_ROLES, user_role


class LanguageMiddleware:
    """Bahasa Indonesia unless the user picked another language with the switcher.

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: a counter PC or
    a phone set to English still shows the utility's language until someone chooses otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class StaffSessionMiddleware:
    """Staff sessions end after `STAFF_SESSION_IDLE_HOURS` without a request (a counter PC left
    logged in overnight); customers keep Django's usual session age.

    The expiry is pushed forward only when it has drifted by `REFRESH_SECONDS`, so a busy desk
    does not write its session on every request.
    """

    REFRESH_SECONDS = 300

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a request with a logged-in session is looked at: a notification or a visitor costs
        # nothing here.
        if (
            request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            and self._staff(request)
            and int(time.time()) - int(request.session.get("_staff_seen", 0)) > self.REFRESH_SECONDS
        ):
            staff_session_touch(request.session)
        return self.get_response(request)

    @staticmethod
    def _staff(request: HttpRequest) -> bool:
        if not request.session.get("_auth_user_id"):
            return False
        return user_role(request.user) in STAFF_ROLES


def staff_session_touch(session) -> None:
    """Push a staff session's end to `STAFF_SESSION_IDLE_HOURS` from now."""
    session["_staff_seen"] = int(time.time())
    session.set_expiry(int(settings.STAFF_SESSION_IDLE_HOURS * 3600))


def staff_session_start(sender, request, user, **kwargs) -> None:
    """At login (`user_logged_in`): a staff session starts with its idle limit, not Django's age."""
    if request is not None and hasattr(request, "session") and user_role(user) in STAFF_ROLES:
        staff_session_touch(request.session)
