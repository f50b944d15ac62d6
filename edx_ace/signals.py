"""
Django signals that ACE sends.

``ACE_MESSAGE_SENT`` is sent once per channel that delivered a message, right after the
delivery. Its receivers get these keyword arguments:

- ``sender``: the class of the channel;
- ``channel_name``: the name of the channel, such as ``"django_email"``;
- ``channel_type``: the channel type's value, such as ``"email"``;
- ``message``: a JSON-safe summary of the message (see :func:`message_summary`).

Receivers run inside ``ace.send()``. One that raises is logged with the message's log id
and changes nothing else: the message stays delivered and later receivers still run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

from edx_ace.serialization import encode_value

if TYPE_CHECKING:
    from edx_ace.channel import Channel
    from edx_ace.message import Message

log = logging.getLogger(__name__)

#: Sent after each successful delivery of a message over one channel.
ACE_MESSAGE_SENT = Signal()


def message_summary(message: Message) -> dict[str, Any]:
    """
    Return what receivers of ``ACE_MESSAGE_SENT`` learn about ``message``, as JSON-safe data.

    The summary contains the name, the app label, the recipient's ids (``username`` and
    ``lms_user_id``, never the email address), the uuid, the send uuid and the options.
    Option values of types JSON lacks are tagged as in the message's JSON form.
    """
    recipient = message.recipient
    return {
        "name": message.name,
        "app_label": message.app_label,
        "recipient": {
            "username": getattr(recipient, "username", None),
            "lms_user_id": getattr(recipient, "lms_user_id", None),
        },
        "uuid": str(message.uuid),
        "send_uuid": str(message.send_uuid) if message.send_uuid else None,
        "options": encode_value(message.options, "Message.options"),
    }


def send_message_sent(channel: Channel, message: Message) -> None:
    """
    Send ``ACE_MESSAGE_SENT`` for one delivery of ``message`` over ``channel``.

    An error in a receiver, or in building the summary, is logged and not raised.
    """
    logger = message.get_message_specific_logger(log)
    try:
        summary = message_summary(message)
    except Exception:
        logger.exception("ACE_MESSAGE_SENT was not sent for %s: the message summary failed", channel.channel_name)
        return

    responses = ACE_MESSAGE_SENT.send_robust(
        sender=type(channel),
        channel_name=channel.channel_name,
        channel_type=str(channel.channel_type),
        message=summary,
    )
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "A receiver of ACE_MESSAGE_SENT, %s, raised an error after delivery over %s; the message "
                "stays delivered",
                getattr(receiver, "__qualname__", repr(receiver)),
                channel.channel_name,
                exc_info=response,
            )
