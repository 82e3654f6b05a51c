"""Forms of arrears: they parse; `arrears.services` decides."""

import re
from decimal import Decimal, InvalidOperation

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from arrears.models import LateFeeShape
from customers.models import Customer, Kelompok, TariffClass, Zone
from meters.models import Period
from payments.forms_cashier import RUPIAH_RE
from pdam.forms import DateInput, MonthField, latin_digits

# Steps are typed as the decree reads: "2.500; 5.000; 7.500; 10.000" (dots group thousands).
STEP_SEPARATORS = re.compile(r"\s*(?:[;/\n]|,\s)\s*")
RULE_AMOUNT_MAX = 10**9


def rupiah_parse(text: str) -> int:
    match = RUPIAH_RE.match(latin_digits(text).strip())
    if not match:
        raise ValidationError(_("Enter whole Rupiah, e.g. 10000 or 10.000."))
    amount = int(re.sub(r"[.\s]", "", match[1]))
    if amount >= RULE_AMOUNT_MAX:
        raise ValidationError(_("Enter whole Rupiah, e.g. 10000 or 10.000."))
    return amount


class LateFeeRuleForm(forms.Form):
    tariff_class = forms.ModelChoiceField(
        label=_("Tariff class"),
        queryset=TariffClass.objects.all(),
        required=False,
        help_text=_("Leave empty for a whole tariff group, or for every customer."),
    )
    kelompok = forms.ChoiceField(
        label=_("Tariff group"), choices=[("", "—"), *Kelompok.choices], required=False
    )
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())
    shape = forms.ChoiceField(label=_("Shape"), choices=LateFeeShape.choices)
    start_days_after_due = forms.IntegerField(
        label=_("Starts days after the due date"),
        min_value=1,
        max_value=365,
        initial=1,
        help_text=_("1: denda starts the day after the due date."),
    )
    amount = forms.CharField(label=_("Flat amount (Rp)"), required=False, max_length=20)
    step_totals = forms.CharField(
        label=_("Total by months late (Rp)"),
        required=False,
        max_length=600,
        help_text=_(
            "For 1, 2, 3… months late, separated by semicolons; the last is the cap. "
            "E.g. 2.500; 5.000; 7.500; 10.000"
        ),
    )
    percent = forms.CharField(
        label=_("Percentage of the bill"), required=False, max_length=8, help_text=_("E.g. 10 or 2,5")
    )
    decree = forms.CharField(label=_("Decree"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("tariff_class", css_class="col-md-6"), Column("kelompok")),
            Row(Column("effective_from", css_class="col-md-6"), Column("start_days_after_due")),
            "shape",
            Row(Column("amount", css_class="col-md-4"), Column("percent", css_class="col-md-4")),
            "step_totals",
            "decree",
        )

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"]
        return rupiah_parse(text) if text.strip() else 0

    def clean_step_totals(self) -> list[int]:
        text = latin_digits(self.cleaned_data["step_totals"]).strip()
        return [rupiah_parse(part) for part in STEP_SEPARATORS.split(text) if part] if text else []

    def clean_percent(self) -> int:
        text = latin_digits(self.cleaned_data["percent"]).strip().rstrip("%").strip()
        if not text:
            return 0
        try:
            basis_points = Decimal(text.replace(",", ".")) * 100
        except InvalidOperation:
            raise ValidationError(_("Enter a percentage, e.g. 10 or 2,5.")) from None
        if basis_points != basis_points.to_integral_value():
            raise ValidationError(_("At most two decimals, e.g. 2,5 or 1,25."))
        return int(basis_points)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "tariff_class": data["tariff_class"],
            "kelompok": data["kelompok"],
            "effective_from": data["effective_from"],
            "shape": data["shape"],
            "start_days_after_due": data["start_days_after_due"],
            "amount": data["amount"],
            "step_totals": data["step_totals"],
            "percent_bp": data["percent"],
            "decree": data["decree"],
        }


class WaiverRequestForm(forms.Form):
    customer_number = forms.CharField(label=_("Customer number"), max_length=12, required=False)
    period = MonthField(label=_("Period"), required=False)
    tariff_class = forms.ModelChoiceField(
        label=_("Tariff class"), queryset=TariffClass.objects.all(), required=False
    )
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.all(), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("customer_number", css_class="col-md-6"), Column("period")),
            Row(Column("tariff_class", css_class="col-md-6"), Column("zone")),
            "reason",
        )

    def clean_customer_number(self) -> Customer | None:
        number = latin_digits(self.cleaned_data["customer_number"]).strip()
        if not number:
            return None
        customer = Customer.objects.filter(number=number).first()
        if customer is None:
            raise ValidationError(_("No customer has this number."))
        return customer

    def clean_period(self) -> Period | None:
        month = self.cleaned_data["period"]
        if month is None:
            return None
        period = Period.objects.filter(month=month).first()
        if period is None:
            raise ValidationError(_("No invoices were issued for this month."))
        return period

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "customer": data["customer_number"],
            "period": data["period"],
            "tariff_class": data["tariff_class"],
            "zone": data["zone"],
            "reason": data["reason"],
        }


class WaiverDecision(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
