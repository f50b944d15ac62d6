"""Tests of Message, MessageType and Recipient: validation, defaults, personalization and logging."""

from __future__ import annotations

import datetime
import logging
import re
import uuid

import pytest

from edx_ace.message import Message, MessageLoggingAdapter, MessageType
from edx_ace.recipient import Recipient

UTC = datetime.UTC
LATER = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
NAIVE = datetime.datetime(2030, 1, 2, 3, 4, 5)


def make_message(**kwargs) -> Message:
    values = {"app_label": "testapp", "name": "welcome", "recipient": Recipient(username="ada")}
    values.update(kwargs)
    return Message(**values)


class NamedType(MessageType):
    APP_LABEL = "courses"
    NAME = "weekly_digest"


# Message validation


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("app_label", None),
        ("app_label", b"testapp"),
        ("name", 42),
        ("recipient", {"username": "ada"}),
        ("recipient", "ada"),
        ("expiration_time", "2030-01-02T03:04:05+00:00"),
        ("expiration_time", datetime.date(2030, 1, 2)),
        ("context", ["a", "b"]),
        ("context", None),
        ("send_uuid", "6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162"),
        ("language", 7),
        ("log_level", "DEBUG"),
        ("log_level", True),
        ("uuid", "6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162"),
    ],
)
def test_message_rejects_wrong_type(field, value):
    with pytest.raises(TypeError) as raised:
        make_message(**{field: value})

    assert f"Message.{field}" in str(raised.value)
    assert repr(value)[:40] in str(raised.value)


@pytest.mark.parametrize("field", ["app_label", "name"])
@pytest.mark.parametrize("value", ["", ".", "..", "a/b", "a\\b", " padded", "padded\n"])
def test_message_rejects_bad_template_name(field, value):
    with pytest.raises(ValueError, match=re.escape(f"Message.{field}")) as raised:
        make_message(**{field: value})

    assert repr(value) in str(raised.value)


def test_message_rejects_naive_expiration_time():
    with pytest.raises(ValueError, match=re.escape("Message.expiration_time")) as raised:
        make_message(expiration_time=NAIVE)

    assert NAIVE.isoformat() in str(raised.value)
    assert "naive" in str(raised.value)


def test_message_accepts_offset_expiration_time():
    offset = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    expiration_time = datetime.datetime(2030, 1, 2, 9, 34, 5, tzinfo=offset)

    msg = make_message(expiration_time=expiration_time)

    assert msg.expiration_time == expiration_time


def test_message_allows_no_recipient():
    assert make_message(recipient=None).recipient is None


def test_message_defaults():
    msg = make_message()

    assert msg.expiration_time is None
    assert msg.context == {}
    assert msg.send_uuid is None
    assert msg.language is None
    assert msg.log_level is None
    assert isinstance(msg.uuid, uuid.UUID)


def test_message_uuid_unique_per_message():
    assert make_message().uuid != make_message().uuid


def test_message_uuid_is_keyword_only():
    with pytest.raises(TypeError):
        Message("testapp", "welcome", None, None, {}, None, None, None, uuid.uuid4())


def test_message_copies_context():
    context = {"course": "Physics"}

    msg = make_message(context=context)
    context["course"] = "Chemistry"

    assert msg.context == {"course": "Physics"}


def test_message_context_defaults_not_shared():
    first = make_message()
    first.context["course"] = "Physics"

    assert make_message().context == {}


# Recipient validation


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", None), ("username", 12), ("email_address", 12), ("email_address", ["ada@example.com"])],
)
def test_recipient_rejects_wrong_type(field, value):
    values = {"username": "ada", field: value}

    with pytest.raises(TypeError) as raised:
        Recipient(**values)

    assert f"Recipient.{field}" in str(raised.value)
    assert repr(value) in str(raised.value)


def test_recipient_email_address_optional():
    assert Recipient(username="ada").email_address is None


# MessageType defaults


def test_message_type_class_attributes():
    msg_type = NamedType()

    assert msg_type.app_label == "courses"
    assert msg_type.name == "weekly_digest"


def test_message_type_arguments_override_class_attributes():
    msg_type = NamedType(app_label="other", name="reminder")

    assert msg_type.app_label == "other"
    assert msg_type.name == "reminder"


def test_message_type_app_label_from_installed_app():
    class CourseUpdate(MessageType):
        pass

    CourseUpdate.__module__ = "edx_ace.fake_module"

    assert CourseUpdate().app_label == "edx_ace"


def test_message_type_name_from_class_name():
    class CourseUpdate(MessageType):
        APP_LABEL = "courses"

    assert CourseUpdate().name == "courseupdate"


def test_message_type_outside_app_needs_app_label():
    class CourseUpdate(MessageType):
        pass

    CourseUpdate.__module__ = "not_an_app.messages"

    with pytest.raises(ValueError, match=re.escape("not_an_app.messages")) as raised:
        CourseUpdate()

    assert "APP_LABEL" in str(raised.value)


