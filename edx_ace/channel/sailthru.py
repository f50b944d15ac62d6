"""
An email channel that sends through the Sailthru REST API with the ``sailthru-client`` package.

Install the client with ``pip install "edx-ace[sailthru]"``. It is imported only when the
channel checks its settings or sends, so edx-ace itself works without it.

ACE renders the whole email. Sailthru receives the name of one template and four template
variables, which that template places (see :class:`SailthruEmailChannel`).

Sailthru's ``send`` call has no idempotency key, so retrying a request that reached
Sailthru could send the email twice. Failures are therefore sorted by what is known:

- no connection could be made, HTTP 429 or 5xx, or Sailthru error 9 or 43: retried;
- any other Sailthru error (unknown template, invalid email, bad signature): fatal;
- the request was sent but no response came within the time-out: fatal, as delivery
  is unknown.
"""

from __future__ import annotations

import datetime
import logging
import math
import threading
from collections.abc import Callable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attr

from edx_ace import conf
from edx_ace.channel import Channel, ChannelType
from edx_ace.channel.mail import one_line, recipient_address
from edx_ace.errors import ChannelError, FatalChannelDeliveryError, RecoverableChannelDeliveryError
from edx_ace.utils.date import get_current_time

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

log = logging.getLogger(__name__)

#: How long to wait before a retry when Sailthru's response has no usable reset time.
RETRY_DELAY = datetime.timedelta(seconds=5)

#: The command that installs the client library this channel needs.
INSTALL_COMMAND = 'pip install "edx-ace[sailthru]"'

#: The settings that must be non-empty for the channel to be enabled, with what to set each to.
REQUIRED_SETTINGS = {
    "ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME": "the name of the Sailthru template that wraps ACE's emails",
    "ACE_CHANNEL_SAILTHRU_API_KEY": "your Sailthru API key",
    "ACE_CHANNEL_SAILTHRU_API_SECRET": "your Sailthru API secret",
}

#: The maximum length, in characters, of a response body or Sailthru error text quoted in an error message.
BODY_EXCERPT_LENGTH = 200

#: Sailthru error codes whose cause is known, with the fix to suggest.
ERROR_HINTS = {
    14: "check that ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME names a template that exists in Sailthru",
}

#: The reasons already logged by ``enabled()``, so each is logged once per process.
_warned_problems: set[str] = set()
_warned_problems_lock = threading.Lock()


class RecoverableErrorCodes(Enum):
    """Sailthru error codes of a request that did not go through and should be retried after a wait."""

    #: An error inside Sailthru; the request was probably not saved.
    INTERNAL_ERROR = 9
    #: Too many requests of this method to this endpoint in the current minute.
    RATE_LIMIT = 43


class ResponseHeaders(Enum):
    """Rate-limit headers of the Sailthru REST API's responses."""

    #: The number of requests left in the current rate-limit window.
    RATE_LIMIT_REMAINING = "X-Rate-Limit-Remaining"
    #: The end of the current rate-limit window, in seconds since the Unix epoch.
    RATE_LIMIT_RESET = "X-Rate-Limit-Reset"


_RECOVERABLE_CODES = frozenset(code.value for code in RecoverableErrorCodes)


@attr.s(frozen=True)
class SailthruSettings:
    """The channel's settings as read for one delivery. Its ``repr()`` leaves out the key and the secret."""

    template_name: str = attr.ib()
    api_key: str = attr.ib(repr=False)
    api_secret: str = attr.ib(repr=False)
    api_url: str = attr.ib()
    timeout: float = attr.ib()
    debug: bool = attr.ib()

    @classmethod
    def read(cls) -> SailthruSettings:
        """Read the ``ACE_CHANNEL_SAILTHRU_*`` settings, without checking them."""
        return cls(
            template_name=conf.get("ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME"),
            api_key=str(conf.get("ACE_CHANNEL_SAILTHRU_API_KEY")),
            api_secret=str(conf.get("ACE_CHANNEL_SAILTHRU_API_SECRET")),
            api_url=str(conf.get("ACE_CHANNEL_SAILTHRU_API_URL")).rstrip("/"),
            timeout=conf.get("ACE_CHANNEL_SAILTHRU_TIMEOUT"),
            debug=bool(conf.get("ACE_CHANNEL_SAILTHRU_DEBUG")),
        )

    def redact(self, text: str) -> str:
        """Return ``text`` with the API secret and key replaced by ``***``."""
        for secret in (self.api_secret, self.api_key):
            if secret:
                text = text.replace(secret, "***")
        return text


class SailthruEmailChannel(Channel):
    """
    An email channel that sends each email through the Sailthru REST API.

    Delivery is at most once: the channel confirms that Sailthru accepted the request to
    send, not that the email reached the recipient, and it retries only when the request
    did not go through (see the module's description).

    Example settings (``ACE_CHANNEL_SAILTHRU_API_URL`` and ``ACE_CHANNEL_SAILTHRU_TIMEOUT``
    are optional; the values shown are their defaults)::

        .. settings_start
        ACE_ENABLED_CHANNELS = ["sailthru_email"]
        ACE_CHANNEL_SAILTHRU_DEBUG = False
        ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME = "ACE email"
        ACE_CHANNEL_SAILTHRU_API_KEY = "1234567890"
        ACE_CHANNEL_SAILTHRU_API_SECRET = "this is secret"
        ACE_CHANNEL_SAILTHRU_API_URL = "https://api.sailthru.com"
        ACE_CHANNEL_SAILTHRU_TIMEOUT = 10
        .. settings_end

    The Sailthru template named by ``ACE_CHANNEL_SAILTHRU_TEMPLATE_NAME`` only places what
    ACE rendered. Set its "From Name" to ``{{ace_template_from_name}}``, its "Subject" to
    ``{{ace_template_subject}}``, and its code to a page that outputs
    ``{{ace_template_head_html}}`` inside ``<head>`` and ``{ace_template_body_html}``
    inside ``<body>``. Sailthru's own links in the body (``{view_url}``,
    ``{optout_confirm_url}``, ``{forward_url}``, ``{beacon_src}``) are filled in by the
    template with Zephyr's ``replace()``; ``docs/channels.rst`` has a complete template.

    With ``ACE_CHANNEL_SAILTHRU_DEBUG = True`` nothing is sent: each delivery logs, at
    INFO, the template name, the recipient's username and masked address, and the name
    and size of each template variable.
    """

    channel_type = ChannelType.EMAIL

    @classmethod
    def enabled(cls) -> bool:
        """
        Return whether the required settings are non-empty and ``sailthru-client`` is installed.

        When they are not, each reason is logged as a warning, once per process.
        """
        problems = cls.configuration_problems()
        for problem in problems:
            _warn_once(problem)
        return not problems

    @classmethod
    def configuration_problems(cls) -> list[str]:
        problems = [
            f"{name} is empty; set it to {meaning}."
            for name, meaning in REQUIRED_SETTINGS.items()
            if not conf.get(name)
        ]
        if not client_installed():
            problems.append(f"The Sailthru client library sailthru-client is not installed; run {INSTALL_COMMAND}.")
        return problems

    def deliver(self, message: Message, rendered_message: RenderedEmail) -> str | None:
        """
        Ask Sailthru to send the email, and return Sailthru's ``send_id`` (``None`` in debug mode).

        Raises:
            InvalidMessageError: the recipient has no valid email address; nothing was sent.
            RecoverableChannelDeliveryError: the send did not go through; retry at its
                ``next_attempt_time``.
            FatalChannelDeliveryError: Sailthru rejected the send, the settings are invalid,
                or delivery is unknown.
        """
        address = recipient_address(message, self.channel_name)
        template_vars = template_variables(rendered_message)
        sailthru_settings = self.read_settings(message)

        if sailthru_settings.debug:
            self.log_instead_of_sending(sailthru_settings, message, address, template_vars)
            return None

        response = self.transmit(sailthru_settings, message, address, template_vars)
        return self.read_response(response, sailthru_settings, message)

    def read_settings(self, message: Message) -> SailthruSettings:
        """
        Return the current settings.

        Raises:
            FatalChannelDeliveryError: a setting is missing or invalid, or the client library
                is not installed.
        """
        problems = self.configuration_problems() + [
            problem for problem in (timeout_problem(), api_url_problem()) if problem
        ]
        if problems:
            raise FatalChannelDeliveryError(" ".join(problems), channel=self.channel_name, log_id=message.log_id)
        return SailthruSettings.read()

    def log_instead_of_sending(
        self, sailthru_settings: SailthruSettings, message: Message, address: str, template_vars: dict[str, str]
    ) -> None:
        """Log what would be sent, without the full address, the variables' values or the credentials."""
        sizes = ", ".join(f"{name} ({len(value)} characters)" for name, value in template_vars.items())
        message.get_message_specific_logger(log).info(
            "ACE_CHANNEL_SAILTHRU_DEBUG is true, so nothing is sent to Sailthru: template %r, recipient %s (%s), "
            "variables %s",
            sailthru_settings.template_name,
            getattr(message.recipient, "username", None),
            masked_address(address),
            sizes,
        )

    def transmit(
        self, sailthru_settings: SailthruSettings, message: Message, address: str, template_vars: dict[str, str]
    ) -> Any:
        """
        Post the send request to Sailthru and return the client's ``SailthruResponse``.

        Raises:
            RecoverableChannelDeliveryError: no connection to Sailthru could be made.
            FatalChannelDeliveryError: the request failed after it may have reached Sailthru.
        """
        from sailthru import SailthruClient, SailthruClientError

        client = SailthruClient(
            sailthru_settings.api_key,
            sailthru_settings.api_secret,
            api_url=sailthru_settings.api_url,
            request_timeout=sailthru_settings.timeout,
        )
        message.get_message_specific_logger(log).debug(
            "Posting template %r to %s/send", sailthru_settings.template_name, sailthru_settings.api_url
        )
        try:
            return client.send(sailthru_settings.template_name, address, _vars=template_vars)
        except SailthruClientError as error:
            raise self.request_error(error, sailthru_settings, message) from error
        except Exception as error:
            # sailthru-client 2.3 wraps only the exceptions of requests. Anything else (its
            # JSON parser failing on a body, a change in a later version) comes after the
            # request may have reached Sailthru.
            raise FatalChannelDeliveryError(
                f"delivery unknown: sailthru-client raised {type(error).__name__}: "
                f"{sailthru_settings.redact(one_line(str(error)))}; not retried, so the email is not sent twice",
                channel=self.channel_name,
                log_id=message.log_id,
            ) from error

    def request_error(self, error: Exception, sailthru_settings: SailthruSettings, message: Message) -> ChannelError:
        """Return the channel error for a request that got no HTTP response."""
        context = {"channel": self.channel_name, "log_id": message.log_id}
        description = sailthru_settings.redact(one_line(str(error)))

        # sailthru-client raises its SailthruClientError inside its `except` block for the
        # exception of requests, which therefore is the implicit context.
        cause = error.__cause__ or error.__context__
        if connection_not_made(cause):
            return RecoverableChannelDeliveryError(
                f"failed to connect to Sailthru at {sailthru_settings.api_url}, so nothing was sent ({description})",
                get_current_time() + RETRY_DELAY,
                **context,
            )
        if read_timed_out(cause):
            return FatalChannelDeliveryError(
                f"delivery unknown: the request was sent but Sailthru's response timed out after "
                f"{sailthru_settings.timeout} s (ACE_CHANNEL_SAILTHRU_TIMEOUT); not retried, because Sailthru's "
                "send has no idempotency key and a retry could send the email twice",
                **context,
            )
        return FatalChannelDeliveryError(
            f"delivery unknown: the request to Sailthru failed after it may have been sent ({description}); "
            "not retried, so the email is not sent twice",
            **context,
        )

    def read_response(self, response: Any, sailthru_settings: SailthruSettings, message: Message) -> str | None:
        """
        Return the ``send_id`` of an accepted send.

        Raises:
            RecoverableChannelDeliveryError, FatalChannelDeliveryError: as :func:`response_error` decides.
        """
        status = response.get_status_code()
        headers = response.get_response().headers
        body = response.get_body()

        logger = message.get_message_specific_logger(log)
        remaining = header_value(headers, ResponseHeaders.RATE_LIMIT_REMAINING)
        if remaining is not None:
            logger.debug("Sailthru allows %s more requests in this rate-limit window", remaining)

        error = response_error(
            status,
            headers,
            body,
            response.get_body(as_dictionary=False),
            now=get_current_time(),
            redact=sailthru_settings.redact,
            channel=self.channel_name,
            log_id=message.log_id,
        )
        if error is not None:
            raise error

        send_id = body.get("send_id")
        logger.debug("Sailthru accepted the send with send_id %s", send_id)
        return send_id if isinstance(send_id, str) else None


