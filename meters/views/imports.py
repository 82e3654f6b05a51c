"""Reading import: upload a CSV file, watch it run, read and download the refused rows."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meters import imports
from meters.models import ReadingImport
from pdam.access import permission_required

# The report page lists this many refused rows; the CSV download has them all.
ERRORS_SHOWN = 200


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )


def _status_json(reading_import: ReadingImport) -> dict:
    return {
        "status": reading_import.status,
        "status_label": str(reading_import.get_status_display()),
        "finished": reading_import.is_finished,
        "percent": reading_import.percent,
        "total": reading_import.total_rows,
        "processed": reading_import.processed_rows,
        "saved": reading_import.saved_rows,
        "unchanged": reading_import.unchanged_rows,
        "errors": reading_import.error_rows,
        "failure": reading_import.failure,
    }


@permission_required("meters.import_readings")
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reading_import = imports.reading_import_create(
                actor=request.user, upload=form.cleaned_data["file"], language=request.LANGUAGE_CODE
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _("File %(name)s received.") % {"name": reading_import.filename})
            return redirect("meters:import_detail", pk=reading_import.pk)
    return render(
        request,
        "meters/import_upload.html",
        {
            "form": form,
            "recent": list(imports.imports_recent()),
            "columns": imports.COLUMNS,
            "max_mb": imports.MAX_BYTES // 1024 // 1024,
        },
    )


@permission_required("meters.import_readings")
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reading_import = get_object_or_404(ReadingImport.objects.select_related("uploaded_by"), pk=pk)
    earlier = (
        ReadingImport.objects.filter(sha256=reading_import.sha256, created_at__lt=reading_import.created_at)
        .defer("errors")
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "meters/import_detail.html",
        {
            "reading_import": reading_import,
            "errors": reading_import.errors[:ERRORS_SHOWN],
            "errors_cut": len(reading_import.errors) > ERRORS_SHOWN,
            "errors_shown": ERRORS_SHOWN,
            "earlier": earlier,
        },
    )


@permission_required("meters.import_readings")
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """What the progress bar polls: counters only, never the error list."""
    reading_import = get_object_or_404(ReadingImport.objects.defer("errors"), pk=pk)
    return JsonResponse(_status_json(reading_import))


@permission_required("meters.import_readings")
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    reading_import = get_object_or_404(ReadingImport, pk=pk)
    response = HttpResponse(
        imports.reading_import_errors_csv(reading_import=reading_import),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{reading_import.pk}-errors.csv"'
    return response
