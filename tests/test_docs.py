"""The docs list every ACE setting and every system check id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edx_ace import conf

REPO_DIR = Path(__file__).resolve().parent.parent
SETTINGS_PAGE = (REPO_DIR / "docs" / "settings.rst").read_text(encoding="utf-8")
CHECKS_PAGE = (REPO_DIR / "docs" / "checks.rst").read_text(encoding="utf-8")
CHECK_IDS = sorted(set(re.findall(r'"(edx_ace\.[EW]\d{3})"', (REPO_DIR / "edx_ace" / "checks.py").read_text())))


@pytest.mark.parametrize("name", sorted(conf.SETTINGS))
def test_setting_in_settings_table(name):
    assert f"   * - ``{name}``" in SETTINGS_PAGE


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_check_id_in_checks_page(check_id):
    assert f"   * - ``{check_id}``" in CHECKS_PAGE


def test_check_ids_found():
    assert "edx_ace.E001" in CHECK_IDS
    assert "edx_ace.W003" in CHECK_IDS
