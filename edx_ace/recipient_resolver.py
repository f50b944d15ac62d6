"""
:class:`RecipientResolver`, a pattern that keeps the content of a message (its
:class:`~edx_ace.message.MessageType`) apart from the choice of who receives it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edx_ace.message import MessageType


class RecipientResolver:
    """
    Base class of recipient resolvers.

    A subclass implements ``send()``: it selects recipients (from a query, a file, an
    API) and sends each a message personalized from ``msg_type``, usually with
    ``ace.send(msg_type.personalize(recipient, language, context))``.
    """

    def send(self, msg_type: MessageType, *args, **kwargs):
        """Send a message personalized from ``msg_type`` to every recipient this resolver selects."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement send()")
