"""Screenshots of photos on the desk: ``python -m tools.screenshots.photos --out DIR``.

A small store (reference data, a few reports with photos drawn here) opened offscreen in Chinese:
photos_inbox.png (a report's thumbnails in the inbox detail), photos_incident_detail.png (the
incident's photo tab: report, after, and one still downloading), photos_close_dialog.png (what
closing needs and what is missing), photos_full.png (a full image opened from a thumbnail),
photos_verify_dialog.png (核查 with the checker's photo), photos_briefing.png (the daily briefing's photos of
the day's closures), cases_attachments.png (a one-thing case's 材料: documents and a photo).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path
from typing import Any

SIZE = (1600, 1000)


def scene(kind: str, size: tuple[int, int] = (1280, 960)) -> bytes:
    """A made-up site photo: sky, a road, and a heap of rubbish (before) or a swept road (after)."""
    from PIL import Image, ImageDraw, ImageFilter

    w, h = size
    img = Image.new("RGB", size, (150, 185, 215))
    d = ImageDraw.Draw(img)
    d.rectangle([0, int(h * 0.45), w, h], fill=(95, 120, 70))  # verge
    d.polygon([(int(w * 0.35), int(h * 0.45)), (int(w * 0.65), int(h * 0.45)), (w, h), (0, h)], fill=(92, 92, 96))
    d.line([(w // 2, int(h * 0.47)), (w // 2, h)], fill=(235, 235, 235), width=8)
    for i in range(6):  # trees along the road
        x = int(w * (0.05 + 0.17 * i))
        d.rectangle([x, int(h * 0.32), x + 14, int(h * 0.48)], fill=(90, 60, 40))
        d.ellipse([x - 50, int(h * 0.14), x + 64, int(h * 0.36)], fill=(50, 110, 55))
    if kind == "before":
        for i, colour in enumerate([(140, 110, 80), (170, 160, 150), (60, 70, 120), (200, 190, 80), (120, 40, 40)]):
            x0 = int(w * 0.56) + 40 * i
            d.ellipse([x0, int(h * 0.62) - 20 * (i % 3), x0 + 230, int(h * 0.86)], fill=colour)
        d.rectangle([int(w * 0.7), int(h * 0.58), int(w * 0.78), int(h * 0.7)], fill=(230, 230, 225))
    else:
        d.rectangle([int(w * 0.58), int(h * 0.72), int(w * 0.9), int(h * 0.76)], fill=(110, 110, 112))
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _store(folder: Path) -> Any:
    from commandroom.refdata.loader import load_reference, read_reference
    from commandroom.store.local import DeskStore

    store = DeskStore(folder / "workstation.db")
    with store.write() as session:
        load_reference(session, read_reference())
    return store


async def _shoot(out: Path, _days: int) -> list[Path]:
    from sqlalchemy import select

    from commandroom.domain.models import Grid
    from commandroom.ids import new_id
    from commandroom.mutations.core import Actor
    from commandroom.queries.incidents import closure_needs
    from commandroom.store.photos import attach_files
    from commandroom.timeutil import iso, utcnow
    from ui.async_runner import forget_store
    from ui.common import photo_viewer
    from ui.inbox.view import InboxView
    from ui.incidents.detail import IncidentDetailPanel
    from ui.incidents.dialogs import CloseDialog

    folder = Path(tempfile.mkdtemp(prefix="cr-photos-"))
    store = _store(folder)
    actor = Actor(user_id=None, name="周值班", role="duty_officer", township_code="330822111",
                  scope_kind="township", scope_code="330822111", device_id=store.device_id, device_name="球川指挥室-01")
    with store.read() as session:
        grids = list(session.scalars(select(Grid).where(Grid.township_code == actor.township_code).limit(3)))
        grid_ids = [g.id for g in grids]
    files = {}
    for name in ("before", "before2", "after"):
        path = folder / f"{name}.jpg"
        path.write_bytes(scene("before" if name.startswith("before") else "after",
                               (1280, 960) if name != "before2" else (960, 1280)))
        files[name] = path
    [before, before2, after] = attach_files(store, [files["before"], files["before2"], files["after"]])
    saved: list[Path] = []

    def report(category: str, text: str, photos: list[str], minutes: int, grid: int) -> str:
        rid = new_id()
        store.perform(actor, "report.create", rid, {
            "source": "grid_patrol", "category_code": category, "description": text,
            "township_code": actor.township_code, "grid_id": grid_ids[grid % len(grid_ids)],
            "reporter_name": "李网格", "photos": photos, "address": "球川镇镇区人民路与湖东路交叉口",
            "reported_at": iso(utcnow().replace(microsecond=0) - __import__("datetime").timedelta(minutes=minutes))})
        return rid

    report("sanitation", "路口绿化带旁堆放建筑垃圾和生活垃圾，影响通行", [before, before2], 12, 0)
    report("road_occupation", "菜场门口占道经营，早市摊位占用机动车道", [], 40, 1)
    rid = report("muck_dust", "工地出口渣土车未覆盖，道路扬尘严重", [before], 95, 2)

    # the inbox with the first report selected: its two photos
    inbox = InboxView(store, actor)
    inbox.resize(*SIZE)
    inbox.show()
    inbox.load()
    await asyncio.sleep(0.5)
    inbox.table.selectRow(0)
    await asyncio.sleep(0.8)
    await inbox.wait_idle()
    saved.append(out / "photos_inbox.png")
    inbox.grab().save(str(saved[-1]))
    inbox.close()

    # an incident with a report photo, an after photo and one whose thumbnail has not arrived yet
    incident_id = new_id()
    store.perform(actor, "report.accept", rid, {"incident_id": incident_id, "title": "工地渣土扬尘"})
    store.perform(actor, "incident.dispatch", incident_id, {"target_kind": "team", "target_code": "QC",
                                                            "dispatch_id": new_id()})
    store.perform(actor, "incident.start", incident_id, {})
    store.perform(actor, "incident.submit", incident_id, {"note": "已覆盖防尘网并冲洗路面",
                                                           "photos_after": [after, "9" * 64]})
    panel = IncidentDetailPanel(store, actor)
    panel.resize(760, 1000)
    panel.show()
    panel.load(incident_id)
    await asyncio.sleep(0.8)
    panel.tabs.setCurrentIndex(2)
    await asyncio.sleep(0.3)
    saved.append(out / "photos_incident_detail.png")
    panel.grab().save(str(saved[-1]))

    # the close dialog: what closing needs, what is missing
    need = closure_needs(store, incident_id)
    dialog = CloseDialog(subject="QC-2026-000311 工地渣土扬尘", requirement=need)
    dialog.note_edit.setPlainText("已覆盖防尘网，洒水降尘，渣土车已整改")
    dialog.resize(620, dialog.sizeHint().height())
    dialog.show()
    await asyncio.sleep(0.3)
    saved.append(out / "photos_close_dialog.png")
    dialog.grab().save(str(saved[-1]))
    dialog.close()

    # a full image opened from a thumbnail (served here from the desk's own files)
    class Local:
        async def full_image(self, sha: str) -> Path:
            from commandroom.store.photos import cached_path, desk_photo_dir

            path = cached_path(desk_photo_dir(store.path), sha)
            assert path is not None
            return path

    photo_viewer.set_photo_source(Local())
    task = asyncio.ensure_future(photo_viewer.show_photo(panel, before, "QC-2026-000311 工地渣土扬尘"))
    await asyncio.sleep(0.8)
    from PySide6.QtWidgets import QApplication

    [shown] = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, photo_viewer.PhotoDialog) and w.isVisible()]
    saved.append(out / "photos_full.png")
    shown.grab().save(str(saved[-1]))
    shown.reject()
    await task

    # the verify (核查) dialog with the checker's photo picked
    from ui.incidents.dialogs import VerifyDialog

    verify = VerifyDialog("周值班", subject="QC-2026-000311 工地渣土扬尘")
    verify.photos.add_file(files["after"])
    verify.note_edit.setPlainText("现场复核：防尘网已覆盖，路面已冲洗")
    verify.resize(620, verify.sizeHint().height())
    verify.show()
    await asyncio.sleep(0.3)
    saved.append(out / "photos_verify_dialog.png")
    verify.grab().save(str(saved[-1]))
    verify.close()

    # closed today: the daily briefing shows its before/after photos (one not on this desk yet)
    store.perform(actor, "incident.verify", incident_id, {"passed": True, "verified_by": "周值班",
                                                          "override_reason": "网格员外出，镇干部现场复核"})
    saved.append(await _briefing_shot(store, out))
    saved.append(await _case_shot(store, actor, folder, files, out))
    panel.close()
    forget_store(store)
    store.close()
    return saved


async def _briefing_shot(store: Any, out: Path) -> Path:
    """The briefing as the print preview lays it out, scrolled to the photos of the day's closures."""
    from PySide6.QtWidgets import QTextBrowser

    from commandroom.queries.briefing import TaskState, local_today
    from ui.async_runner import run_read
    from ui.handover.briefing_dialog import compute_briefing
    from ui.handover.export import BriefingText, briefing_html

    now = store.now()
    briefing = await run_read(compute_briefing, store, local_today(now), None, now, TaskState())
    view = QTextBrowser()
    view.setHtml(briefing_html(briefing, BriefingText.current("球川镇"), now=now))
    view.resize(900, 760)
    view.show()
    await asyncio.sleep(0.3)
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    await asyncio.sleep(0.2)
    path = out / "photos_briefing.png"
    view.grab().save(str(path))
    view.close()
    return path


