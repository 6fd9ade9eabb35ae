"""The form dialog every area's action dialogs build on: a heading, a form, OK/Cancel."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class FormDialog(QDialog):
    """A heading, a form, OK/Cancel; OK is enabled only when :meth:`is_complete`."""

    def __init__(self, title: str, parent: QWidget | None = None, subject: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.layout_ = QVBoxLayout(self)
        self.heading = QLabel(f"{title}：{subject}" if subject else title)
        self.heading.setObjectName("SectionTitle")
        self.heading.setWordWrap(True)
        self.layout_.addWidget(self.heading)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.layout_.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.buttons)
        self._update_ok()

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def is_complete(self) -> bool:
        return True

    def _update_ok(self, *_: Any) -> None:
        self.ok_button().setEnabled(self.is_complete())


def text_edit(placeholder: str = "", height: int = 80) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(height)
    return edit
