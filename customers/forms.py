from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerStatus, Route, TariffClass
from customers.services import STATUS_TRANSITIONS
from pdam.forms import DateInput


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Customer number, name or address"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "type": "search"}),
    )


class CustomerForm(forms.ModelForm):
    """Registry fields of a customer. Parsing only; the services do the writing."""

    route = forms.ModelChoiceField(label=_("route"), queryset=Route.objects.select_related("zone"))
    tariff_class = forms.ModelChoiceField(label=_("tariff class"), queryset=TariffClass.objects.all())

    class Meta:
        model = Customer
        fields = [
            "name",
            "address",
            "phone",
            "email",
            "route",
            "route_sequence",
            "tariff_class",
            "connected_on",
        ]
        widgets = {"connected_on": DateInput()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["connected_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "name",
            "address",
            Row(Column("phone"), Column("email")),
            Row(Column("route", css_class="col-md-6"), Column("route_sequence"), Column("tariff_class")),
            "connected_on",
        )
        self.helper.add_input(Submit("submit", _("Save")))

    def _post_clean(self) -> None:
        # The customer number is assigned by the service; skip the model's own full_clean here.
        pass


class CustomerEditForm(CustomerForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the customer moved, data entry error")}),
    )

    class Meta(CustomerForm.Meta):
        fields = [
            "name",
            "address",
            "phone",
            "email",
            "message_channel",
            "messages_opt_out",
            "route",
            "route_sequence",
            "tariff_class",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper.layout = Layout(
            "name",
            "address",
            Row(Column("phone"), Column("email")),
            Row(Column("message_channel"), Column("messages_opt_out", css_class="pt-md-4")),
            Row(Column("route", css_class="col-md-6"), Column("route_sequence"), Column("tariff_class")),
            "reason",
        )
        # A form posted without the preference (an older page) keeps the one on file.
        self.fields["message_channel"].required = False

    def clean_message_channel(self) -> str:
        return self.cleaned_data.get("message_channel") or self.instance.message_channel


class StatusChangeForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=CustomerStatus.choices)
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = STATUS_TRANSITIONS[customer.status]
        self.fields["to_status"].choices = [(v, label) for v, label in CustomerStatus.choices if v in allowed]
        self.fields["effective_on"].initial = timezone.localdate()
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Change status"), css_class="btn-warning"))


class PortalReasonForm(forms.Form):
    """The reason for unlinking a connection from its portal account or replacing its code."""

    action = forms.ChoiceField(choices=[("unlink", "unlink"), ("rotate", "rotate")], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
