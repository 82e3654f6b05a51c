from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Route
from meters.models import Anomaly, MeterSize
from meters.services import VerifyAction
from pdam.forms import DateInput, MonthField

MAX_STAND = 99_999_999


class RoutePeriodForm(forms.Form):
    route = forms.ModelChoiceField(label=_("Route"), queryset=Route.objects.select_related("zone"))
    period = MonthField(label=_("Period"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = timezone.localdate().replace(day=1)


class StandForm(forms.Form):
    """One reading: a stand, or an anomaly code (with or without a stand)."""

    stand = forms.IntegerField(label=_("Stand"), min_value=0, max_value=MAX_STAND, required=False)
    anomaly = forms.ChoiceField(label=_("Anomaly"), choices=[("", "—"), *Anomaly.choices], required=False)
    read_on = forms.DateField(label=_("Reading date"), widget=DateInput())
    reader = forms.CharField(label=_("Reader"), max_length=60, required=False)

    def clean(self):
        data = super().clean()
        if data.get("stand") is None and not data.get("anomaly") and "stand" not in self.errors:
            raise forms.ValidationError(_("Type the stand, or pick an anomaly code."))
        return data


class ReadingPhotoField(forms.ImageField):
    """Refuses an oversize photo before Pillow reads the whole file."""

    def to_python(self, data):
        if data and getattr(data, "size", 0) > settings.READING_PHOTO_MAX_BYTES:
            raise forms.ValidationError(
                _("The photo is too large (at most %(mb)s MB).")
                % {"mb": settings.READING_PHOTO_MAX_BYTES // (1024 * 1024)}
            )
        return super().to_python(data)


class SingleReadingForm(StandForm):
    period = MonthField(label=_("Period"))
    photo = ReadingPhotoField(label=_("Photo (JPEG or PNG)"), required=False)
    reason = forms.CharField(
        label=_("Reason (when changing an existing reading)"), max_length=300, required=False
    )

    field_order = ["period", "stand", "anomaly", "read_on", "reader", "photo", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period"].initial = today.replace(day=1)
        self.fields["read_on"].initial = today
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("period"), Column("read_on")),
            Row(Column("stand"), Column("anomaly")),
            "reader",
            "photo",
            "reason",
        )


class MeterForm(forms.Form):
    serial_number = forms.CharField(label=_("Serial number"), max_length=32)
    brand = forms.CharField(label=_("Brand"), max_length=50, required=False)
    size = forms.ChoiceField(label=_("Size"), choices=MeterSize.choices, initial=MeterSize.HALF)
    digits = forms.IntegerField(label=_("Digits"), min_value=3, max_value=8, initial=5)
    initial_stand = forms.IntegerField(label=_("Initial stand"), min_value=0, max_value=MAX_STAND, initial=0)


class MeterInstallForm(MeterForm):
    installed_on = forms.DateField(label=_("Installed on"), widget=DateInput())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["installed_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Install meter")))


class MeterReplaceForm(MeterForm):
    replaced_on = forms.DateField(label=_("Replaced on"), widget=DateInput())
    final_stand = forms.IntegerField(label=_("Old meter's final stand"), min_value=0, max_value=MAX_STAND)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    field_order = [
        "replaced_on",
        "final_stand",
        "serial_number",
        "brand",
        "size",
        "digits",
        "initial_stand",
        "reason",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replaced_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Replace meter"), css_class="btn-warning"))


class VerifyForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            (VerifyAction.CONFIRM, _("Confirm")),
            (VerifyAction.CORRECT, _("Correct")),
            (VerifyAction.REREAD, _("Send back for re-read")),
        ],
    )
    stand = forms.IntegerField(label=_("Corrected stand"), min_value=0, max_value=MAX_STAND, required=False)
    anomaly = forms.ChoiceField(
        label=_("Anomaly"),
        choices=[("", "—"), *Anomaly.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in (VerifyAction.CORRECT, VerifyAction.REREAD) and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why."))
        if action == VerifyAction.CORRECT and data.get("stand") is None and not data.get("anomaly"):
            self.add_error("stand", _("Type the corrected stand, or pick an anomaly code."))
        return data
