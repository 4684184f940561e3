"""The HTTP transport shared by the X and Facebook adapters: timeout, base-URL redirect, failure timing.

Both client libraries build URLs on a fixed host and pass no timeout. A `requests` transport adapter on
their session fixes both without touching the libraries: it runs after the request is prepared (and, for X,
after the OAuth 1.0a signature was computed over the original URL), sets the timeout, and sends the request
to the configured base URL instead of the platform's default one. The timeout is a total deadline on each
request (connect + upload + answer, bot/publishers/deadline.py), not only a bound on each socket operation:
docs/high-availability.md's takeover wait relies on it.

This module imports requests; only x.py and facebook.py import it, so commands that never publish never load
requests.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bot.credentials import mask
from bot.publishers.base import OutcomeUnknown, PublishError, RetryLater
from bot.publishers.deadline import DeadlineAdapter

logger = logging.getLogger(__name__)

_SECRET_QUERY = re.compile(r"(access_token|client_secret|input_token)=[^&\s\"']+")


class RedirectingAdapter(DeadlineAdapter):
    """Sends every request with `timeout` (per socket operation, and as the request's total deadline) and,
    when `base_url` differs from `default_base`, to `base_url`."""

    def __init__(self, default_base: str, base_url: str, timeout: float) -> None:
        super().__init__(total=timeout)  # never retries: the runner decides
        self.default_base = default_base.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        url = request.url or ""
        if self.base_url != self.default_base and url.startswith(self.default_base):
            request.url = self.base_url + url[len(self.default_base) :]
        return super().send(request, **kwargs)


def make_session(
    default_base: str, base_url: str, timeout: float, session: requests.Session | None = None
) -> requests.Session:
    """A session (new, or `session`) whose requests to `default_base` go through a RedirectingAdapter."""
    session = session if session is not None else requests.Session()
    adapter = RedirectingAdapter(default_base, base_url, timeout)
    session.mount(default_base.rstrip("/") + "/", adapter)
    if base_url.rstrip("/") != default_base.rstrip("/"):
        # An environment proxy (HTTPS_PROXY...) must not capture traffic meant for a local server or proxy.
        session.trust_env = False
    return session


def nothing_was_sent(error: requests.RequestException) -> bool:
    """True when the failure certainly happened before the request reached the server."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(error, requests.exceptions.ConnectionError) and not isinstance(error, requests.exceptions.ProxyError):
        reason = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)  # refused, unreachable, name not resolved
    return False


def transport_error(error: requests.RequestException, platform: str, action: str, writes: bool) -> PublishError:
    """Classify a transport failure. The library's own message is left out: it can hold a URL with a token."""
    kind = type(error).__name__
    if not writes:
        return RetryLater(f"{platform}: {action} failed ({kind}); nothing was written, try again later")
    if nothing_was_sent(error):
        return RetryLater(f"{platform}: {action} failed before the request was sent ({kind}); nothing was written")
    return OutcomeUnknown(
        f"{platform}: {action} was sent but no answer came back ({kind}): the post may exist; "
        "look it up before sending again"
    )


class RedactSecretsFilter(logging.Filter):
    """Masks secrets in the DEBUG records of the HTTP libraries.

    urllib3 logs request URLs (a Graph access_token in the query string); requests-oauthlib and oauthlib log
    the consumer key and the access token while signing. Values passed to protect_secrets() and any
    `access_token=...` are replaced by their mask before any handler sees the record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        with _lock:
            secrets = sorted(_secrets, key=len, reverse=True)
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = _SECRET_QUERY.sub(r"\1=<redacted>", text)
        for secret in secrets:
            cleaned = cleaned.replace(secret, mask(secret))
        if cleaned != text:
            record.msg, record.args = cleaned, None
        return True


# Loggers that format request URLs, headers or signing input. Filters do not apply to child loggers, hence
# the full names.
_REDACTED_LOGGERS = (
    "urllib3.connectionpool",
    "requests_oauthlib.oauth1_auth",
    "oauthlib.oauth1.rfc5849",
    "oauthlib.oauth1.rfc5849.signature",
    "oauthlib",
    "tweepy.client",
)
_lock = threading.Lock()
_secrets: set[str] = set()
_filter = RedactSecretsFilter()


def protect_secrets(*values: str) -> None:
    """Mask these values in the HTTP libraries' log records from now on (process-wide, idempotent)."""
    with _lock:
        _secrets.update(value for value in values if len(value) >= 4)
    for name in _REDACTED_LOGGERS:
        target = logging.getLogger(name)
        if _filter not in target.filters:
            target.addFilter(_filter)
