from django import forms
from django.utils.translation import gettext_lazy as _

from pdam.messaging.models import MessageChannel, MessageState


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Every state")), *MessageState.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Every channel")), *MessageChannel.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    q = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )
