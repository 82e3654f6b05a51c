"""The bill run pages: start a run, watch it, read its summary, resume it, close the period."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import bill_run, closing, run_guard, selectors
from billing.closing import PeriodHasUnbilled
from billing.forms import PeriodCloseForm
from billing.models import BillRun, BillRunState
from meters.models import Period, PeriodState
from meters.selectors import period_progress
from meters.services import period_get_or_open
from pdam.access import permission_required
from pdam.forms import MonthField, form_add_errors


@permission_required("billing.view_billrun")
def run_list(request: HttpRequest) -> HttpResponse:
    periods = Period.objects.order_by("-month")[:13]
    proposed = selectors.period_to_bill()
    return render(
        request,
        "billing/runs.html",
        {
            "runs": selectors.bill_runs_recent(),
            "periods": periods,
            "PeriodState": PeriodState,
            "proposed": proposed,
            "progress": period_progress(period=proposed) if proposed else [],
        },
    )


def _customer_ids(values: list[str]) -> list[int]:
    try:
        return [int(value) for value in values]
    except ValueError:
        raise ValidationError(_("Choose customers from the list.")) from None


@require_POST
@permission_required("billing.run_billing")
def run_start(request: HttpRequest) -> HttpResponse:
    """A main run starts only from its preview (``previewed=1``); without it the supervisor is
    sent to the preview first. A supplementary run starts at once."""
    previewed = request.POST.get("previewed") == "1"
    month = None
    try:
        month = MonthField().clean(request.POST.get("period", ""))
        supplementary = request.POST.get("supplementary") == "1"
        if not Period.objects.filter(month=month).exists():
            raise ValidationError(_("No readings were entered for that month."))
        period = period_get_or_open(month=month)
        if supplementary:
            run = bill_run.bill_run_start(actor=request.user, period=period, supplementary=True)
        elif not previewed:
            run_guard.bill_run_check(period=period)
            return redirect("billing:run_preview", month=f"{month:%Y-%m}")
        else:
            run = run_guard.bill_run_start_confirmed(
                actor=request.user,
                period=period,
                read_confirmed=request.POST.get("read_confirmed") == "1",
                read_reason=request.POST.get("read_reason", ""),
                hold_customer_ids=_customer_ids(request.POST.getlist("hold")),
                hold_reason=request.POST.get("hold_reason", ""),
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if previewed and month and Period.objects.filter(month=month, state=PeriodState.OPEN).exists():
            return redirect("billing:run_preview", month=f"{month:%Y-%m}")
        return redirect("billing:runs")
    messages.success(request, _("Bill run for %(period)s started.") % {"period": run.period})
    return redirect("billing:run_detail", pk=run.pk)


@permission_required("billing.run_billing")
def run_preview(request: HttpRequest, month: str) -> HttpResponse:
    """What the main run of a month would bill, before it is confirmed. Writes nothing."""
    try:
        first = MonthField().clean(month)
        period = Period.objects.filter(month=first).first() or Period(month=first)
        run_guard.bill_run_check(period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("billing:runs")
    return render(
        request,
        "billing/run_preview.html",
        {
            "preview": run_guard.bill_run_preview(period=period),
            "factor": f"{settings.BILL_RUN_OUTLIER_FACTOR:g}",
            "minimum_percent": round(100 * settings.BILL_RUN_MIN_READ_SHARE, 1),
        },
    )


@permission_required("billing.view_billrun")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BillRun.objects.select_related("period", "started_by"), pk=pk)
    context = {"run": run, "running": run.state == BillRunState.RUNNING, "held": []}
    if not context["running"]:
        context.update(selectors.bill_run_summary(bill_run=run))
        # Holds in force for the period, wherever they were made: a supplementary run's copy
        # can be released from its own page too.
        context["on_hold"] = set(
            selectors.held_by_supervisor(period=run.period).values_list("customer_id", flat=True)
        )
        context["can_release"] = request.user.has_perm("billing.run_billing") and any(
            h.customer_id in context["on_hold"] for h in context["held"]
        )
    return render(request, "billing/run_detail.html", context)


@permission_required("billing.view_billrun")
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(BillRun, pk=pk)
    return JsonResponse(
        {
            "state": run.state,
            "percent": run.percent,
            "chunks_done": run.chunks_done,
            "chunks_total": run.chunks_total,
            "issued": run.issued,
            "estimated": run.estimated,
            "held": run.held,
            "skipped": run.skipped,
        }
    )


@require_POST
@permission_required("billing.run_billing")
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BillRun, pk=pk)
    try:
        count = bill_run.bill_run_resume(actor=request.user, bill_run=run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(count)s route(s) queued again.") % {"count": count})
    return redirect("billing:run_detail", pk=run.pk)


@permission_required("billing.run_billing")
def period_close(request: HttpRequest, month: str) -> HttpResponse:
    """The close page: who is still unbilled, and the supervisor's choice for them."""
    try:
        parsed = MonthField().clean(month)
    except ValidationError:
        raise Http404 from None
    period = get_object_or_404(Period, month=parsed)
    form = PeriodCloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            closing.period_close(actor=request.user, period=period, **form.cleaned_data)
        except PeriodHasUnbilled as error:
            messages.error(request, " ".join(error.messages))
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Period %(period)s is closed.") % {"period": period})
            return redirect("billing:runs")
    unbilled = closing.period_unbilled(period=period) if period.state == PeriodState.BILLING else []
    return render(
        request,
        "billing/period_close.html",
        {
            "period": period,
            "form": form,
            "unbilled": unbilled,
            "estimable": sum(1 for u in unbilled if u.estimable),
            "blocking": sum(1 for u in unbilled if not u.estimable),
            "PeriodState": PeriodState,
        },
    )


@require_POST
@permission_required("billing.run_billing")
def run_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Release customers a supervisor held back from this run's period, and bill them."""
    run = get_object_or_404(BillRun.objects.select_related("period"), pk=pk)
    try:
        started = run_guard.held_customers_release(
            actor=request.user,
            period=run.period,
            customer_ids=_customer_ids(request.POST.getlist("release")),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("billing:run_detail", pk=run.pk)
    if started is None:
        messages.success(
            request,
            _("Released. A run of this period is running: start a supplementary run when it is done."),
        )
        return redirect("billing:run_detail", pk=run.pk)
    messages.success(request, _("Released; a supplementary run bills them."))
    return redirect("billing:run_detail", pk=started.pk)
