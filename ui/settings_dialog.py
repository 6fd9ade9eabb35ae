"""设置: language, theme, sound, the county server and this workstation's name, in the window.

The values live where the rest of the configuration lives, the TOML file in the config folder
(``commandroom.config.save_settings``); flags and ``COMMANDROOM_*`` variables still win over it
when given. Theme and sound apply at once; the language applies to windows opened after the
next start; the server and the workstation name are used from the next sign-in on (they are also
what the sign-in dialog shows).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class SettingsDialog(QDialog):
    """Edit the user-facing settings; :attr:`saved` holds what was written (after Save)."""

    def __init__(self, settings: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.saved: dict[str, Any] = {}
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.language_combo = QComboBox()
        self.language_combo.addItem("中文（简体）", "zh_CN")
        self.language_combo.addItem("English", "en")
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.language)))
        form.addRow(self.tr("Language"), self.language_combo)
        self.theme_combo = QComboBox()
        self.theme_combo.addItem(self.tr("Light"), "light")
        self.theme_combo.addItem(self.tr("Dark"), "dark")
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        form.addRow(self.tr("Theme"), self.theme_combo)
        self.sound_check = QCheckBox(self.tr("Play a sound for urgent reports"))
        self.sound_check.setChecked(bool(settings.sound))
        form.addRow(self.tr("Sound"), self.sound_check)
        self.server_edit = QLineEdit(settings.server_url)
        self.server_edit.setPlaceholderText("https://commandroom.example.gov.cn")
        form.addRow(self.tr("County server"), self.server_edit)
        self.workstation_edit = QLineEdit(settings.workstation_name)
        self.workstation_edit.setPlaceholderText(self.tr("e.g. Qiuchuan command room desk 1"))
        self.workstation_edit.setMaxLength(64)
        form.addRow(self.tr("Workstation name"), self.workstation_edit)
        layout.addLayout(form)
        note = QLabel(self.tr("Theme and sound change at once. The language changes at the next start; the server "
                              "and the workstation name are used from the next sign-in."))
        note.setWordWrap(True)
        note.setObjectName("Muted")
        layout.addWidget(note)
        overridden = sorted(k for k, origin in (settings.sources or {}).items()
                            if origin in ("environment", "command line") and k in self.values())
        self.override_label = QLabel(self.tr("Set for this run by a flag or an environment variable, which wins "
                                             "over what is saved here: {keys}").format(keys=", ".join(overridden)))
        self.override_label.setWordWrap(True)
        self.override_label.setVisible(bool(overridden))
        layout.addWidget(self.override_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c0392b;")
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        return {"language": self.language_combo.currentData(), "theme": self.theme_combo.currentData(),
                "sound": self.sound_check.isChecked(), "server_url": self.server_edit.text().strip(),
                "workstation_name": self.workstation_edit.text().strip()}

    def _on_save(self) -> None:
        from commandroom.config import save_settings
        from commandroom.domain.errors import DomainError

        values = self.values()
        if not values["server_url"].startswith(("http://", "https://")):
            self._show_error(self.tr("The county server's address must start with http:// or https://."))
            self.server_edit.setFocus()
            return
        try:
            save_settings(values, config_file=self.settings.config_file)
        except DomainError as exc:
            self._show_error(self.tr("Not saved: {message}").format(message=exc.message))
            return
        except OSError as exc:
            self._show_error(self.tr("Not saved: the settings file cannot be written ({error}).").format(error=exc))
            return
        self.saved = values
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
