"""Sign-in: the first run asks for the county server, the workstation name and the account.

Later sign-ins show only user name and password (the connection fields stay one click
away). Signing in works without the network: when the server cannot be reached the app
checks the password against the verifier stored at the last online sign-in
(``DeskStore.verify_offline``), and the room keeps working on the local cache.

The dialog does not know how to authenticate: it awaits the ``authenticate`` coroutine
function it is given (see :func:`ui.app.make_authenticator`). At a cold start it is the first
window, shown before the local store has opened (issue #4); "Sign in" then first awaits
``ready``, the store opening in the background, and says so while it waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True)
class LoginRequest:
    server_url: str
    workstation_name: str
    username: str
    password: str


@dataclass(frozen=True)
class LoginResult:
    """Who signed in and how (``online`` False: checked against the offline verifier)."""

    user: dict[str, Any]
    online: bool
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class LoginError(Exception):
    """Sign-in failed; ``message`` is shown to the user as is (already translated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Authenticate = Callable[[LoginRequest], Awaitable[LoginResult]]


class LoginDialog(QDialog):
    """The sign-in dialog (see module docstring).

    Args:
        authenticate: coroutine function ``LoginRequest -> LoginResult`` (raises LoginError).
        server_url, workstation_name, username: prefilled values.
        first_run: show the connection fields open and explain them.
        ready: a future that "Sign in" awaits before ``authenticate`` (the local store still
            opening); its exception is shown in the dialog.
    """

    def __init__(self, authenticate: Authenticate, *, server_url: str = "", workstation_name: str = "",
                 username: str = "", first_run: bool = False, ready: asyncio.Future | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._authenticate = authenticate
        self._ready = ready
        self.result_value: LoginResult | None = None
        self.task: asyncio.Task | None = None
        self.setWindowTitle(self.tr("Command Room · sign in"))
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        # the dialog grows with what it shows (a message after a wrong password): fields are never squashed
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        title = QLabel(self.tr("Township Integrated Information Command Room"))
        title.setObjectName("DetailTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        if first_run:
            intro = QLabel(self.tr("First start on this workstation: enter the county server's address and a name "
                                   "for this workstation, then sign in. Later you can sign in without the network."))
            intro.setWordWrap(True)
            intro.setObjectName("Muted")
            layout.addWidget(intro)

        self.connection_box = QGroupBox(self.tr("Connection"))
        cform = QFormLayout(self.connection_box)
        self.server_edit = QLineEdit(server_url)
        self.server_edit.setPlaceholderText("https://commandroom.example.gov.cn")
        self.workstation_edit = QLineEdit(workstation_name)
        self.workstation_edit.setPlaceholderText(self.tr("e.g. Qiuchuan command room desk 1"))
        cform.addRow(self.tr("County server"), self.server_edit)
        cform.addRow(self.tr("Workstation name"), self.workstation_edit)
        layout.addWidget(self.connection_box)
        self.connection_box.setVisible(first_run)

        form = QFormLayout()
        self.username_edit = QLineEdit(username)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("User name"), self.username_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        layout.addLayout(form)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        layout.addWidget(self.message_label)

        buttons = QDialogButtonBox()
        self.login_button = QPushButton(self.tr("Sign in"))
        self.login_button.setDefault(True)
        buttons.addButton(self.login_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.connection_button = QPushButton(self.tr("Connection…"))
        self.connection_button.setCheckable(True)
        self.connection_button.setChecked(first_run)
        self.connection_button.toggled.connect(self.connection_box.setVisible)
        buttons.addButton(self.connection_button, QDialogButtonBox.ButtonRole.ActionRole)
        quit_button = buttons.addButton(self.tr("Quit"), QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.clicked.connect(self.reject)
        self.login_button.clicked.connect(self._on_login_clicked)
        layout.addWidget(buttons)
        (self.password_edit if username else self.username_edit).setFocus()
        if first_run and not server_url:
            self.server_edit.setFocus()

    def request(self) -> LoginRequest:
        return LoginRequest(
            server_url=self.server_edit.text().strip(),
            workstation_name=self.workstation_edit.text().strip(),
            username=self.username_edit.text().strip(),
            password=self.password_edit.text(),
        )

    def problem(self) -> str:
        req = self.request()
        if not req.server_url:
            return self.tr("Enter the county server's address.")
        if not req.workstation_name:
            return self.tr("Give this workstation a name (it appears in every timeline entry).")
        if not req.username or not req.password:
            return self.tr("Enter user name and password.")
        return ""

    def show_message(self, text: str, error: bool = True) -> None:
        self.message_label.setStyleSheet("color: #c0392b;" if error else "")
        self.message_label.setText(text)
        self.message_label.show()
        self.layout().activate()
        if self.height() < self.sizeHint().height():
            self.resize(self.width(), self.sizeHint().height())

    def _on_login_clicked(self) -> None:
        problem = self.problem()
        if problem:
            if not self.request().server_url or not self.request().workstation_name:
                self.connection_button.setChecked(True)
            self.show_message(problem)
            return
        if self.task is not None and not self.task.done():
            return
        self.task = asyncio.ensure_future(self._login(self.request()))

    def reject(self) -> None:
        """Quit also abandons a sign-in still waiting: it must not complete behind a closed dialog."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
        super().reject()

    async def _login(self, req: LoginRequest) -> None:
        self.login_button.setEnabled(False)
        try:
            if self._ready is not None:
                if not self._ready.done():
                    self.show_message(self.tr("Opening this workstation's data…"), error=False)
                try:
                    await asyncio.shield(self._ready)  # shielded: quitting the dialog must not cancel the open
                except Exception as exc:  # noqa: BLE001 - shown to the user; the app has logged it
                    self.show_message(self.tr("This workstation's data could not be opened: {error}").format(
                        error=str(exc) or exc.__class__.__name__))
                    return
            self.show_message(self.tr("Signing in…"), error=False)
            result = await self._authenticate(req)
        except LoginError as exc:
            self.show_message(exc.message)
            self.password_edit.selectAll()
            self.password_edit.setFocus()
            return
        finally:
            self.login_button.setEnabled(True)
        self.result_value = result
        self.accept()
