"""A channel for tests whose ``deliver()`` follows a script of results and errors."""

from __future__ import annotations

from edx_ace.channel import Channel, ChannelType


class ScriptedChannel(Channel):
    """
    Records every delivery attempt and, for each, raises or returns the next scripted step.

    A callable step is called at the attempt, so it can read the test's clock then.

    When the script runs out, attempts succeed and return ``"ok"``.
    """

    def __init__(self, channel_type=ChannelType.EMAIL, script=(), name="scripted"):
        self.channel_type = channel_type
        self.name = name
        self.script = list(script)
        self.attempts = []

    def deliver(self, message, rendered_message):
        self.attempts.append((message, rendered_message))
        if self.script:
            step = self.script.pop(0)
            if callable(step):
                step = step()
            if isinstance(step, BaseException):
                raise step
            return step
        return "ok"
