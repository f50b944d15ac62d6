"""A small Django app that defines a message type and its templates, used by the demo."""
