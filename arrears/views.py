"""Pages of arrears: late-fee rules (supervisors) and waivers (pemutihan)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears import selectors, services
from arrears.forms import LateFeeRuleForm, WaiverDecision, WaiverRequestForm
from arrears.models import LateFeeWaiver, WaiverState
from pdam.access import permission_required
from pdam.forms import form_add_errors, is_record_id

APPROVE_WAIVER = "arrears.approve_waiver"


@permission_required("arrears.view_latefeerule")
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "arrears/rules.html", {"scopes": selectors.late_fee_rules(today=timezone.localdate())}
    )


@permission_required("arrears.manage_late_fees")
def rule_create(request: HttpRequest) -> HttpResponse:
    form = LateFeeRuleForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.late_fee_rule_create(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Late-fee rule for %(scope)s from %(day)s saved.")
                % {"scope": rule.scope_label, "day": rule.effective_from.strftime("%d/%m/%Y")},
            )
            return redirect("arrears:rules")
    return render(request, "arrears/rule_form.html", {"form": form})


@permission_required("arrears.view_latefeewaiver")
def waiver_list(request: HttpRequest) -> HttpResponse:
    pending, decided = selectors.waivers_recent()
    return render(request, "arrears/waivers.html", {"pending": pending, "decided": decided})


@permission_required("arrears.request_waiver")
def waiver_request(request: HttpRequest) -> HttpResponse:
    form = WaiverRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            waiver = services.late_fee_waiver_request(actor=request.user, **form.service_arguments())
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request, _("Waiver requested: a supervisor approves it before anything is waived.")
            )
            return redirect("arrears:waiver_detail", pk=waiver.pk)
    return render(request, "arrears/waiver_form.html", {"form": form})


@permission_required("arrears.view_latefeewaiver")
def waiver_detail(request: HttpRequest, pk) -> HttpResponse:
    if not is_record_id(pk):
        raise Http404
    try:
        waiver = selectors.waiver_get(pk=int(pk))
    except LateFeeWaiver.DoesNotExist:
        raise Http404(_("No such waiver.")) from None
    form = WaiverDecision(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(APPROVE_WAIVER):
            raise PermissionDenied
        if form.is_valid():
            approve = form.cleaned_data["decision"] == "approve"
            decide = services.late_fee_waiver_approve if approve else services.late_fee_waiver_reject
            try:
                decided = decide(actor=request.user, waiver=waiver, note=form.cleaned_data["note"])
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                if approve:
                    messages.success(
                        request,
                        _("Waiver approved: %(count)s late fees waived.") % {"count": decided.fees_waived},
                    )
                else:
                    messages.success(request, _("Waiver rejected."))
                return redirect("arrears:waiver_detail", pk=waiver.pk)
    pending = waiver.state == WaiverState.REQUESTED
    return render(
        request,
        "arrears/waiver_detail.html",
        {
            "waiver": waiver,
            "form": form,
            "preview": selectors.waiver_preview(waiver=waiver) if pending else None,
            "fees": list(selectors.waived_fees(waiver=waiver)[:200]) if not pending else [],
            "can_decide": pending
            and request.user.has_perm(APPROVE_WAIVER)
            and request.user.pk != waiver.requested_by_id,
        },
    )
