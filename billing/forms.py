from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import FixedChargeKind, TariffVersion
from customers.models import TariffClass
from meters.models import MeterSize
from pdam.forms import MonthField

MAX_BLOCKS = 6


class TariffVersionForm(forms.Form):
    """The head of a new tariff version; its blocks and fixed charges are the two formsets."""

    tariff_class = forms.ModelChoiceField(label=_("Tariff class"), queryset=TariffClass.objects.all())
    effective_from = MonthField(label=_("Effective from (month)"))
    minimum_usage_m3 = forms.IntegerField(
        label=_("Minimum usage (m³)"),
        min_value=0,
        max_value=1000,
        initial=10,
        help_text=_("Billed even when the usage is lower."),
    )
    decree = forms.CharField(
        label=_("Decree"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Perbup No. 12 Tahun 2025")}),
    )
    water_tax_rate_bp = forms.IntegerField(
        label=_("Tax on water (basis points)"),
        min_value=0,
        max_value=10_000,
        initial=0,
        help_text=TariffVersion._meta.get_field("water_tax_rate_bp").help_text,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Earlier months may be billed already; the service refuses them too.
        self.fields["effective_from"].widget.attrs["min"] = timezone.localdate().strftime("%Y-%m")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("tariff_class", css_class="col-md-6"), Column("effective_from")),
            Row(Column("minimum_usage_m3"), Column("water_tax_rate_bp")),
            "decree",
        )


class _TableRowForm(forms.Form):
    """A formset row laid out as a table row: small inputs, the column header as their label."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.update({"class": css, "aria-label": field.label})

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and "is-invalid" not in self.fields[name].widget.attrs["class"]:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class BlockForm(_TableRowForm):
    to_m3 = forms.IntegerField(label=_("Up to m³"), min_value=1, required=False)
    price_per_m3 = forms.IntegerField(label=_("Price per m³ (Rp)"), min_value=1, required=False)


class BaseBlockFormSet(forms.BaseFormSet):
    """Block rows from the top: each gives its upper limit and price; the last filled row has no
    upper limit. Each block starts right after the one before, the first at 1 m³."""

    def clean(self) -> None:
        self.blocks: list[tuple[int, int | None, int]] = []
        if any(form.errors for form in self.forms):
            return
        rows = [(f.cleaned_data.get("to_m3"), f.cleaned_data.get("price_per_m3")) for f in self.forms]
        while rows and rows[-1] == (None, None):
            rows.pop()
        if not rows:
            raise ValidationError(_("Give at least one block with its price."))
        start = 1
        for number, (to_m3, price) in enumerate(rows, start=1):
            last = number == len(rows)
            if price is None:
                raise ValidationError(_("Block %(n)s: give the price per m³.") % {"n": number})
            if to_m3 is None and not last:
                raise ValidationError(
                    _("Block %(n)s: only the last block may have no upper limit.") % {"n": number}
                )
            if to_m3 is not None and last:
                raise ValidationError(_("Leave the upper limit of the last block empty: it has no limit."))
            if to_m3 is not None and to_m3 < start:
                raise ValidationError(
                    _("Block %(n)s: the upper limit must be at least %(m3)s m³.") % {"n": number, "m3": start}
                )
            self.blocks.append((start, to_m3, price))
            start = (to_m3 or 0) + 1


BlockFormSet = forms.formset_factory(
    BlockForm, formset=BaseBlockFormSet, extra=MAX_BLOCKS, max_num=MAX_BLOCKS, absolute_max=MAX_BLOCKS
)


class FixedChargeForm(_TableRowForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *FixedChargeKind.choices], required=False)
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    amount = forms.IntegerField(label=_("Amount (Rp)"), min_value=1, required=False)
    meter_size = forms.ChoiceField(
        label=_("Meter size"), choices=[("", _("Every size")), *MeterSize.choices], required=False
    )
    tax_rate_bp = forms.IntegerField(
        label=_("Tax (basis points)"), min_value=0, max_value=10_000, initial=0, required=False
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") or data.get("amount") is not None or data.get("label"):
            if not data.get("kind"):
                self.add_error("kind", _("Choose the kind of charge."))
            if data.get("amount") is None and "amount" not in self.errors:
                self.add_error("amount", _("Give the amount."))
        return data


class BaseFixedChargeFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        self.charges: list[dict] = []
        if any(form.errors for form in self.forms):
            return
        for form in self.forms:
            data = form.cleaned_data
            if not data.get("kind"):
                continue  # an empty row
            self.charges.append(
                {
                    "kind": data["kind"],
                    "label": data.get("label") or "",
                    "amount": data["amount"],
                    "meter_size": data.get("meter_size") or "",
                    "tax_rate_bp": data.get("tax_rate_bp") or 0,
                }
            )


FixedChargeFormSet = forms.formset_factory(
    FixedChargeForm, formset=BaseFixedChargeFormSet, extra=3, max_num=30, absolute_max=30
)


def initial_from_version(version: TariffVersion) -> tuple[dict, list[dict], list[dict]]:
    """Form, block and charge initial data copied from an existing version (a new decree usually
    changes a few prices of the last one)."""
    head = {
        "tariff_class": version.tariff_class_id,
        "minimum_usage_m3": version.minimum_usage_m3,
        "water_tax_rate_bp": version.water_tax_rate_bp,
    }
    blocks = [{"to_m3": b.to_m3, "price_per_m3": b.price_per_m3} for b in version.blocks.all()]
    charges = [
        {
            "kind": c.kind,
            "label": c.label,
            "amount": c.amount,
            "meter_size": c.meter_size,
            "tax_rate_bp": c.tax_rate_bp,
        }
        for c in version.fixed_charges.all()
    ]
    return head, blocks, charges


class PeriodCloseForm(forms.Form):
    """Close a period; held customers are billed as estimates only when the supervisor says so."""

    estimate_held = forms.BooleanField(
        label=_("Bill the held customers as estimates, then close"),
        required=False,
        help_text=_(
            "Each is billed the average of their last three verified months. Once their reading "
            "is resolved, the difference is billed on their next invoice as a catch-up."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to bill held customers as estimates."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("estimate_held", "reason")
