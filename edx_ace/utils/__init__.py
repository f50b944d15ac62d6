"""Helpers used across ACE: ISO 8601 dates, run-once caching and plugin loading."""