def template_variables(rendered: RenderedEmail) -> dict[str, str]:
    """Return the Sailthru template variables of a rendered email."""
    return {
        "ace_template_from_name": one_line(rendered.from_name),
        "ace_template_subject": one_line(rendered.subject),
        "ace_template_head_html": rendered.head_html,
        "ace_template_body_html": rendered.body_html,
    }


def response_error(
    status: int,
    headers: Mapping[str, str],
    body: Any,
    content: bytes | None,
    *,
    now: datetime.datetime,
    redact: Callable[[str], str] = str,
    **context: Any,
) -> ChannelError | None:
    """
    Return the error that a Sailthru response to a send means, or ``None`` when Sailthru accepted it.

    ``body`` is the parsed JSON body (``None`` when the body is not JSON) and ``content`` the
    raw body. The HTTP status is checked before Sailthru's error code, because a gateway's
    502 page or a 429 may carry no JSON at all. ``redact`` removes secrets from quoted text;
    ``context`` (``channel``, ``log_id``) goes to the error. It returns an error for any
    input instead of raising.
    """
    has_error = isinstance(body, dict) and "error" in body
    if has_error:
        code = body["error"]
        text = redact(one_line(str(body.get("errormsg", ""))))
        described = f"HTTP {status}, Sailthru error {shorten(str(code))}: {shorten(text)}"
    else:
        code = None
        described = f"HTTP {status}, body {body_excerpt(content, redact)!r}"

    if status == 429 or 500 <= status <= 599:
        retry_at = next_attempt_time(headers, now)
        return RecoverableChannelDeliveryError(
            f"Sailthru is rate-limiting or unavailable ({described}); retrying at {retry_at.isoformat()}",
            retry_at,
            **context,
        )

    if has_error:
        number = error_code(code)
        if number in _RECOVERABLE_CODES:
            retry_at = next_attempt_time(headers, now)
            return RecoverableChannelDeliveryError(
                f"Sailthru returned a temporary error ({described}); retrying at {retry_at.isoformat()}",
                retry_at,
                **context,
            )
        hint = ERROR_HINTS.get(number) if number is not None else None
        return FatalChannelDeliveryError(
            f"Sailthru rejected the send ({described})" + (f"; {hint}" if hint else ""), **context
        )

    if 400 <= status <= 499:
        return FatalChannelDeliveryError(
            f"the Sailthru API rejected the request without a Sailthru error ({described}); "
            "check that ACE_CHANNEL_SAILTHRU_API_URL is the base URL of the Sailthru API",
            **context,
        )
    if 200 <= status <= 299 and isinstance(body, dict):
        return None
    return FatalChannelDeliveryError(
        f"delivery unknown: Sailthru's response is not a JSON object ({described}); not retried, so the email "
        "is not sent twice",
        **context,
    )


