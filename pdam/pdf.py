"""HTML to PDF with WeasyPrint: reading sheets today, invoices and receipts later.

The kernel knows nothing of the apps: each app renders its own template and hands the HTML
here. Only ``file:`` and ``data:`` URLs are fetched, so a template can embed the logo and
fonts from disk but never make the server call out to the network.
"""

from pathlib import Path

from django.conf import settings


def static_base_url() -> str:
    """``file:`` URL of the project's static directory: PDF templates say ``src="pdam/logo.svg"``."""
    return Path(settings.BASE_DIR, "static").resolve().as_uri() + "/"


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render an HTML document (with its ``@page`` CSS) to PDF bytes.

    `base_url` resolves relative URLs in the document; it defaults to the static directory.
    """
    # Imported here: WeasyPrint loads Pango at import, which pages without PDFs do not need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"file", "data"}, timeout=5)
    document = HTML(string=html, base_url=base_url or static_base_url(), url_fetcher=fetcher)
    return document.write_pdf()
