"""Small deterministic helpers for the seed and the demo history: names, phones, ids."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

# common surnames of the Quzhou/Changshan area first, then national ones
SURNAMES = (
    "徐徐汪汪王王李张刘陈杨黄吴周郑郑毛毛姜姜叶叶余詹程方胡江祝邵何宋朱林傅鲁严樊童柴俞项"
    "赵孙钱郭罗谢曾彭潘袁蒋蔡丁沈董范温"
)
GIVEN = (
    "建国 建华 建军 国平 国庆 志强 志刚 志明 海燕 海峰 丽华 丽萍 秀英 秀珍 晓东 晓峰 晓燕 晓敏 "
    "伟 强 勇 军 杰 涛 斌 磊 超 鹏 辉 敏 静 芳 燕 娟 婷 慧 霞 琴 红 萍 "
    "文杰 文斌 永生 永平 金华 金龙 春花 春燕 卫东 红梅 玉兰 新民 德明 德华 立新 振华 宏伟 俊杰 "
    "佳怡 雨婷 子涵 浩然 宇航 一鸣 思远 嘉豪 梦瑶 欣怡 天宇 博文 凯 瑞 阳 帆 晨 琳 璐 颖"
).split()


class NameGen:
    """Plausible Chinese personal names, unique within one generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        for _ in range(1000):
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used:
                self.used.add(name)
                return name
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN) + self.rng.choice(GIVEN)[0]
        self.used.add(name)
        return name


def phone(rng: random.Random, masked: bool = False) -> str:
    prefix = rng.choice(("133", "135", "137", "138", "139", "150", "151", "157", "158", "159", "177", "181",
                         "187", "188", "189", "199"))
    rest = f"{rng.randrange(10**8):08d}"
    return f"{prefix}****{rest[4:]}" if masked else prefix + rest


def uuid7_at(at: datetime, rng: random.Random) -> str:
    """A UUIDv7 whose timestamp is ``at`` (naive UTC) and whose random bits come from ``rng``.

    Demo rows get ids that sort like ids minted at the time of the event, and the
    same seed gives the same ids.
    """
    ms = int(at.replace(tzinfo=UTC).timestamp() * 1000) & ((1 << 48) - 1)
    rand_a = rng.getrandbits(12)
    rand_b = rng.getrandbits(62)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
