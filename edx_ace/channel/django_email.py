"""
An email channel that sends through Django's configured ``EMAIL_BACKEND``.

Each message becomes a multipart/alternative email: the plain-text body and an HTML part.
SMTP failures are sorted by whether the email could have reached the server:

- nothing sent yet (connection refused, time-out before DATA, a 4xx reply): retried;
- rejected with a 5xx reply, or a refused recipient: fatal;
- the connection broke after the message data was sent: fatal, as delivery is unknown,
  because a retry could deliver the email twice.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives

from edx_ace.channel import Channel, ChannelType, connections
from edx_ace.channel.headers import validate_headers
from edx_ace.channel.mail import from_header, html_document, one_line, recipient_address
from edx_ace.errors import FatalChannelDeliveryError, InvalidMessageError, RecoverableChannelDeliveryError
from edx_ace.options import get_option
from edx_ace.utils.date import get_current_time

if TYPE_CHECKING:
    from edx_ace.message import Message
    from edx_ace.renderers import RenderedEmail

log = logging.getLogger(__name__)

#: How long to wait before retrying after a transient SMTP failure.
RETRY_DELAY = datetime.timedelta(seconds=5)


class _SmtpProgress:
    """
    Records how far an ``smtplib.SMTP`` session got in sending a message.

    It wraps the session's ``data`` and ``send`` methods on the instance: once the final
    ``CRLF.CRLF`` of the message data is about to be written, the server may accept the
    message at any moment, so a later failure leaves delivery unknown.
    """

    def __init__(self, session: smtplib.SMTP):
        self.data_started = False
        self.payload_sent = False
        original_data = session.data
        original_send = session.send

        def data(msg):
            self.data_started = True
            return original_data(msg)

        def send(payload):
            if self.data_started and isinstance(payload, bytes | str) and payload[-5:] in (b"\r\n.\r\n", "\r\n.\r\n"):
                self.payload_sent = True
            return original_send(payload)

        # Replacing the bound methods on this one session is the point of the class.
        session.data = data  # type: ignore[method-assign]
        session.send = send  # type: ignore[method-assign]

    def reset(self) -> None:
        """Forget the previous message before the next one goes over the same session."""
        self.data_started = False
        self.payload_sent = False


class DjangoEmailChannel(Channel):
    """Delivers email through Django's ``EMAIL_BACKEND``, from ``DEFAULT_FROM_EMAIL``."""

    channel_type = ChannelType.EMAIL

    @classmethod
    def configuration_problems(cls) -> list[str]:
        if not getattr(settings, "DEFAULT_FROM_EMAIL", None):
            return ["DEFAULT_FROM_EMAIL is empty; set it to the address emails are sent from."]
        return []

    def deliver(self, message: Message, rendered_message: RenderedEmail):
        """Send the email and return ``None``; raise a channel error that says whether to retry."""
        address = recipient_address(message, self.channel_name)
        email = self.build_email(message, rendered_message, address)

        attempt = connections.EmailAttempt(_SmtpProgress, message.get_message_specific_logger(log))
        try:
            sent = attempt.send(email)
        except BadHeaderError as error:
            raise InvalidMessageError(
                f"the email has an invalid header: {error}", channel=self.channel_name, log_id=message.log_id
            ) from None
        except Exception as error:
            raise self.translate_error(error, attempt.progress, message) from error

        if not sent:
            raise FatalChannelDeliveryError(
                "the email backend accepted 0 messages",
                channel=self.channel_name,
                log_id=message.log_id,
                code="backend_accepted_none",
            )
        return None

    def build_email(self, message: Message, rendered: RenderedEmail, address: str) -> EmailMultiAlternatives:
        """
        Return the email for ``rendered``, addressed to ``address``.

        The options ``from_address`` and ``reply_to`` and the message's ``headers`` are
        applied here.

        Raises:
            InvalidMessageError: an option or a header is invalid.
        """
        from_address = get_option(message, "from_address", channel=self.channel_name) or settings.DEFAULT_FROM_EMAIL
        reply_to = get_option(message, "reply_to", channel=self.channel_name)
        headers = validate_headers(message.headers, log_id=message.log_id, channel=self.channel_name)

        email = EmailMultiAlternatives(
            subject=one_line(rendered.subject),
            body=rendered.body,
            from_email=from_header(rendered.from_name, from_address),
            to=[address],
            reply_to=list(reply_to) if reply_to else None,
            headers=headers,
        )
        email.attach_alternative(html_document(rendered, message.language), "text/html")
        return email

    def translate_error(self, error: Exception, progress: _SmtpProgress | None, message: Message) -> Exception:
        """Return the channel error that says whether ``error`` may be retried."""
        context = {"channel": self.channel_name, "log_id": message.log_id}
        retry_at = get_current_time() + RETRY_DELAY

        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(error.recipients.values()), (550, b""))
            return _by_code(code, f"the server refused the recipient: {code} {_text(reply)}", retry_at, context)
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return FatalChannelDeliveryError(
                f"the SMTP server rejected the login ({error.smtp_code}); check EMAIL_HOST_USER and "
                "EMAIL_HOST_PASSWORD",
                **context,
            )
        if isinstance(error, smtplib.SMTPResponseException):
            return _by_code(
                error.smtp_code, f"the server replied {error.smtp_code} {_text(error.smtp_error)}", retry_at, context
            )
        if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
            description = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            if progress is not None and progress.payload_sent:
                return FatalChannelDeliveryError(
                    f"delivery unknown: the connection failed after the message data was sent ({description}); "
                    "not retried, so the email is not sent twice",
                    **context,
                )
            return RecoverableChannelDeliveryError(
                f"the SMTP connection failed before the message was sent ({description})", retry_at, **context
            )
        return FatalChannelDeliveryError(
            f"delivery unknown: the email backend raised {type(error).__name__}: {error}", **context
        )


def _by_code(code: int, text: str, retry_at: datetime.datetime, context) -> Exception:
    if 400 <= code < 500:
        return RecoverableChannelDeliveryError(text, retry_at, **context)
    return FatalChannelDeliveryError(text, **context)


def _text(reply) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)
