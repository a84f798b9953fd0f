"""Who actually sends a text: Twilio when configured, otherwise the SMS sandbox.

Only the worker calls `send`; requests never do. Errors come back as `SendError`
saying whether a retry can help (429, 5xx, timeouts) or not (bad number, opted out).
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

# The client logs every request's headers at INFO; ours says what matters.
_HTTP_LOGGER = logging.getLogger("notifications.twilio_http")
_HTTP_LOGGER.setLevel(logging.WARNING)

# Twilio error codes that no retry will fix.
INVALID_NUMBER = "21211"
NOT_MOBILE = "21614"
UNSUBSCRIBED = "21610"


class SendError(Exception):
    def __init__(self, message: str, *, code: str = "", retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class SendResult:
    sid: str
    delivered: bool = False  # the sandbox "delivers" at once


class SandboxProvider:
    """Stores nothing itself: the outbox row *is* what the phone would show."""

    name = "sandbox"

    def send(self, *, to: str, body: str, status_callback: str) -> SendResult:
        return SendResult(sid=f"SB{uuid.uuid4().hex}", delivered=True)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends the twilio client's requests to a configured base URL (a local mock).

    Twilio's client has no base-URL setting; this keeps path and query and swaps the
    scheme and host. Used only when TWILIO_API_BASE_URL is set explicitly.
    """

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        parts = urlsplit(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        return super().request(
            method,
            urlunsplit((self.scheme, self.netloc, parts.path, parts.query, "")),
            *args,
            **kwargs,
        )


class TwilioProvider:
    name = "twilio"

    def __init__(self) -> None:
        timeout = settings.NOTIFY_PROVIDER_TIMEOUT_SECONDS
        http_client = (
            BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=timeout, logger=_HTTP_LOGGER)
            if settings.TWILIO_API_BASE_URL
            else TwilioHttpClient(timeout=timeout, logger=_HTTP_LOGGER)
        )
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    def send(self, *, to: str, body: str, status_callback: str) -> SendResult:
        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM}
        )
        try:
            message = self.client.messages.create(
                to=to, body=body, status_callback=status_callback, **sender
            )
        except (TwilioRestException, TwilioServiceException) as error:
            status = int(getattr(error, "status", 0) or 0)
            code = str(getattr(error, "code", "") or status)
            retryable = status == 429 or status >= 500
            text = getattr(error, "msg", "") or getattr(error, "title", "") or f"HTTP {status}"
            raise SendError(
                f"Twilio {status}: {text}"[:300], code=code, retryable=retryable
            ) from None
        except requests.Timeout:
            raise SendError(
                "Twilio did not answer in time", code="timeout", retryable=True
            ) from None
        except requests.ConnectionError:
            raise SendError("Twilio could not be reached", code="network", retryable=True) from None
        except TwilioException as error:
            raise SendError(str(error)[:300], code="client", retryable=False) from None
        if not message.sid:
            raise SendError("Twilio answered without a message id", code="no-sid", retryable=True)
        return SendResult(sid=message.sid)


def twilio_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and (settings.TWILIO_FROM or settings.TWILIO_MESSAGING_SERVICE_SID)
    )


@functools.cache
def _provider(key: tuple) -> SandboxProvider | TwilioProvider:
    return TwilioProvider() if key[0] else SandboxProvider()


def get_provider() -> SandboxProvider | TwilioProvider:
    """One provider (and HTTP connection pool) per process and configuration."""
    key = (
        twilio_configured(),
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_FROM,
        settings.TWILIO_MESSAGING_SERVICE_SID,
        settings.TWILIO_API_BASE_URL,
        settings.NOTIFY_PROVIDER_TIMEOUT_SECONDS,
    )
    return _provider(key)
