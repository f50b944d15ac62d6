"""Hypothesis strategies that build recipients, contexts, messages and message types."""

from __future__ import annotations

import datetime

from django.utils.safestring import mark_safe
from hypothesis import strategies as st

from edx_ace.message import Message, MessageType
from edx_ace.recipient import Recipient

#: Any unicode text, lone surrogates and control characters included.
any_text = st.text(st.characters(exclude_categories=()))


def _is_template_name_part(text: str) -> bool:
    return bool(text) and text == text.strip() and "/" not in text and "\\" not in text and text not in {".", ".."}


#: Values accepted as an app label or a message name: one folder of a template path.
template_name_parts = any_text.filter(_is_template_name_part)

#: Fixed UTC offsets strictly inside one day, in whole seconds as in the tz database (local
#: mean times such as +00:09:21). NOTE: Python 3.11's ``fromisoformat`` reads an offset of
#: only microseconds, such as ``+00:00:00.000001``, as UTC, so such offsets are left out.
utc_offsets = st.integers(min_value=-(24 * 3600 - 1), max_value=24 * 3600 - 1).map(
    lambda seconds: datetime.timezone(datetime.timedelta(seconds=seconds))
)

aware_datetimes = st.datetimes(timezones=utc_offsets)

languages = st.one_of(
    st.none(),
    st.sampled_from(["en", "es", "fr", "es-419", "pt-br", "zh-hans"]),
    st.from_regex(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", fullmatch=True),
)

recipients = st.builds(Recipient, username=any_text, email_address=st.none() | any_text)

#: Context values that JSON lacks and the JSON form tags: each must come back as its own type.
tagged_scalars = st.one_of(
    st.datetimes(),
    aware_datetimes,
    st.dates(),
    st.times(),
    st.times(timezones=utc_offsets),
    st.uuids(),
    st.decimals(allow_nan=False),
    st.builds(mark_safe, any_text),
    recipients,
)


def _tagged_containers(children):
    return (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(any_text, children, max_size=4)
        # A dict whose own keys look like the tag used by the JSON form.
        | st.dictionaries(st.just("__ace__") | st.just("value") | any_text, children, min_size=1, max_size=3)
    )


#: Every value a context may contain, nested: JSON values and the tagged types.
context_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text | tagged_scalars,
    _tagged_containers,
    max_leaves=12,
)

#: Message contexts; the key "__ace__" is drawn often, because the JSON form must escape it.
contexts = st.dictionaries(st.one_of(st.just("__ace__"), any_text), context_values, max_size=5)

messages = st.builds(
    Message,
    app_label=template_name_parts,
    name=template_name_parts,
    recipient=st.none() | recipients,
    expiration_time=st.none() | aware_datetimes,
    context=contexts,
    send_uuid=st.none() | st.uuids(),
    language=languages,
    log_level=st.none() | st.integers(),
    uuid=st.uuids(),
)

message_types = st.builds(
    MessageType,
    context=contexts,
    expiration_time=st.none() | aware_datetimes,
    app_label=template_name_parts,
    name=template_name_parts,
    log_level=st.none() | st.integers(),
    uuid=st.uuids(),
)