def test_message_type_outside_app_accepts_app_label_argument():
    class CourseUpdate(MessageType):
        pass

    CourseUpdate.__module__ = "not_an_app.messages"

    assert CourseUpdate(app_label="courses").app_label == "courses"


def test_message_type_rejects_naive_expiration_time():
    with pytest.raises(ValueError, match=re.escape("NamedType.expiration_time")):
        NamedType(expiration_time=NAIVE)


@pytest.mark.parametrize(
    ("field", "value"), [("context", "course=Physics"), ("log_level", 1.5), ("uuid", 5), ("name", None)]
)
def test_message_type_rejects_wrong_type(field, value):
    with pytest.raises(TypeError) as raised:
        NamedType(**{field: value})

    assert f"NamedType.{field}" in str(raised.value)
    assert repr(value) in str(raised.value)


# personalize()


def test_personalize_merges_context():
    msg_type = NamedType(context={"course": "Physics", "week": 1})

    msg = msg_type.personalize(Recipient(username="ada"), "en", {"week": 2, "name": "Ada"})

    assert msg.context == {"course": "Physics", "week": 2, "name": "Ada"}


def test_personalize_leaves_type_context():
    msg_type = NamedType(context={"course": "Physics", "week": 1})

    msg_type.personalize(Recipient(username="ada"), "en", {"week": 2, "name": "Ada"})

    assert msg_type.context == {"course": "Physics", "week": 1}


def test_personalize_message_context_independent():
    msg_type = NamedType(context={"course": "Physics"})

    msg = msg_type.personalize(Recipient(username="ada"), "en", {})
    msg.context["course"] = "Chemistry"

    assert msg_type.context == {"course": "Physics"}


def test_personalize_copies_identity():
    recipient = Recipient(username="ada", email_address="ada@example.com")
    msg_type = NamedType(expiration_time=LATER, log_level=logging.INFO)

    msg = msg_type.personalize(recipient, "es", {})

    assert msg.app_label == "courses"
    assert msg.name == "weekly_digest"
    assert msg.recipient == recipient
    assert msg.language == "es"
    assert msg.send_uuid == msg_type.uuid
    assert msg.expiration_time == LATER
    assert msg.log_level == logging.INFO


def test_personalize_new_uuid_per_message():
    msg_type = NamedType()

    first = msg_type.personalize(Recipient(username="ada"), "en", {})
    second = msg_type.personalize(Recipient(username="bob"), "en", {})

    assert first.uuid != second.uuid
    assert first.uuid != msg_type.uuid


def test_personalize_accepts_none_context():
    msg = NamedType(context={"course": "Physics"}).personalize(Recipient(username="ada"), None, None)

    assert msg.context == {"course": "Physics"}


def test_personalize_rejects_non_dict_context():
    with pytest.raises(TypeError) as raised:
        NamedType().personalize(Recipient(username="ada"), "en", [("week", 2)])

    assert "user_context" in str(raised.value)
    assert "list" in str(raised.value)


# Names used in logs


def test_unique_name():
    assert make_message().unique_name == "testapp.welcome"


def test_log_id():
    msg = make_message(uuid=uuid.UUID("6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162"))

    assert msg.log_id == "testapp.welcome:6f1c5e4a-0f6e-4a7c-9a3b-1d2e3f405162"


# MessageLoggingAdapter


LOGGER_NAME = "tests.message_logging"


def test_logger_adapter_type():
    adapter = make_message().get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    assert isinstance(adapter, MessageLoggingAdapter)


def test_logger_prefixes_log_id(caplog):
    msg = make_message()
    logger = msg.get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        logger.info("Delivered over %s", "file_email")

    assert caplog.records[0].getMessage() == f"[{msg.log_id}] Delivered over file_email"


def test_logger_debug_at_debug_by_default(caplog):
    logger = make_message().get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        logger.debug("Attempt %d", 1)

    assert caplog.records[0].levelno == logging.DEBUG


def test_logger_debug_hidden_at_info(caplog):
    logger = make_message().get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        logger.debug("Attempt %d", 1)

    assert caplog.records == []


def test_logger_log_level_raises_debug(caplog):
    msg = make_message(log_level=logging.INFO)
    logger = msg.get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        logger.debug("Attempt %d", 1)

    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.INFO
    assert caplog.records[0].getMessage() == f"[{msg.log_id}] Attempt 1"


def test_logger_log_level_below_debug_ignored(caplog):
    logger = make_message(log_level=5).get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(1, logger=LOGGER_NAME):
        logger.debug("Attempt %d", 1)

    assert caplog.records[0].levelno == logging.DEBUG


def test_logger_log_level_leaves_other_levels(caplog):
    logger = make_message(log_level=logging.ERROR).get_message_specific_logger(logging.getLogger(LOGGER_NAME))

    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        logger.warning("Retrying")

    assert caplog.records[0].levelno == logging.WARNING
