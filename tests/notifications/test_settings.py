"""Text settings fail loudly at start-up; without Twilio credentials the sandbox sends."""

import pytest

from notifications import providers
from tests.test_settings import run_manage


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TWILIO_ACCOUNT_SID": "AC123"}, "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"),
        (
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
            "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN",
        ),
        (
            {"TWILIO_API_BASE_URL": "localhost:4010"},
            "TWILIO_API_BASE_URL='localhost:4010' is not a URL",
        ),
        ({"NOTIFY_QUIET_HOURS": "9pm-8am"}, "NOTIFY_QUIET_HOURS='9pm-8am' is not HH:MM-HH:MM"),
        (
            {"NOTIFY_DELAY_THRESHOLD_MINUTES": "0"},
            "NOTIFY_DELAY_THRESHOLD_MINUTES='0' must be at least 1",
        ),
        ({"NOTIFY_REMINDER_HOUR": "24"}, "NOTIFY_REMINDER_HOUR must be an hour of the day"),
        ({"NOTIFY_PUBLIC_BASE_URL": "dispatch.example.com"}, "NOTIFY_PUBLIC_BASE_URL="),
        (
            {"NOTIFY_COMPANY_PHONE": "(312) 555-0100"},
            "NOTIFY_COMPANY_PHONE='(312) 555-0100' is not",
        ),
        ({"NOTIFY_COMPANY_PHONE": "+0123456789"}, "NOTIFY_COMPANY_PHONE='+0123456789' is not"),
    ],
)
def test_bad_text_settings_stop_start_up(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_sandbox_without_credentials_twilio_with(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM = ""
    assert isinstance(providers.get_provider(), providers.SandboxProvider)
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "1" * 32, "token"
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    provider = providers.get_provider()
    assert isinstance(provider, providers.TwilioProvider)
    assert type(provider.client.http_client).__name__ == "TwilioHttpClient"  # api.twilio.com
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:4010"
    assert isinstance(providers.get_provider().client.http_client, providers.BaseUrlHttpClient)
