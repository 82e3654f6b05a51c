"""One way to show a date, a date and time, a time and a month per language (``FORMAT_MODULE_PATH``).

Templates name the format (``|date:"DATE_FORMAT"``, ``"DATETIME_FORMAT"``, ``"YEAR_MONTH_FORMAT"``,
``|time``), never a pattern, so that every page of a language shows the same thing. The short
formats are the same as the long ones: a page never mixes ``4 Des 2026`` with ``04-12-2026``.
Input formats are Django's (`pdam.forms.DateInput` renders what the browser's date input reads).
"""
