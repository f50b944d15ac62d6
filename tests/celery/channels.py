"""
The channel of the Celery integration tests: Django email, rate-limited on a message's first try.

A message whose context has ``"rate_limit_first_try": True`` is rejected with a
``RecoverableChannelDeliveryError`` the first time any worker tries it, as a provider's
rate limit would. The first try is remembered in the Django cache that all test workers
share (Redis), so a retry in another worker process goes through.
"""

from __future__ import annotations

import datetime

from django.core.cache import caches

from edx_ace.channel.django_email import DjangoEmailChannel
from edx_ace.errors import RecoverableChannelDeliveryError
from edx_ace.utils.date import get_current_time

#: How long after a rejected first try the channel accepts the message.
RATE_LIMIT_DELAY = datetime.timedelta(seconds=1)


class FirstTryRateLimitedEmailChannel(DjangoEmailChannel):
    """Sends email through Django's SMTP backend, after one scripted rate limit for marked messages."""

    def deliver(self, message, rendered_message):
        if message.context.get("rate_limit_first_try"):
            first_try = caches["default"].add(f"test-first-try:{message.uuid}", "rejected", timeout=600)
            if first_try:
                raise RecoverableChannelDeliveryError(
                    "scripted rate limit on the first try",
                    get_current_time() + RATE_LIMIT_DELAY,
                    channel=self.channel_name,
                    log_id=message.log_id,
                )
        return super().deliver(message, rendered_message)
