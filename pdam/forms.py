import datetime
import re
import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# Separators phone keyboards type with non-Latin digits: fullwidth and Arabic thousands/decimal.
SEPARATORS = str.maketrans({"．": ".", "，": ",", "٬": ".", "٫": ",", "\u3000": " ", "\u00a0": " "})


def latin_digits(value: str) -> str:
    """Typed numbers as Latin digits: fullwidth ``１５０．０００`` and Arabic-Indic ``١٥٠`` are read as
    ``150.000`` and ``150``, whole, so a number field never half-reads what a phone keyboard typed.
    Only decimal digits are converted: look-alikes (``²``, ``①``) stay and are refused."""
    value = value.translate(SEPARATORS)
    return "".join(
        str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None else c for c in value
    )


class DateInput(forms.DateInput):
    """``<input type="date">`` pre-filled as ISO ``YYYY-MM-DD``, the only value browsers accept.

    Django's DateInput would render the language's format (``04-12-2026`` in Indonesian), which a
    date input rejects and shows empty. Every date field of the staff forms uses this widget.
    """

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MonthField(forms.Field):
    """``<input type="month">``: ``YYYY-MM`` in, the first day of that month out."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})
    default_error_messages = {"invalid": _("Type a month as YYYY-MM.")}

    def to_python(self, value) -> datetime.date | None:
        if isinstance(value, datetime.date):
            return value.replace(day=1)
        value = (value or "").strip()
        if not value:
            return None
        match = MONTH_RE.match(value)
        try:
            return datetime.date(int(match[1]), int(match[2]), 1)
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, datetime.date) else value


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log in"), css_class="w-100"))


def form_add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto a form: by field where the form has it, at the top
    otherwise. Domain errors become form errors, never 500s."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# The largest id a BigAutoField holds; a larger "id" from a form is no record of ours.
MAX_RECORD_ID = 2**63 - 1


def is_record_id(value) -> bool:
    """Whether a posted value can name a database row: ASCII digits, 1 to MAX_RECORD_ID.

    `str.isdigit` alone lets through other scripts' digits and numbers no database column holds.
    """
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_RECORD_ID
