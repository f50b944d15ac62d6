"""Message types of the example app."""

from edx_ace.message import MessageType


class WelcomeMessage(MessageType):
    """
    Greets a new learner and lists the courses they are enrolled in.

    Templates: ``example/templates/example/edx_ace/welcomemessage/email/``. The context
    contains ``platform_name``, ``learner_name`` and ``courses``, a list of dicts with
    ``name``, ``start`` (a datetime), ``description`` and ``url``.
    """

    APP_LABEL = "example"
    NAME = "welcomemessage"
