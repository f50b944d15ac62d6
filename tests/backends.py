"""Email backends for tests that play a misbehaving provider."""


class NothingBackend:
    """An email backend that accepts no message, as a misconfigured provider might."""

    def __init__(self, **kwargs):
        pass

    def open(self):
        return False

    def close(self):
        pass

    def send_messages(self, messages):
        return 0
