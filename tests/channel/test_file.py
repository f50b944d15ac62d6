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
