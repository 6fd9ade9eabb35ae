"""Dialogs of the incident workflow: dispatch, return, verify, close, remind, and a reason/note dialog.

Each dialog only collects arguments and offers them as ``mutation_args()``; the detail panel
performs the named mutation on the writer thread. A required field left empty keeps OK
disabled, so a dialog never produces arguments the mutation would refuse for being empty.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.incidents import DispatchChoices
from ui.form_dialog import FormDialog as _Dialog
from ui.form_dialog import text_edit as _text_edit
from ui.incidents import labels


class DispatchDialog(_Dialog):
    """Dispatch to a county department or to a zone's enforcement team (with members and a lead).

    Args:
        choices: departments, zones and team members.
        lead_department: the routed lead department (preselected for a department dispatch).
        zone_id: the incident's zone (preselected for a team dispatch).
        prefer_team: start on the team option (enforcement matters).
    """

    def __init__(self, choices: DispatchChoices, *, lead_department: str | None, zone_id: str | None,
                 prefer_team: bool = False, subject: str = "", today: date | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Dispatch incident"), parent, subject)
        self.choices = choices
        if today is None:
            from commandroom.services.teams import shanghai_date
            from commandroom.timeutil import utcnow

            today = shanghai_date(utcnow())
        self.today = today
        self.department_radio = QRadioButton(self.tr("County department"))
        self.team_radio = QRadioButton(self.tr("Zone enforcement team"))
        group = QButtonGroup(self)
        group.addButton(self.department_radio)
        group.addButton(self.team_radio)
        row = QHBoxLayout()
        row.addWidget(self.department_radio)
        row.addWidget(self.team_radio)
        row.addStretch(1)
        self.form.addRow(self.tr("Dispatch to"), row)

        self.department_combo = QComboBox()
        for c in choices.departments:
            self.department_combo.addItem(c.name, c.code)
        if lead_department:
            i = self.department_combo.findData(lead_department)
            if i >= 0:
                self.department_combo.setCurrentIndex(i)
        self.form.addRow(self.tr("Department"), self.department_combo)

        self.zone_combo = QComboBox()
        for c in choices.zones:
            self.zone_combo.addItem(self.tr("{zone} team").format(zone=c.name), c.code)
        if zone_id:
            i = self.zone_combo.findData(zone_id)
            if i >= 0:
                self.zone_combo.setCurrentIndex(i)
        self.form.addRow(self.tr("Team"), self.zone_combo)

        self.member_list = QListWidget()
        self.member_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.member_list.setFixedHeight(150)
        self.form.addRow(self.tr("Members"), self.member_list)
        self.lead_combo = QComboBox()
        # long enough for a name with its reason; never clipped to "何德" / "(无"
        self.lead_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.lead_combo.setMinimumContentsLength(12)
        self.lead_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.form.addRow(self.tr("On-site lead"), self.lead_combo)

        self.note_edit = _text_edit(self.tr("Instructions for the assignee (optional)"), 60)
        self.form.addRow(self.tr("Note"), self.note_edit)

        self.department_radio.toggled.connect(self._on_kind_toggled)
        self.zone_combo.currentIndexChanged.connect(self._on_zone_changed)
        self.member_list.itemChanged.connect(self._on_members_changed)
        (self.team_radio if prefer_team or not lead_department else self.department_radio).setChecked(True)
        self._on_zone_changed()
        self._on_kind_toggled()
        self.finish_layout()

    @property
    def target_kind(self) -> str:
        return "team" if self.team_radio.isChecked() else "department"

    def _on_kind_toggled(self, *_: Any) -> None:
        team = self.target_kind == "team"
        for w in (self.zone_combo, self.member_list, self.lead_combo):
            w.setEnabled(team)
        self.department_combo.setEnabled(not team)
        self._update_ok()

    def _on_zone_changed(self, *_: Any) -> None:
        self.member_list.blockSignals(True)
        self.member_list.clear()
        self._names: dict[str, str] = {}
        self._lead_blockers: dict[str, str] = {}
        for m in self.choices.members.get(self.zone_combo.currentData() or "", []):
            status = {"available": self.tr("available"), "en_route": self.tr("en route"),
                      "on_scene": self.tr("on scene"), "off_duty": self.tr("off duty")}.get(m.status, m.status)
            notes = [status]
            blocker = self.lead_blocker(m)
            if m.is_auxiliary:
                notes.append(self.tr("auxiliary"))
            elif blocker:
                notes.append(blocker)  # offered honestly: an expired certificate is said, not hidden
            text = f"{m.name}（{'，'.join(notes)}）"
            item = QListWidgetItem(text)
            if blocker and not m.is_auxiliary:
                item.setForeground(QColor("#922b21"))
                item.setToolTip(self.tr("{name} can go with the team but cannot be the on-site lead").format(
                    name=m.name))
            self._names[m.id] = m.name
            if blocker:
                self._lead_blockers[m.id] = blocker
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.member_list.addItem(item)
        self.member_list.blockSignals(False)
        self._on_members_changed()

    def _on_members_changed(self, *_: Any) -> None:
        current = self.lead_combo.currentData()
        self.lead_combo.clear()
        self.lead_combo.addItem(self.tr("(none)"), None)
        first_able = 0
        for mid, name in self.selected_members():
            blocker = self._lead_blockers.get(mid)
            self.lead_combo.addItem(f"{name}（{blocker}）" if blocker else name, mid)
            if blocker:  # listed, greyed, with the reason: the lead rule is the mutation's, the offer is honest
                self.lead_combo.model().item(self.lead_combo.count() - 1).setEnabled(False)
            elif not first_able:
                first_able = self.lead_combo.count() - 1
        i = self.lead_combo.findData(current) if current is not None else -1
        if i < 0 or current in self._lead_blockers:
            i = first_able  # the first selected member who may lead (or "(none)")
        self.lead_combo.setCurrentIndex(i)

    def lead_blocker(self, m: Any) -> str:
        """Why member ``m`` cannot lead today ("" if they can): auxiliary, no or an expired certificate."""
        if m.is_auxiliary:
            return self.tr("auxiliary, cannot lead")
        if not m.cert_no or m.cert_expiry is None:
            return self.tr("no enforcement certificate")
        if m.cert_expiry < self.today:
            return self.tr("certificate expired {date}").format(date=m.cert_expiry.strftime("%Y-%m-%d"))
        return ""

    def selected_members(self) -> list[tuple[str, str]]:
        out = []
        for i in range(self.member_list.count()):
            item = self.member_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                member_id = item.data(Qt.ItemDataRole.UserRole)
                out.append((member_id, self._names.get(member_id, item.text().split("（")[0])))
        return out

    def check_member(self, member_id: str, checked: bool = True) -> None:
        for i in range(self.member_list.count()):
            item = self.member_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == member_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def is_complete(self) -> bool:
        if self.target_kind == "team":
            return bool(self.zone_combo.currentData())
        return bool(self.department_combo.currentData())

    def mutation_args(self, dispatch_id: str | None = None) -> dict[str, Any]:
        args: dict[str, Any] = {"target_kind": self.target_kind, "dispatch_id": dispatch_id or new_id(),
                                "note": self.note_edit.toPlainText().strip()}
        if self.target_kind == "team":
            args["target_code"] = self.zone_combo.currentData()
            members = [mid for mid, _n in self.selected_members()]
            if members:
                args["member_ids"] = members
                lead = self.lead_combo.currentData()
                if lead:
                    args["lead_member_id"] = lead
        else:
            args["target_code"] = self.department_combo.currentData()
        return args


class ReturnDialog(_Dialog):
    """Return (退回) with a reason and a counter-proposal: who should handle it instead, and why."""

    def __init__(self, choices: DispatchChoices, subject: str = "", parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Return incident"), parent, subject)
        hint = QLabel(self.tr("A return needs a reason. Say who should handle it instead: the county "
                              "governance center arbitrates."))
        hint.setWordWrap(True)
        hint.setObjectName("Muted")
        self.layout_.insertWidget(1, hint)
        self.reason_edit = _text_edit(self.tr("Why this is not yours to handle (required)"))
        self.form.addRow(self.tr("Reason"), self.reason_edit)
        self.proposal_combo = QComboBox()
        self.proposal_combo.addItem(self.tr("(no proposal)"), None)
        for c in choices.departments:
            self.proposal_combo.addItem(c.name, c.name)
        self.form.addRow(self.tr("Should be handled by"), self.proposal_combo)
        self.proposal_edit = _text_edit(self.tr("Basis for the proposal, e.g. the list item (optional)"), 60)
        self.form.addRow(self.tr("Basis"), self.proposal_edit)
        self.reason_edit.textChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.reason_edit.toPlainText().strip())

    def counter_proposal(self) -> str:
        who = self.proposal_combo.currentData()
        text = self.proposal_edit.toPlainText().strip()
        if who and text:
            return f"{who}：{text}"
        return who or text

    def mutation_args(self) -> dict[str, Any]:
        return {"reason": self.reason_edit.toPlainText().strip(), "counter_proposal": self.counter_proposal()}


class TextDialog(_Dialog):
    """One text field: a progress note, an escalation reason, a reopen reason.

    Args:
        key: the mutation argument the text goes to (``note`` or ``reason``).
        required: OK stays disabled while the text is empty.
    """

    def __init__(self, title: str, field_label: str, key: str, *, required: bool = True, placeholder: str = "",
                 subject: str = "", parent: QWidget | None = None) -> None:
        super().__init__(title, parent, subject)
        self.key = key
        self.required = required
        self.text_edit = _text_edit(placeholder, 110)
        self.form.addRow(field_label, self.text_edit)
        self.text_edit.textChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return not self.required or bool(self.text_edit.toPlainText().strip())

    def mutation_args(self) -> dict[str, Any]:
        text = self.text_edit.toPlainText().strip()
        return {self.key: text} if text or self.required else {}


class VerifyDialog(_Dialog):
    """Verification (核查): passed closes the incident, failed sends it back (a note is required)."""

    def __init__(self, verifier: str, subject: str = "", parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Verify the result"), parent, subject)
        self.pass_radio = QRadioButton(self.tr("Passed: close the incident"))
        self.fail_radio = QRadioButton(self.tr("Failed: back to handling"))
        self.pass_radio.setChecked(True)
        box = QVBoxLayout()
        box.addWidget(self.pass_radio)
        box.addWidget(self.fail_radio)
        self.form.addRow(self.tr("Result"), box)
        self.verifier_edit = QLineEdit(verifier)
        self.form.addRow(self.tr("Verified by"), self.verifier_edit)
        self.note_edit = _text_edit(self.tr("What was checked; required when it failed"))
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.photos = PhotoPicker()  # the checker's own photos (核查照片), kept on the timeline entry
        self.form.addRow(self.tr("Check photos"), self.photos)
        for w in (self.pass_radio, self.fail_radio):
            w.toggled.connect(self._update_ok)
        self.note_edit.textChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return self.pass_radio.isChecked() or bool(self.note_edit.toPlainText().strip())

    def mutation_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"passed": self.pass_radio.isChecked(),
                                "verified_by": self.verifier_edit.text().strip()}
        note = self.note_edit.toPlainText().strip()
        if note:
            args["note"] = note
        if self.photos.files:
            args["photos"] = self.photos.hashes()
        return args

    def photo_files(self) -> list[Path]:
        return [p for _h, p in self.photos.files]


class PhotoPicker(QWidget):
    """A list of picked photo files, each remembered with its sha256 (the photo's identity)."""

    files_did_change = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setFixedHeight(64)
        layout.addWidget(self.list, 1)
        self.add_button = QPushButton(self.tr("Add…"))
        self.add_button.clicked.connect(self._on_add_clicked)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        # as tall as its list: a taller form row would float the list away from its button
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.files: list[tuple[str, Path]] = []

    def _on_add_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Choose photos"), "",
                                                self.tr("Images (*.jpg *.jpeg *.png)"))
        for p in paths:
            self.add_file(Path(p))

    def add_file(self, path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in [h for h, _p in self.files]:
            self.files.append((digest, path))
            self.list.addItem(path.name)
            self.files_did_change.emit()
        return digest

    def hashes(self) -> list[str]:
        return [h for h, _p in self.files]


class CloseDialog(_Dialog):
    """Close (办结/销号) with a note and before/after photos; shows what the matter's closure rule asks
    (闭环), what is still missing, and — only then — a reason to close anyway (the room's override)."""

    def __init__(self, subject: str = "", parent: QWidget | None = None, requirement: Any = None) -> None:
        super().__init__(self.tr("Close incident"), parent, subject)
        self.requirement = requirement
        self.rule_label = QLabel()
        self.missing_label = QLabel()
        self.missing_label.setStyleSheet("QLabel { color: #b3261e; font-weight: bold; }")
        if requirement is not None:
            self.rule_label.setText(requirement.describe())
            self.form.addRow(self.tr("Closing needs"), self.rule_label)
            self.form.addRow(self.tr("Missing"), self.missing_label)
        self.note_edit = _text_edit(self.tr("How it was resolved (required)"))
        self.form.addRow(self.tr("Result"), self.note_edit)
        self.before = PhotoPicker()
        self.after = PhotoPicker()
        self.form.addRow(self.tr("Photos before"), self.before)
        self.form.addRow(self.tr("Photos after"), self.after)
        self.override_edit = _text_edit(self.tr("Why close without what is missing (counted in the assessment)"), 56)
        self.override_row_label = QLabel(self.tr("Reason to close anyway"))
        self.form.addRow(self.override_row_label, self.override_edit)
        self.note_edit.textChanged.connect(self._update_ok)
        self.override_edit.textChanged.connect(self._update_ok)
        self.before.files_did_change.connect(self._update_missing)
        self.after.files_did_change.connect(self._update_missing)
        self._update_missing()
        self.finish_layout()

    def missing(self) -> list[str]:
        """What the rule asks and the incident (with the photos picked here) still lacks, in words."""
        req = self.requirement
        if req is None:
            return []
        out = []
        if req.missing_before and not self.before.files:
            out.append(self.tr("photos before"))
        if req.missing_after and not self.after.files:
            out.append(self.tr("photos after"))
        waiting = req.still_to_verify("room")
        if "grid_worker" in waiting:
            out.append(self.tr("the grid worker's check"))
        return out

    def _update_missing(self) -> None:
        missing = self.missing()
        self.missing_label.setText("、".join(missing) if missing else self.tr("nothing: it may be closed"))
        self.override_edit.setVisible(bool(missing))
        self.override_row_label.setVisible(bool(missing))
        self._update_ok()

    def is_complete(self) -> bool:
        if not self.note_edit.toPlainText().strip():
            return False
        return not self.missing() or bool(self.override_edit.toPlainText().strip())

    def photo_files(self) -> list[Path]:
        return [p for _h, p in self.before.files + self.after.files]

    def mutation_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"note": self.note_edit.toPlainText().strip(), "photos_before": self.before.hashes(),
                                "photos_after": self.after.hashes()}
        if self.missing():
            args["override_reason"] = self.override_edit.toPlainText().strip()
        return args


class RemindDialog(_Dialog):
    """A step up the escalation ladder: reminder → supervision order → leader notice."""

    def __init__(self, current: str, subject: str = "", parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Send a reminder"), parent, subject)
        ladder = ["reminder", "supervision_order", "leader_notice"]
        self.level_combo = QComboBox()
        rank = ladder.index(current) + 1 if current in ladder else 0
        for level in ladder[rank:]:
            self.level_combo.addItem(labels.label(labels.ESCALATION_LABELS, level), level)
        self.form.addRow(self.tr("Level"), self.level_combo)
        self.note_edit = _text_edit(self.tr("Message to the assignee (optional)"), 60)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.finish_layout()

    def is_complete(self) -> bool:
        return self.level_combo.count() > 0

    def mutation_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"level": self.level_combo.currentData()}
        note = self.note_edit.toPlainText().strip()
        if note:
            args["note"] = note
        return args