def error_code(value: Any) -> int | None:
    """Return a Sailthru error code as an int, or ``None`` when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def next_attempt_time(headers: Mapping[str, str], now: datetime.datetime) -> datetime.datetime:
    """
    Return when to retry: the rate-limit reset time in ``headers``, or else ``now`` plus ``RETRY_DELAY``.

    The reset time is used only when it parses as seconds since the epoch and is later
    than ``now``. A missing, unparseable or past value gives the fallback.
    """
    fallback = now + RETRY_DELAY
    value = header_value(headers, ResponseHeaders.RATE_LIMIT_RESET)
    if value is None:
        return fallback

    try:
        reset = datetime.datetime.fromtimestamp(float(value), datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback
    if reset <= now:
        return fallback
    return reset


def header_value(headers: Mapping[str, str], header: ResponseHeaders) -> str | None:
    """Return the value of ``header`` in ``headers``, matching its name case-insensitively."""
    expected_name = header.value.lower()
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == expected_name:
            return value
    return None


def body_excerpt(content: bytes | None, redact: Callable[[str], str]) -> str:
    """Return the start of a response body as one line of text, without secrets."""
    if not content:
        return ""
    return shorten(redact(one_line(content.decode("utf-8", "replace"))))


def shorten(text: str) -> str:
    """Return ``text`` cut to ``BODY_EXCERPT_LENGTH`` characters, with ``...`` when it was cut."""
    if len(text) > BODY_EXCERPT_LENGTH:
        return text[:BODY_EXCERPT_LENGTH] + "..."
    return text


def connection_not_made(error: BaseException | None) -> bool:
    """Return whether a requests exception means that no connection was made, so nothing was sent."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError) or not error.args:
        return False
    # requests wraps a refused or unresolvable connection as a MaxRetryError whose reason
    # is urllib3's NewConnectionError, a subclass of ConnectTimeoutError.
    inner = error.args[0]
    return isinstance(inner, MaxRetryError) and isinstance(inner.reason, ConnectTimeoutError)


