"""
:class:`Recipient`, the person a message is for and how to reach them on each channel.
"""

from __future__ import annotations

import attr

from edx_ace.serialization import OMIT_WHEN_EMPTY, MessageAttributeSerializationMixin
from edx_ace.validators import optional_instance_of, optional_user_id


@attr.s
class Recipient(MessageAttributeSerializationMixin):
    """
    The target of a message.

    ``Recipient(username, email_address)`` works as in edx-ace 0.1.5. Pass ``lms_user_id``
    by keyword. At least one of ``username`` and ``lms_user_id`` is required.

    Args:
        username: The username of the intended recipient.
        email_address: The recipient's email address. Email channels need it.
        lms_user_id: The id of the recipient's user account in the LMS.

    Raises:
        TypeError: neither ``username`` nor ``lms_user_id`` is given, or a value has the wrong type.
    """

    username: str | None = attr.ib(default=None, validator=optional_instance_of(str, "a str"))
    email_address: str | None = attr.ib(default=None, validator=optional_instance_of(str, "a str"))
    lms_user_id: int | None = attr.ib(default=None, validator=optional_user_id, metadata={OMIT_WHEN_EMPTY: True})

    def __attrs_post_init__(self):
        if self.username is None and self.lms_user_id is None:
            raise TypeError(
                "Recipient.username and Recipient.lms_user_id are both None, so the recipient cannot be "
                "identified; pass 'username' (Recipient(username='ada', ...)) or 'lms_user_id' "
                "(Recipient(lms_user_id=42, ...))"
            )
