"""Password reset by e-mail, for customer accounts (their login is their e-mail address).

Staff passwords are reset by an administrator, never by e-mail: an e-mailed link would make every
staff mailbox a way into the cashier desk. The link goes through the message outbox as a secret
(its text is not kept once sent). Requests are throttled per address and per e-mail; every
request gets the same answer, so the page does not tell which addresses have an account.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse, reverse_lazy
from django.utils import translation

from pdam.client_ip import client_ip
from pdam.messaging.models import MessageChannel, MessageKind
from pdam.messaging.services import Recipient, message_queue
from pdam.roles import Role, user_role
from pdam.throttle import throttle_hit


def password_reset_link(*, uid: str, token: str) -> str:
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.PORTAL_URL.rstrip("/") + path


class CustomerPasswordResetForm(PasswordResetForm):
    def get_users(self, email):
        return (user for user in super().get_users(email) if user_role(user) is Role.CUSTOMER)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user = context["user"]
        message_queue(
            recipient=Recipient(channel=MessageChannel.EMAIL, address=to_email, name=user.get_full_name()),
            template="password_reset",
            key=f"password_reset:{user.pk}:{context['token']}",
            kind=MessageKind.SERVICE,
            secret=True,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            context={
                "link": password_reset_link(uid=context["uid"], token=context["token"]),
                "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
        )


class CustomerPasswordResetView(auth_views.PasswordResetView):
    form_class = CustomerPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        window = int(settings.PASSWORD_RESET_REQUEST_WINDOW_SECONDS)
        by_ip = throttle_hit(
            scope="password-reset-ip",
            ident=client_ip(self.request),
            limit=int(settings.PASSWORD_RESET_REQUEST_IP_LIMIT),
            window=window,
        )
        by_email = throttle_hit(
            scope="password-reset-email",
            ident=form.cleaned_data["email"].strip().lower(),
            limit=int(settings.PASSWORD_RESET_REQUEST_LIMIT),
            window=window,
        )
        if not (by_ip.allowed and by_email.allowed):
            # The same answer as a sent link: the page never tells what happened.
            return auth_views.HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
