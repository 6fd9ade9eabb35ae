"""What the status bar shows about sync: 在线 / 离线 since hh:mm, pending N, rejected N, last sync."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

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
        if self.last_success:
            parts.append(f"上次同步 {fmt_local(self.last_success, '%H:%M:%S')}")
        if not self.signed_in:
            parts.append("请重新登录")
        return " · ".join(parts)
