"""
Delivery policies, which decide the channel types a message must not be sent over.

A policy subclasses :class:`Policy`, is registered under the entry point group
``openedx.ace.policy``, and is enabled by name in the setting ``ACE_ENABLED_POLICIES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import attr
from django.core.exceptions import ImproperlyConfigured

from edx_ace import conf
from edx_ace.channel import ChannelType
from edx_ace.utils.once import once
from edx_ace.utils.plugins import check_plugin_names, get_manager

if TYPE_CHECKING:
    from edx_ace.message import Message

POLICY_NAMESPACE = "openedx.ace.policy"


class Policy:
    """
    Base class of policies. A policy names the channel types a message must not use.

    ACE creates one instance per enabled policy without arguments.
    """

    #: The entry point name this policy was loaded under; set by the registry.
    name: str | None = None

    @classmethod
    def enabled(cls) -> bool:
        """Return whether this policy should be applied; true unless a subclass overrides it."""
        return True

    def check(self, message: Message) -> PolicyResult:
        """Return a :class:`PolicyResult` naming the channel types ``message`` must not be sent over."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement check()")

    @property
    def policy_name(self) -> str:
        """The entry point name of this policy, or its class name when it was not loaded by name."""
        return self.name or type(self).__name__


@attr.s(frozen=True)
class PolicyResult:
    """
    The result of a policy check.

    Args:
        deny: The set of :class:`~edx_ace.channel.ChannelType` values to exclude.
    """

    def check_set_of_channel_types(self, attribute, set_value):
        """Validate that ``set_value`` is a set of ``ChannelType`` values."""
        if not isinstance(set_value, set | frozenset):
            raise TypeError(
                f"PolicyResult.deny must be a set of ChannelType values, got {type(set_value).__name__} "
                f"({set_value!r:.80})"
            )
        for value in set_value:
            if not isinstance(value, ChannelType):
                raise TypeError(
                    f"PolicyResult.deny contains {value!r} ({type(value).__name__}); every element must be a "
                    f"ChannelType such as ChannelType.EMAIL"
                )

    deny: set[ChannelType] = attr.ib(factory=set, validator=check_set_of_channel_types)


@once
def _loaded_policies() -> list[Policy]:
    names = check_plugin_names("ACE_ENABLED_POLICIES", conf.get("ACE_ENABLED_POLICIES"))
    manager = get_manager(POLICY_NAMESPACE, names)

    # A policy may be the recipient's opt-out, so a named policy that cannot run
    # stops every send instead of being skipped.
    if manager.unavailable_names:
        raise ImproperlyConfigured(
            f"ACE_ENABLED_POLICIES names {', '.join(map(repr, manager.unavailable_names))}, which could not be "
            "loaded (not installed, or it failed to import), so no message is sent; install the policy's package "
            "or remove the name, and run `manage.py check`"
        )

    loaded = []
    for extension in manager.extensions:
        # get_manager() instantiates every extension it keeps, so obj is set.
        policy = cast(Policy, extension.obj)
        policy.name = extension.name
        loaded.append(policy)
    return loaded


def policies() -> list[Policy]:
    """
    Return the enabled policies, in the order of ``ACE_ENABLED_POLICIES``.

    Raises:
        ImproperlyConfigured: a named policy is not installed or failed to load.
    """
    return list(_loaded_policies())


def denials(message: Message) -> dict[ChannelType, list[str]]:
    """
    Return, for each denied channel type, the names of the policies that denied it.

    Raises:
        Exception: whatever a policy raised; ``ace.send()`` treats it as a denial of all channels.
        TypeError: a policy returned something other than a :class:`PolicyResult`.
    """
    denied: dict[ChannelType, list[str]] = {}
    for policy in policies():
        result = policy.check(message)
        name = getattr(policy, "policy_name", type(policy).__name__)
        if not isinstance(result, PolicyResult):
            raise TypeError(f"policy {name!r} returned {result!r:.80} from check(); return a PolicyResult")
        for channel_type in result.deny:
            denied.setdefault(channel_type, []).append(name)
    return denied


def channels_for(message: Message) -> set[ChannelType]:
    """Return the set of channel types that every enabled policy allows for ``message``."""
    denied = denials(message)
    return {channel_type for channel_type in ChannelType if channel_type not in denied}


def clear_caches() -> None:
    """Forget the loaded policies so the next send loads them from the current settings."""
    _loaded_policies.cache_clear()
