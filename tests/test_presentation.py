"""Rendering of message templates per channel type, through Django's template loaders."""

from __future__ import annotations

import re

import pytest
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import translation

from edx_ace.channel import ChannelType
from edx_ace.presentation import render
from edx_ace.renderers import EmailRenderer, RenderedEmail
from tests.conftest import make_message


def test_template_path_rule():
    path = EmailRenderer().get_template_for_message(make_message(), "body.html")

    assert path == "testapp/edx_ace/welcome/email/body.html"


def test_renders_every_part():
    rendered = render(ChannelType.EMAIL, make_message())

    assert rendered == RenderedEmail(
        from_name="Course Team",
        subject="Yes: Hi\nTom & Jerry 101",
        body_html="<p>Hello Ada,</p><p>Tom &amp; Jerry 101 starts soon.</p>",
        head_html="<title>Tom &amp; Jerry 101</title>",
        body="Hello Ada,\nTom & Jerry 101 starts soon.\n",
    )


def test_text_is_not_escaped_html_is():
    rendered = render(ChannelType.EMAIL, make_message(context={"name": "<b>Ada</b>"}))

    assert "Hello <b>Ada</b>," in rendered.body
    assert "Hello &lt;b&gt;Ada&lt;/b&gt;," in rendered.body_html


def test_renders_in_message_language():
    rendered = render(ChannelType.EMAIL, make_message(language="es"))

    assert rendered.subject.startswith("Sí:")


def test_restores_caller_language():
    with translation.override("fr"):
        render(ChannelType.EMAIL, make_message(language="es"))
        assert translation.get_language() == "fr"


def test_no_language_uses_active_one():
    with translation.override("fr"):
        rendered = render(ChannelType.EMAIL, make_message())

    assert rendered.subject.startswith("Oui:")


def test_context_keys_shadow_message():
    message = make_message(context={"message": "plain data"})

    assert EmailRenderer().template_context(message)["message"] == "plain data"


def test_message_is_in_context():
    message = make_message()

    assert EmailRenderer().template_context(message)["message"] is message


def test_missing_head_is_empty():
    rendered = render(ChannelType.EMAIL, make_message(name="nohead"))

    assert rendered.head_html == ""


def test_missing_template_raises():
    with pytest.raises(TemplateDoesNotExist, match=re.escape("testapp/edx_ace/nosuchmessage/email/from_name.txt")):
        render(ChannelType.EMAIL, make_message(name="nosuchmessage"))


def test_syntax_error_raises():
    with pytest.raises(TemplateSyntaxError, match="no_such_library"):
        render(ChannelType.EMAIL, make_message(name="broken"))
