"""Forms of the customer's side: the bill check, registration, adding a connection. They parse;
the checks against the registry are in `payments.accounts`."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pdam.forms import latin_digits

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


class RupiahField(forms.CharField):
    """A whole Rupiah amount as people type it: ``47300``, ``47.300``, ``Rp 47.300``."""

    default_error_messages = {"invalid": _("Type the amount in Rupiah, digits only, e.g. 47300.")}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 24)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "numeric", "autocomplete": "off", "placeholder": "47300"})
        return attrs

    def clean(self, value):
        value = latin_digits(super().clean(value) or "").strip()
        value = re.sub(r"^(rp\.?)\s*", "", value, flags=re.IGNORECASE)
        value = re.sub(r"[\s.]", "", value)
        # "47.300,00": the sen are always zero on a water bill.
        value = re.sub(r",0{1,2}$", "", value)
        if not value.isascii() or not value.isdigit() or len(value) > 13:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


PROOF_HELP = _(
    "The “Total to pay” printed on one of your last three water bills for this connection, in "
    "Rupiah, e.g. 47300. You find it at the bottom of the bill's charges, and on the invoice PDF."
)


class BillCheckForm(forms.Form):
    """The public bill check; a GET form, so the bill's QR code (``/?nomor=…``) fills it."""

    nomor = CustomerNumberField()


class ConnectionProofForm(forms.Form):
    number = CustomerNumberField()
    proof = RupiahField(label=_("Total of a recent bill"), help_text=PROOF_HELP)

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
