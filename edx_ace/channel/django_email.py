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
from email import policy as email_policy
from email.message import EmailMessage as MIMEMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend

from edx_ace.channel import Channel, ChannelType, connections
from edx_ace.channel.headers import validate_headers
from edx_ace.channel.mail import from_header, html_document, needs_smtputf8, one_line, recipient_address
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
        """Send the email and return ``None``, or raise a channel error that is recoverable only when a retry is safe."""
        address = recipient_address(message, self.channel_name, allow_utf8_local_part=True)
        email = self.build_email(message, rendered_message, address)
        if needs_smtputf8(address):
            return self.deliver_smtputf8(message, email)

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

    def deliver_smtputf8(self, message: Message, email: EmailMultiAlternatives) -> None:
        """
        Send an email whose recipient has a non-ASCII local part, with SMTPUTF8 (RFC 6531).

        Django's own message code would rewrite such an address, so the email is built
        with Python's ``email`` package and sent over a connection of its own, after the
        server's EHLO reply offers SMTPUTF8.

        Raises:
            InvalidMessageError: the backend is not Django's SMTP backend, or the server
                does not offer SMTPUTF8 (code ``smtputf8_unsupported``); nothing is sent.
        """
        context = {"channel": self.channel_name, "log_id": message.log_id, "code": "smtputf8_unsupported"}
        backend = get_connection(fail_silently=False)
        if not isinstance(backend, SmtpEmailBackend):
            raise InvalidMessageError(
                "the recipient's address has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531); only "
                f"Django's SMTP backend can send it, and EMAIL_BACKEND is {settings.EMAIL_BACKEND!r}",
                **context,
            )

        mime = utf8_mime_message(email)
        progress = None
        try:
            backend.open()
            session = backend.connection
            if session is None:
                raise smtplib.SMTPServerDisconnected("Django's SMTP backend opened no connection")
            session.ehlo_or_helo_if_needed()
            if not session.has_extn("smtputf8"):
                raise InvalidMessageError(
                    "the recipient's address has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the "
                    "SMTP server does not offer it; use a server that supports SMTPUTF8 or ask the recipient for an "
                    "ASCII address",
                    **context,
                )
            progress = _SmtpProgress(session)
            session.send_message(mime, from_addr=parseaddr(email.from_email)[1], to_addrs=list(email.to))
        except InvalidMessageError:
            raise
        except Exception as error:
            raise self.translate_error(error, progress, message) from error
        finally:
            connections.close_quietly(backend)

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
        """Return the channel error that ``error`` becomes: recoverable when it may be retried, fatal otherwise."""
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
        if isinstance(error, ImportError | ImproperlyConfigured):
            return FatalChannelDeliveryError(
                f"the email backend EMAIL_BACKEND={settings.EMAIL_BACKEND!r} could not be loaded, so nothing was sent "
                f"({type(error).__name__}: {error}); set EMAIL_BACKEND to an installed backend",
                code="backend_unavailable",
                **context,
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


def utf8_mime_message(email: EmailMultiAlternatives) -> MIMEMessage:
    """
    Return ``email`` as a message of Python's ``email`` package that keeps UTF-8 addresses.

    Its policy is ``SMTPUTF8``, so headers are written as raw UTF-8 instead of RFC 2047
    encoded-words; only a server that offers SMTPUTF8 may receive it.
    """
    sender = parseaddr(email.from_email)[1]
    mime = MIMEMessage(policy=email_policy.SMTPUTF8)
    mime["From"] = email.from_email
    mime["To"] = ", ".join(email.to)
    if email.reply_to:
        mime["Reply-To"] = ", ".join(email.reply_to)
    mime["Subject"] = email.subject
    mime["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    # The sender's domain names the Message-ID, which spares the DNS lookup Django does.
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    for name, value in email.extra_headers.items():
        mime[name] = value

    mime.set_content(email.body)
    for content, mimetype in email.alternatives:
        maintype, _slash, subtype = mimetype.partition("/")
        if maintype == "text":
            mime.add_alternative(content, subtype=subtype)
    return mime
