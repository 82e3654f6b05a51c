"""The bill run pages: start a run, watch it, read its summary, resume it, close the period."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import bill_run, selectors
from billing.models import BillRun, BillRunState
from meters.models import Period, PeriodState
from meters.selectors import period_progress
from meters.services import period_get_or_open
from pdam.access import permission_required
from pdam.forms import MonthField


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


@require_POST
@permission_required("billing.run_billing")
def run_start(request: HttpRequest) -> HttpResponse:
    try:
        month = MonthField().clean(request.POST.get("period", ""))
        supplementary = request.POST.get("supplementary") == "1"
        if not Period.objects.filter(month=month).exists():
            raise ValidationError(_("No readings were entered for that month."))
        run = bill_run.bill_run_start(
            actor=request.user, period=period_get_or_open(month=month), supplementary=supplementary
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("billing:runs")
    messages.success(request, _("Bill run for %(period)s started.") % {"period": run.period})
    return redirect("billing:run_detail", pk=run.pk)


@permission_required("billing.view_billrun")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(BillRun.objects.select_related("period", "started_by"), pk=pk)
    context = {"run": run, "running": run.state == BillRunState.RUNNING}
    if not context["running"]:
        context.update(selectors.bill_run_summary(bill_run=run))
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


@require_POST
@permission_required("billing.run_billing")
def period_close(request: HttpRequest, month: str) -> HttpResponse:
    try:
        period = get_object_or_404(Period, month=MonthField().clean(month))
        bill_run.period_close(actor=request.user, period=period)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Period %(period)s is closed.") % {"period": period})
    return redirect("billing:runs")
