"""Security headers on every page and the deployment check of the production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/assets/", "/accounts/login/", "/admin/login/"])
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_page_template_has_an_inline_script():
    # An inline <script> would be refused by the policy above: every script is a file.
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if "<script>" in path.read_text() or '<script type="text/javascript">' in path.read_text()
    ]
    assert offenders == []


def test_the_deployment_check_of_the_production_settings_reports_nothing():
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEBUG", "SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="registry.example.cn",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_api_docs_load_their_script_from_the_site_itself(live_server):
    page = requests.get(f"{live_server.url}/api/docs/", timeout=30)
    assert page.status_code == 200
    html = page.text
    # then: no CDN, no inline script, and every script the page names is on this site and loads
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "<script>" not in html
    scripts = [part.split('"', 1)[0] for part in html.split('<script src="')[1:]]
    assert len(scripts) >= 2, html
    for src in scripts:
        assert src.startswith("/"), src
        assert requests.get(f"{live_server.url}{src}", timeout=30).status_code == 200, src