async def _case_shot(store: Any, actor: Any, folder: Path, files: dict[str, Path], out: Path) -> Path:
    """A one-thing case with its 材料: a PDF, a Word file and a site photo."""
    import zipfile

    from commandroom.ids import new_id
    from ui.cases.view import CasesView

    pdf = folder / "联审意见书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
                    + b"%" + b"0" * 180_000 + b"\n%%EOF\n")
    docx = folder / "联审会议纪要.docx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + "联审" * 4000 + "</w:document>")
    case_id = new_id()
    store.perform(actor, "case.open", case_id, {"type_code": "farmer_housing", "township_code": actor.township_code,
                                                "title": "农民建房：徐某某原址翻建"})
    view = CasesView(store, actor, [actor.township_code])
    view.resize(*SIZE)
    view.show()
    view.reload()
    await view.wait_idle()
    view.select_case(case_id)
    await view.wait_idle()
    await view.attach([pdf, docx, files["before"]])
    await view.wait_idle()
    view.panel.attachment_list.setCurrentRow(0)
    await asyncio.sleep(0.3)
    path = out / "cases_attachments.png"
    view.grab().save(str(path))
    view.close()
    return path


def main(argv: list[str] | None = None) -> int:
    from tools.screenshots.tool import run_screenshots

    return run_screenshots(_shoot, description=__doc__ or "", default_days=0, argv=argv)


if __name__ == "__main__":
    raise SystemExit(main())
