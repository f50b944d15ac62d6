"""
ACE, the Automated Communication Engine: a Django app that sends templated messages to
learners over pluggable channels, after pluggable policies allow it.

This package exports the names most callers need.
"""

from edx_ace.ace import send
from edx_ace.channel import Channel, ChannelType
from edx_ace.message import Message, MessageType
from edx_ace.policy import Policy, PolicyResult
from edx_ace.recipient import Recipient
from edx_ace.recipient_resolver import RecipientResolver

__version__ = "0.2.0"

__all__ = [
    "Channel",
    "ChannelType",
    "Message",
    "MessageType",
    "Policy",
    "PolicyResult",
    "Recipient",
    "RecipientResolver",
    "send",
]