def read_timed_out(error: BaseException | None) -> bool:
    """Return whether a requests exception is a time-out while waiting for the response."""
    import requests

    return isinstance(error, requests.ReadTimeout)


def client_installed() -> bool:
    """Return whether the ``sailthru`` package of ``sailthru-client`` can be imported."""
    try:
        import sailthru  # noqa: F401
    except ImportError:
        return False
    return True


def timeout_problem() -> str | None:
    """Return why ``ACE_CHANNEL_SAILTHRU_TIMEOUT`` is invalid, or ``None`` when it is a positive number."""
    value = conf.get("ACE_CHANNEL_SAILTHRU_TIMEOUT")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return f"ACE_CHANNEL_SAILTHRU_TIMEOUT is {value!r}; set it to a positive number of seconds, such as 10."
    return None


def api_url_problem() -> str | None:
    """Return why ``ACE_CHANNEL_SAILTHRU_API_URL`` is invalid, or ``None`` when it is an http(s) base URL."""
    value = conf.get("ACE_CHANNEL_SAILTHRU_API_URL")
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return (
            f"ACE_CHANNEL_SAILTHRU_API_URL is {value!r}; set it to the base URL of the Sailthru API, such as "
            "'https://api.sailthru.com', or remove it to use that default."
        )
    return None


def masked_address(address: str) -> str:
    """Return an email address with all but the first character of its local part hidden."""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}"


def _warn_once(problem: str) -> None:
    with _warned_problems_lock:
        if problem in _warned_problems:
            return
        _warned_problems.add(problem)
    log.warning("The sailthru_email channel is not enabled: %s", problem)
