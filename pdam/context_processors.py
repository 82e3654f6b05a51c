from django.conf import settings
from django.http import HttpRequest

from pdam.roles import user_role


def portal(request: HttpRequest) -> dict:
    """The utility's identity and the user's role, for the layout and the navigation."""
    user = getattr(request, "user", None)
    return {
        "utility": {
            "name": settings.UTILITY_NAME,
            "short_name": settings.UTILITY_SHORT_NAME,
            "address": settings.UTILITY_ADDRESS,
            "phone": settings.UTILITY_PHONE,
            "email": settings.UTILITY_EMAIL,
            "logo": settings.UTILITY_LOGO,
        },
        "current_role": user_role(user) if user is not None else None,
    }
