"""The simulated Snap payment page's form. Plain strings on purpose: a developer tool."""

from django import forms

from midtrans_sim.services import CARD_ONLY_OUTCOMES, METHODS

PAGE_OUTCOMES = [
    ("settle", "Pay now: settlement (card: capture, accepted)"),
    ("settle_after_pending", "Pending, then settlement"),
    ("pending", "Leave pending (settle or expire it later from this page)"),
    ("expire", "Pending, then expire"),
    ("deny", "Denied by the bank"),
    ("settle_then_deny", "Settlement, then deny (reversal, as Permata / Mandiri bill / Indomaret may)"),
    ("duplicate", "Settlement, notification sent twice"),
    ("challenge_then_accept", "Card only: capture under fraud challenge, then accept"),
    ("challenge_then_deny", "Card only: capture under fraud challenge, then deny"),
]
# Once a method is picked and the transaction is pending, these are what can still happen.
PENDING_OUTCOMES = [
    ("settle", "Pay now: settlement"),
    ("expire", "Expire"),
    ("cancel", "Cancel"),
    ("deny", "Denied by the bank"),
]


class PayForm(forms.Form):
    method = forms.ChoiceField(widget=forms.RadioSelect, required=False)
    outcome = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, *args, enabled_payments: list[str], picked_method: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.picked_method = picked_method
        if picked_method:
            self.fields["method"].choices = [(picked_method, METHODS[picked_method].label)]
            self.fields["outcome"].choices = PENDING_OUTCOMES
        else:
            keys = enabled_payments or list(METHODS)
            self.fields["method"].choices = [(key, METHODS[key].label) for key in keys]
            self.fields["method"].required = True
            self.fields["outcome"].choices = PAGE_OUTCOMES

    def clean(self):
        data = super().clean()
        method = self.picked_method or data.get("method")
        if data.get("outcome") in CARD_ONLY_OUTCOMES and method != "credit_card":
            raise forms.ValidationError("That outcome needs the credit card method.")
        data["method"] = method
        return data
