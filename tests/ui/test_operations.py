"""The one way the desk acts (ui/common/operations.py): no screen calls ``store.perform`` itself,
a refusal reads the same on every screen, and a view that moved on is not written into."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

UI = Path(__file__).resolve().parents[2] / "ui"
HELPER = UI / "common" / "operations.py"


def _perform_calls(path: Path) -> list[int]:
    """Lines of ``<something>.perform`` taken from a store (``store.perform``, ``self.store.perform``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "perform":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if "store" in name.lower():
                lines.append(node.lineno)
    return lines


def test_no_screen_performs_a_mutation_outside_the_helper():
    offenders = {str(p.relative_to(UI.parent)): lines for p in sorted(UI.rglob("*.py"))
                 if p != HELPER and (lines := _perform_calls(p))}
    assert offenders == {}, f"act through ui.common.operations.Operation, not store.perform: {offenders}"
    assert _perform_calls(HELPER), "the helper itself performs (else the scan above proves nothing)"


def test_the_scan_finds_a_hand_rolled_call(tmp_path):
    sample = tmp_path / "view.py"
    sample.write_text("async def act(self):\n    await run_db(self.store.perform, self.actor, 'x', 'y', {})\n")
    assert _perform_calls(sample) == [2]


class _Panel(QWidget):
    """A view with its own message line."""

    def __init__(self) -> None:
        super().__init__()
        self.line = QLabel(self)
        self.open_dialog = None

    def show_refusal(self, message: str) -> None:
        self.line.setText(message)

    def clear_refusal(self) -> None:
        self.line.clear()


@pytest.mark.asyncio
async def test_a_refusal_is_told_in_chinese_and_nothing_is_written(store, actor, qtbot, ui, zh):
    from ui.common.operations import Operation

    panel = _Panel()
    qtbot.addWidget(panel)
    before = len(ui.outbox(store))
    failed = []
    changes = await (Operation(panel, store, actor, "report.reject", "no-such-report", {"reason": "重复"})
                     .failure(failed.append).run())
    assert changes is None and len(ui.outbox(store)) == before
    assert panel.line.text() == "未完成：本机没有（或已不再有）这条记录。"
    assert len(failed) == 1  # the failure callback saw the refusal, and the message was still shown


@pytest.mark.asyncio
async def test_success_clears_the_old_refusal_and_hands_on_the_changes(store, actor, qtbot, ui, zh):
    from ui.common.operations import Operation

    report_id = ui.make_report(store, actor)
    panel = _Panel()
    qtbot.addWidget(panel)
    panel.show_refusal("未完成：上一次的原因")
    seen = []
    changes = await (Operation(panel, store, actor, "report.reject", report_id, {"reason": "重复上报"})
                     .success(seen.append).run())
    assert changes is not None and seen == [changes] and changes.touches("report")
    assert panel.line.text() == ""
    assert ui.report_state(store, report_id)[0] == "rejected"
    assert ui.outbox(store)[-1][:2] == ("report.reject", report_id)


@pytest.mark.asyncio
async def test_a_view_without_a_message_line_gets_a_warning_box(store, actor, qtbot, zh):
    from ui.common.operations import Operation

    view = QWidget()
    view.open_dialog = None
    qtbot.addWidget(view)
    await Operation(view, store, actor, "report.reject", "no-such-report", {"reason": "重复"}).run()
    box = view.open_dialog
    assert isinstance(box, QMessageBox) and box.text() == "未完成：本机没有（或已不再有）这条记录。"
    assert box.windowTitle() == "操作未执行"
    box.close()


@pytest.mark.asyncio
async def test_a_newer_action_of_the_same_view_wins(store, actor, qtbot, ui, zh):
    """Two writes in flight from one view: both are written, only the latest one's callback runs."""
    from ui.common.operations import Operation

    first_id, second_id = ui.make_report(store, actor), ui.make_report(store, actor, text="路灯不亮")
    panel = _Panel()
    qtbot.addWidget(panel)
    done: list[str] = []
    first = Operation(panel, store, actor, "report.reject", first_id, {"reason": "重复"}).success(lambda _c: done.append("first"))
    second = Operation(panel, store, actor, "report.reject", second_id, {"reason": "重复"}).success(lambda _c: done.append("second"))
    await asyncio.gather(first.run(), second.run())
    assert done == ["second"]
    assert ui.report_state(store, first_id)[0] == "rejected" and ui.report_state(store, second_id)[0] == "rejected"


@pytest.mark.asyncio
async def test_refusals_read_alike_on_every_screen(zh):
    from commandroom.domain.errors import Forbidden, IllegalTransition, ValidationError
    from ui.common.operations import refusal_message

    assert refusal_message(IllegalTransition("incident", "returned", "acknowledge")) == "未完成：当前为“已退回”，不能执行“签收”。"
    assert refusal_message(IllegalTransition("task_card", "todo", "move to done")) == "未完成：当前为“待办”，不能执行“移到‘已办结’”。"
    assert refusal_message(ValidationError("reason", "must not be empty")) == "未完成：理由：不能为空"
    assert refusal_message(ValidationError("position", "先完成第 1 步")) == "未完成：先完成第 1 步"
    assert refusal_message(Forbidden("值班员不能发布清单")) == "未完成：您的账号无此权限：值班员不能发布清单"
