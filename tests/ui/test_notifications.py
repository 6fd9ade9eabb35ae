"""Banner notices, the generated alert sound and the tray record."""

from __future__ import annotations

import wave


def test_banner_keys_replace_and_urgent_stays(qtbot):
    from ui.notifications import BannerArea, Notice

    area = BannerArea()
    qtbot.addWidget(area)
    area.show()
    area.show_notice(Notice("合并了 2 条", key="undo", action_text="撤销", action=lambda: None))
    area.show_notice(Notice("合并了 3 条", key="undo"))
    assert [b.notice.text for b in area.banners] == ["合并了 3 条"]
    calls = []
    urgent = area.show_notice(Notice("紧急上报", level="urgent", action_text="查看", action=lambda: calls.append(1)))
    assert urgent.property("level") == "urgent"
    urgent.action_button.click()
    assert calls == [1]
    assert [b.notice.text for b in area.banners] == ["合并了 3 条"]
    for i in range(6):
        area.show_notice(Notice(f"n{i}"))
    assert len(area.banners) == BannerArea.MAX


def test_alert_wav_is_a_short_valid_wave(tmp_path):
    from ui.notifications import alert_wav

    path = alert_wav(tmp_path / "alert.wav")
    with wave.open(str(path)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert 0.4 < w.getnframes() / w.getframerate() < 0.6


def test_notifier_urgent_goes_to_tray_and_sound_off_is_silent(qtbot, tmp_path):
    from ui.notifications import BannerArea, Notice, Notifier

    area = BannerArea()
    qtbot.addWidget(area)
    notifier = Notifier(area, sound=False, sound_dir=tmp_path)
    notifier.notify(Notice("普通消息"))
    assert notifier.tray_messages == []
    notifier.notify(Notice("紧急：山体滑坡", level="urgent"))
    assert notifier.tray_messages and notifier.tray_messages[0][1] == "紧急：山体滑坡"
    assert not (tmp_path / "alert.wav").exists()
