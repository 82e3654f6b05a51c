import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import selectors, services
from billing.forms import BlockFormSet, FixedChargeFormSet, TariffVersionForm, initial_from_version
from billing.models import TariffVersion
from meters.models import MeterSize
from pdam.access import permission_required
from pdam.forms import form_add_errors


def _version_or_404(pk) -> TariffVersion:
    try:
        return selectors.tariff_version_get(pk=int(pk))
    except (TariffVersion.DoesNotExist, TypeError, ValueError):
        raise Http404(_("No such tariff version.")) from None


def _next_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


@permission_required("billing.view_tariffversion")
def tariff_list(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/tariffs.html", {"classes": selectors.tariff_overview()})


@permission_required("billing.add_tariffversion")
def tariff_create(request: HttpRequest) -> HttpResponse:
    head, blocks, charges = {"effective_from": _next_month(timezone.localdate())}, [], []
    source = None
    if "from" in request.GET:
        source = _version_or_404(request.GET["from"])
        copied, blocks, charges = initial_from_version(source)
        head |= copied
    data = request.POST if request.method == "POST" else None
    form = TariffVersionForm(data, initial=head)
    block_formset = BlockFormSet(data, prefix="blocks", initial=blocks)
    charge_formset = FixedChargeFormSet(data, prefix="charges", initial=charges)
    if data is not None and all([form.is_valid(), block_formset.is_valid(), charge_formset.is_valid()]):
        try:
            version = services.tariff_version_create(
                actor=request.user,
                blocks=block_formset.blocks,
                fixed_charges=charge_formset.charges,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(
                request,
                _("Tariff for %(class)s from %(month)s saved.")
                % {"class": version.tariff_class, "month": version.effective_from.strftime("%m/%Y")},
            )
            return redirect("billing:tariff_detail", pk=version.pk)
    return render(
        request,
        "billing/tariff_form.html",
        {
            "form": form,
            "block_formset": block_formset,
            "charge_formset": charge_formset,
            "source": source,
        },
    )


@permission_required("billing.view_tariffversion")
def tariff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = _version_or_404(pk)
    meter_size = request.GET.get("size")
    if meter_size not in MeterSize.values:
        meter_size = MeterSize.HALF
    tariff = selectors.tariff_snapshot(version)
    return render(
        request,
        "billing/tariff_detail.html",
        {
            "version": version,
            "meter_size": meter_size,
            "meter_sizes": MeterSize.choices,
            "examples": selectors.tariff_examples(tariff=tariff, meter_size=meter_size),
            "state": selectors.tariff_version_state(version=version),
        },
    )
