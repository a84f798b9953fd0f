"""Settings fail loudly on bad values and pass the deploy check when configured."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL='mysql://x/y' is not a URL with scheme"),
        ("TRAVEL_SPEED_KMH", "fast", "TRAVEL_SPEED_KMH='fast' is not a float"),
        ("SLA_AT_RISK_FRACTION", "1.5", "SLA_AT_RISK_FRACTION must be below 1"),
        ("TRUSTED_PROXIES", "proxy.internal", "TRUSTED_PROXIES: 'proxy.internal' is not an IP"),
    ],
)
def test_bad_environment_values_stop_start_up(name, value, message):
    result = run_manage("check", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_deploy_check_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="x" * 60 + "-production-secret-0123456789",
        DJANGO_DEBUG="0",
        DJANGO_SECURE_HTTPS="1",
        DJANGO_ALLOWED_HOSTS="dispatch.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
