"""Forms of the customer's side: the bill check, registration, adding a connection. They parse;
the checks against the registry are in `payments.accounts`."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from customers.codes import LENGTH, registration_code_normalize
from payments.accounts import is_one_time_code

NUMBER_RE = re.compile(r"^\d{6,12}$")


class CustomerNumberField(forms.CharField):
    """The number printed on the bill; spaces, dots and dashes typed with it are dropped."""

    default_error_messages = {"invalid": _("A customer number has 6 to 12 digits, as printed on your bill.")}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Customer number"))
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "autocomplete": "off", "placeholder": "0101000012"})
        return attrs

    def clean(self, value):
        value = re.sub(r"[\s.\-]", "", super().clean(value) or "")
        if not NUMBER_RE.match(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


class RegistrationCodeField(forms.CharField):
    """The registration code printed on the bill (``ABCDE-FGHJK``); spaces, dashes and case do not
    matter."""

    default_error_messages = {
        "invalid": _(
            "A registration code has 10 letters and digits, as printed on your bill; a one-time code "
            "from our e-mail has 6 digits."
        )
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "autocapitalize": "characters", "placeholder": "ABCDE-FGHJK"})
        return attrs

    def clean(self, value):
        value = registration_code_normalize(super().clean(value) or "")
        if is_one_time_code(value):
            return value
        if len(value) != LENGTH or not value.isalnum():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return value


CODE_HELP = _(
    "The registration code printed on your water bill for this connection, next to the customer "
    "number, e.g. ABCDE-FGHJK. Lost it? Our customer service can print it again."
)
CODE_OR_EMAIL_HELP = _("No bill at hand? Ask for a one-time code by e-mail and type it here instead.")


class BillCheckForm(forms.Form):
    """The public bill check; a GET form, so the bill's QR code (``/?nomor=…``) fills it."""

    nomor = CustomerNumberField()


class OneTimeCodeRequestForm(forms.Form):
    """Ask for a one-time code by e-mail, by customer number."""

    number = CustomerNumberField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Send me a code"), css_class="w-100"))


class ConnectionProofForm(forms.Form):
    number = CustomerNumberField()
    code = RegistrationCodeField(
        label=_("Registration code or e-mailed code"),
        help_text=format_lazy("{} {}", CODE_HELP, CODE_OR_EMAIL_HELP),
    )

    submit_label = _("Add this connection")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label, css_class="w-100"))


class RegisterForm(ConnectionProofForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=150,  # it is also the login name
        help_text=_("You log in with this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    submit_label = _("Create my account")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        elif password1:
            email = cleaned.get("email", "")
            probe = get_user_model()(username=email, email=email)
            try:
                password_validation.validate_password(password1, user=probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ConnectionRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you remove this connection?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the house was sold, or the tenant pays the bills now."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Remove from my account"), css_class="btn-danger"))
