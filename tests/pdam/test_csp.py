import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_page_carries_a_policy_without_inline_script(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'self'" in script_src
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in policy


def test_no_template_holds_an_inline_script_or_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.name}: {tag}")
        offenders += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=", text)]
    assert offenders == []


def test_no_inline_style_is_allowed_or_needed(client):
    policy = client.get("/login/")["Content-Security-Policy"]
    style_src = next(part for part in policy.split(";") if part.strip().startswith("style-src"))
    assert "unsafe-inline" not in style_src
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if path.relative_to(TEMPLATES).parts[0] in {"pdf", "messages"}:
            # PDFs: WeasyPrint renders them on the server. Messages: e-mail clients ignore
            # stylesheets, and no page of the portal serves them. No browser applies the policy.
            continue
        text = path.read_text()
        offenders += [f"{path.relative_to(TEMPLATES)}: {m}" for m in re.findall(r"<style\b|\sstyle=", text)]
    assert offenders == []
