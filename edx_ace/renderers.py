"""
Renderers turn a message into the rendered content one channel type needs.

Each :class:`~edx_ace.channel.ChannelType` has one renderer. A renderer renders one Django
template per attribute of its rendered-message class, found at
``{app_label}/edx_ace/{name}/{channel_type}/{file}`` where ``file`` is ``{attribute}.txt``,
or ``{prefix}.html`` for an attribute named ``{prefix}_html``.

``.html`` templates are rendered with autoescaping; ``.txt`` templates without it, since
plain text is not HTML (a subject reads ``Tom & Jerry``, not ``Tom &amp; Jerry``).

The renderer for email needs these templates:

- ``from_name.txt``: the display name of the sender
- ``subject.txt``: the subject line
- ``body.txt``: the plain-text body
- ``body.html``: the content of the HTML ``<body>``
- ``head.html``: the content of the HTML ``<head>`` (optional; empty when missing)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attr
from django.template import Context, TemplateDoesNotExist
from django.template.backends.django import Template as DjangoBackendTemplate

from edx_ace.channel import ChannelType
from edx_ace.template_cache import get_template

if TYPE_CHECKING:
    from edx_ace.message import Message


@attr.s
class RenderedEmail:
    """The rendered parts of an email message, each a str."""

    from_name: str = attr.ib()
    subject: str = attr.ib()
    body_html: str = attr.ib()
    head_html: str = attr.ib()
    body: str = attr.ib()


class AbstractRenderer:
    """
    Base class of renderers.

    A renderer takes the templates of one channel type and the message's context and
    returns an instance of ``rendered_message_cls``.
    """

    # Every concrete renderer sets the next two. The base keeps None, which the annotations
    # leave out so that callers need no None check.
    #: The :class:`~edx_ace.channel.ChannelType` this renderer serves.
    channel: ChannelType = None  # type: ignore[assignment]
    #: The attrs class whose attributes are rendered, one template each.
    rendered_message_cls: type[Any] = None  # type: ignore[assignment]
    #: Attributes whose template may be missing; they render as an empty string.
    optional_attributes: frozenset[str] = frozenset()

    def get_template_for_message(self, message: Message, filename: str) -> str:
        """Return the template path of ``filename`` (such as ``"subject.txt"``) for ``message``."""
        return f"{message.app_label}/edx_ace/{message.name}/{self.channel.value}/{filename}"

    @staticmethod
    def filename_for(attribute: str) -> str:
        """Return the template file name of a rendered attribute: ``body_html`` -> ``body.html``."""
        if attribute.endswith("_html"):
            return attribute[: -len("_html")] + ".html"
        return attribute + ".txt"

    def template_context(self, message: Message) -> dict[str, Any]:
        """Return the template context: ``message`` plus the message's context, whose keys win."""
        return {"message": message, **message.context}

    def render(self, message: Message) -> Any:
        """
        Render every attribute of ``rendered_message_cls`` for ``message``.

        Raises:
            TemplateDoesNotExist: a required template is missing, or a template includes
                one that is missing.
            Exception: whatever the template engine raised while compiling or rendering,
                including an exception raised by a context value. The exception's
                ``ace_template_path`` attribute names the template being rendered.
        """
        context = self.template_context(message)
        values = {}
        for field in attr.fields(self.rendered_message_cls):
            filename = self.filename_for(field.name)
            path = self.get_template_for_message(message, filename)
            try:
                template = get_template(path)
            except TemplateDoesNotExist as error:
                if field.name in self.optional_attributes and _is_missing(error, path):
                    values[field.name] = ""
                    continue
                _mark_path(error, path)
                raise
            except Exception as error:
                _mark_path(error, path)
                raise
            try:
                values[field.name] = render_template(template, context, autoescape=filename.endswith(".html"))
            except Exception as error:
                _mark_path(error, path)
                raise
        return self.rendered_message_cls(**values)


def _is_missing(error: TemplateDoesNotExist, path: str) -> bool:
    """Return whether ``error`` reports that the template ``path`` itself is missing, not one it includes."""
    return str(error) == path or error.args[:1] == (path,)


def _mark_path(error: Exception, path: str) -> None:
    """Mark ``error`` with the template being rendered, which the send result names."""
    if getattr(error, "ace_template_path", None) is None:
        error.ace_template_path = path  # type: ignore[attr-defined]
        error.add_note(f"while rendering the template {path}")


def render_template(template, context: dict[str, Any], autoescape: bool) -> str:
    """
    Render a template from ``get_template()`` with autoescaping on or off.

    Django templates honour ``autoescape``. Other engines render as their own settings configure.
    """
    if isinstance(template, DjangoBackendTemplate):
        return template.template.render(Context(context, autoescape=autoescape))
    return template.render(context)


class EmailRenderer(AbstractRenderer):
    """The renderer for :attr:`ChannelType.EMAIL <edx_ace.channel.ChannelType.EMAIL>` channels."""

    channel = ChannelType.EMAIL
    rendered_message_cls = RenderedEmail
    optional_attributes = frozenset({"head_html"})
