#!/usr/bin/env python
"""Run Django management commands, with the test settings unless DJANGO_SETTINGS_MODULE is set."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "test_settings")

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
