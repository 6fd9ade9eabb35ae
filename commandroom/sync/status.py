"""What the status bar shows about sync: 在线 / 离线 since hh:mm, pending N, rejected N, last sync, clock skew."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from commandroom.sync.clock import CLOCK_WARN_SECONDS, skew_level
from commandroom.timeutil import fmt_local


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot of the sync engine's state, handed to ``engine.on_status`` callbacks."""

    online: bool = False
    offline_since: datetime | None = None  # naive UTC
    pending: int = 0
    rejected: int = 0
    last_success: datetime | None = None  # naive UTC
    last_error: str = ""
    upgrade_required: str | None = None  # the server's human message; sync is stopped, the outbox kept
    syncing: bool = False
    signed_in: bool = True
    incarnation_reason: str | None = None
    clock_offset: float | None = None  # server − this machine, whole seconds; None until an answer came
    download_paused_until: datetime | None = None  # naive UTC; the officer cancelled a download

    @property
    def clock_skew(self) -> str:
        """``""``, ``"warn"`` (≥ 60 s) or ``"bad"`` (≥ 300 s): how wrong this machine's clock is."""
        return skew_level(self.clock_offset)

    @property
    def clock_correction(self) -> float:
        """Seconds to add to this machine's clock for the server's time: the offset once it is worth a warning."""
        if self.clock_offset is None or abs(self.clock_offset) < CLOCK_WARN_SECONDS:
            return 0.0
        return float(self.clock_offset)

    def with_(self, **changes: object) -> SyncStatus:
        return replace(self, **changes)

    def label(self) -> str:
        """A one-line summary in Chinese for the status bar."""
        if self.upgrade_required:
            return f"需要升级：{self.upgrade_required}"
        parts = ["在线" if self.online else (f"离线 自 {fmt_local(self.offline_since, '%H:%M')}"
                                              if self.offline_since else "离线")]
        if self.syncing:
            parts.append("同步中")
        parts.append(f"待上传 {self.pending}")
        if self.rejected:
            parts.append(f"被退回 {self.rejected}")
        if self.download_paused_until:
            parts.append(f"下载已取消，{fmt_local(self.download_paused_until, '%H:%M')} 继续")
        if self.last_success:
            parts.append(f"上次同步 {fmt_local(self.last_success, '%H:%M:%S')}")
        if self.clock_skew:
            parts.append(f"本机时钟偏差 {skew_text(self.clock_offset or 0)}")
        if not self.signed_in:
            parts.append("请重新登录")
        return " · ".join(parts)


def skew_text(offset: float) -> str:
    """``90 秒`` / ``12 分钟`` / ``3 小时`` / ``2 天``: the size of a clock offset in Chinese."""
    size = abs(offset)
    if size < 120:
        return f"{size:.0f} 秒"
    if size < 2 * 3600:
        return f"{size / 60:.0f} 分钟"
    if size < 2 * 86400:
        return f"{size / 3600:.0f} 小时"
    return f"{size / 86400:.0f} 天"
