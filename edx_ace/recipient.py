"""
:class:`Recipient`, the person a message is for and how to reach them on each channel.
"""

from __future__ import annotations

import attr

from edx_ace.serialization import MessageAttributeSerializationMixin
from edx_ace.validators import instance_of, optional_instance_of


@attr.s
class Recipient(MessageAttributeSerializationMixin):
    """
    The target of a message.

    Args:
        username: The username of the intended recipient.
        email_address: The recipient's email address. Email channels need it.
    """

    username: str = attr.ib(validator=instance_of(str, "a str"))
    email_address: str | None = attr.ib(default=None, validator=optional_instance_of(str, "a str"))
