"""Forms of the cashier desk: they parse; `payments.cashier` decides."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pdam.forms import is_record_id, latin_digits
from pdam.money import format_rupiah

# Cashiers type Rupiah as they read them: "150000", "150.000", "Rp 150.000".
RUPIAH_RE = re.compile(r"^(?:rp\.?)?\s*(\d{1,3}(?:[.\s]\d{3})+|\d+)(?:,0+)?$", re.IGNORECASE | re.ASCII)
RUPIAH_MAX = 10**12


class RupiahField(forms.Field):
    """Whole Rupiah, typed with or without thousands dots; an int out."""

    default_error_messages = {
        "invalid": _("Enter an amount in whole Rupiah, e.g. 150000 or 150.000."),
        "too_large": _("That is more cash than the desk takes at once: at most %(max)s."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        value = latin_digits(value or "").strip()
        if not value:
            return None
        match = RUPIAH_RE.match(value)
        if not match:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        amount = int(re.sub(r"[.\s]", "", match[1]))
        if amount >= RUPIAH_MAX:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if amount > settings.CASH_AMOUNT_MAX:
            raise ValidationError(
                self.error_messages["too_large"],
                code="too_large",
                params={"max": format_rupiah(settings.CASH_AMOUNT_MAX)},
            )
        return amount


class DeskLookupForm(forms.Form):
    q = forms.CharField(label=_("Customer number, or scan the invoice"), max_length=300, required=False)


class DeskPaymentForm(forms.Form):
    """The invoices to pay (ids, oldest first: the service refuses a skipped one), the cash
    tendered and whether to use the customer's credit."""

    invoices = forms.TypedMultipleChoiceField(
        label=_("Invoices"),
        coerce=int,
        choices=(),
        error_messages={"required": _("Choose at least one invoice to pay.")},
    )
    tendered = RupiahField(label=_("Cash received"))
    use_credit = forms.BooleanField(label=_("Use the customer's credit first"), required=False)

    def __init__(self, *args, invoice_ids: list[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any id is parsed: ids that are no longer outstanding get the service's own message.
        self.fields["invoices"].valid_value = is_record_id
        self.fields["tendered"].widget.attrs.update({"class": "form-control form-control-lg money"})


class ShiftOpenForm(forms.Form):
    opening_float = RupiahField(label=_("Float (cash in the drawer at the start)"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opening_float"].widget.attrs["autofocus"] = True
        self.helper = FormHelper()
        self.helper.form_tag = False


class ShiftCloseForm(forms.Form):
    counted_cash = RupiahField(label=_("Cash counted in the drawer"))
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Explain any difference between the cash counted and the cash expected."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class VoidForm(forms.Form):
    """The reason, and the approving supervisor's credentials typed on the spot at the counter
    (checked like a login, so failed attempts are throttled the same way)."""

    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    approver_username = forms.CharField(label=_("Supervisor's username"), max_length=150)
    approver_password = forms.CharField(
        label=_("Supervisor's password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, request=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.approver = None
        self.fields["approver_username"].widget.attrs["autocomplete"] = "off"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("reason", "approver_username", "approver_password")

    def clean(self) -> dict:
        data = super().clean()
        username, password = data.get("approver_username"), data.get("approver_password")
        if username and password:
            self.approver = authenticate(self.request, username=username, password=password)
            if self.approver is None:
                raise ValidationError(_("The supervisor's username or password is wrong."), code="approver")
        return data
