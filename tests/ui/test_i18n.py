"""Every tr() string in ui/ has a finished zh_CN translation, and the committed .ts/.qm are current.

Fixing a failure: add the missing Chinese to resources/i18n/zh_CN.json and run
``.venv/bin/python scripts/i18n.py`` (see ui/i18n.py for how strings are written).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_ui_string_has_a_chinese_translation():
    proc = subprocess.run([sys.executable, "scripts/i18n.py", "--check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_chinese_is_loaded_and_english_is_the_source(qapp):
    from PySide6.QtCore import QCoreApplication

    from ui.i18n import install_translators

    try:
        assert install_translators(qapp, "zh_CN") == "zh_CN"
        assert QCoreApplication.translate("MainWindow", "Report inbox") == "收件箱"
        assert QCoreApplication.translate("Labels", "Duty officer") == "值班员"
    finally:
        assert install_translators(qapp, "en") == "en"
    assert QCoreApplication.translate("MainWindow", "Report inbox") == "Report inbox"


def test_enum_labels_agree_with_the_core_labels(qapp):
    """The Chinese of the UI's label tables is the core's Chinese label of the same value."""
    from PySide6.QtCore import QCoreApplication

    from commandroom.domain import enums
    from ui import i18n

    pairs = [(i18n.ROLE_LABELS, enums.ROLE_LABELS), (i18n.SOURCE_LABELS, enums.SOURCE_LABELS),
             (i18n.URGENCY_LABELS, enums.URGENCY_LABELS), (i18n.REPORT_STATE_LABELS, enums.REPORT_STATE_LABELS),
             (i18n.INCIDENT_STATE_LABELS, enums.INCIDENT_STATE_LABELS)]
    try:
        i18n.install_translators(qapp, "zh_CN")
        for ui_table, core_table in pairs:
            for value, core_label in core_table.items():
                assert i18n.label(ui_table, value.value) == core_label, value
        assert QCoreApplication.translate("Labels", "New") == "待受理"
    finally:
        i18n.install_translators(qapp, "en")


def test_each_incident_state_has_one_colour_on_every_screen():
    """The detail's badge and the map's markers take a state's colour from one table; no two states share one."""
    from commandroom.domain.enums import IncidentState
    from ui.common.states import INCIDENT_STATE_COLOURS, incident_state_colour
    from ui.map.page import STATE_COLORS

    assert set(INCIDENT_STATE_COLOURS) == {s.value for s in IncidentState}
    assert len(set(INCIDENT_STATE_COLOURS.values())) == len(INCIDENT_STATE_COLOURS)
    assert {str(k): v for k, v in STATE_COLORS.items()} == INCIDENT_STATE_COLOURS
    assert incident_state_colour("in_progress") == STATE_COLORS[IncidentState.IN_PROGRESS] == "#7c3aed"
