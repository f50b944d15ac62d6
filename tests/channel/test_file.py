"""The file email channel writes one HTML page per email into a real folder."""

from __future__ import annotations

import logging
import os
import pathlib

import pytest

from edx_ace import ace
from edx_ace.channel import ChannelType
from edx_ace.result import DeliveryStatus
from tests.conftest import make_message


def test_writes_page_and_returns_path(email_dir):
    message = make_message(context={"sender": "Tom & Jerry"})

    outcome = ace.send(message).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.channel_name == "file_email"
    path = outcome.receipt
    assert os.path.dirname(path) == str(email_dir)
    page = pathlib.Path(path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<td>ada@example.com</td>" in page
    assert "<td>Tom &amp; Jerry</td>" in page
    assert "<td>Yes: Hi Tom &amp; Jerry 101</td>" in page
    assert "<title>Tom &amp; Jerry 101</title>" in page
    assert "<p>Hello Ada,</p>" in page
    assert "Tom &amp; Jerry 101 starts soon." in page


def test_same_message_twice_gets_two_files(email_dir):
    message = make_message()

    first = ace.send(message).outcome_for(ChannelType.EMAIL).receipt
    second = ace.send(message).outcome_for(ChannelType.EMAIL).receipt

    assert first != second
    assert sorted(os.listdir(email_dir)) == sorted([os.path.basename(first), os.path.basename(second)])


def test_messages_never_share_a_file(email_dir):
    paths = {ace.send(make_message()).outcome_for(ChannelType.EMAIL).receipt for _ in range(20)}

    assert len(paths) == 20
    assert len(os.listdir(email_dir)) == 20


def test_logs_path(email_dir, caplog):
    caplog.set_level(logging.INFO, logger="edx_ace")
    message = make_message()

    path = ace.send(message).outcome_for(ChannelType.EMAIL).receipt

    assert any(path in record.getMessage() and message.log_id in record.getMessage() for record in caplog.records)


def test_unwritable_folder_fails(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.ACE_CHANNEL_FILE_EMAIL_DIRECTORY = str(blocker / "emails")

    outcome = ace.send(make_message()).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.FAILED
    assert "ACE_CHANNEL_FILE_EMAIL_DIRECTORY" in outcome.reason


@pytest.mark.parametrize("address", [None, "", "two@example.com, three@example.com"])
def test_bad_address_writes_nothing(email_dir, address):
    outcome = ace.send(make_message(email_address=address)).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert not email_dir.exists() or not os.listdir(email_dir)


def test_output_path_relative(email_dir):
    outcome = ace.send(make_message(options={"file_output_path": "welcome/ada.html"})).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.DELIVERED
    assert outcome.receipt == str(email_dir / "welcome" / "ada.html")
    assert pathlib.Path(outcome.receipt).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_output_path_absolute_inside(email_dir):
    target = email_dir / "absolute.htm"

    outcome = ace.send(make_message(options={"file_output_path": str(target)})).outcome_for(ChannelType.EMAIL)

    assert outcome.receipt == str(target)


def test_output_path_is_never_overwritten(email_dir):
    message = make_message(options={"file_output_path": "same.html"})

    first = ace.send(message).outcome_for(ChannelType.EMAIL).receipt
    second = ace.send(message).outcome_for(ChannelType.EMAIL).receipt

    assert first == str(email_dir / "same.html")
    assert second == str(email_dir / "same-1.html")


def test_output_path_without_extension_gets_html(email_dir):
    outcome = ace.send(make_message(options={"file_output_path": "plain"})).outcome_for(ChannelType.EMAIL)

    assert outcome.receipt == str(email_dir / "plain.html")


@pytest.mark.parametrize("path", ["../outside.html", "welcome/../../outside.html", "..", "a/.."])
def test_output_path_with_dotdot_is_invalid(email_dir, tmp_path, path):
    outcome = ace.send(make_message(options={"file_output_path": path})).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert f"options['file_output_path'] {path!r} contains '..'" in outcome.reason
    assert "ACE_CHANNEL_FILE_EMAIL_DIRECTORY" in outcome.reason
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.parametrize("relative", ["outside.html", "emails-sibling/x.html", "emails"])
def test_output_path_outside_folder_is_invalid(email_dir, tmp_path, relative):
    path = str(tmp_path / relative)

    outcome = ace.send(make_message(options={"file_output_path": path})).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert f"options['file_output_path'] {path!r} is outside ACE_CHANNEL_FILE_EMAIL_DIRECTORY" in outcome.reason
    assert sorted(os.listdir(tmp_path)) == []


def test_output_path_through_link_is_invalid(email_dir, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    email_dir.mkdir()
    (email_dir / "link").symlink_to(elsewhere, target_is_directory=True)

    outcome = ace.send(make_message(options={"file_output_path": "link/x.html"})).outcome_for(ChannelType.EMAIL)

    assert outcome.status is DeliveryStatus.INVALID
    assert "is outside ACE_CHANNEL_FILE_EMAIL_DIRECTORY" in outcome.reason
    assert os.listdir(elsewhere) == []
