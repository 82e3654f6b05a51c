"""Forms of the bill correction pages: they parse; `billing.corrections` decides."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import CorrectionKind


class CorrectionRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong"),
        choices=CorrectionKind.choices,
        widget=forms.RadioSelect,
        initial=CorrectionKind.NEW_READING,
    )
    proposed_stand = forms.IntegerField(
        label=_("Correct stand"),
        min_value=0,
        required=False,
        help_text=_("For a new reading: the stand the meter really showed. Leave empty otherwise."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For a wrong tariff class or meter size, correct the customer's data first: the "
            "replacement is computed from the registry when it is approved."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["proposed_stand"].widget.attrs["inputmode"] = "numeric"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("kind", "proposed_stand", "reason")


class CorrectionDecision:
    APPROVE = "approve"
    REJECT = "reject"


class CorrectionDecisionForm(forms.Form):
    """The buttons of the decision carry ``decision``; the note is the why."""

    decision = forms.ChoiceField(
        choices=[(CorrectionDecision.APPROVE, _("Approve")), (CorrectionDecision.REJECT, _("Reject"))],
        widget=forms.HiddenInput,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout("note")
