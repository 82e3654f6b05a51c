"""Compile locale/*/LC_MESSAGES/django.po to .mo: GNU msgfmt when installed, else polib.

`make run` must work on a fresh machine that has no gettext tools, hence the fallback.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the translations (msgfmt if available, else polib)."

    def handle(self, *args, **options) -> None:
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore_patterns=[".venv/*"])
            return
        import polib

        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
