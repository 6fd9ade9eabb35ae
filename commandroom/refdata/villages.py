"""Illustrative villages and grids (data/villages.csv, data/grids.csv).

The current village list of each township was not available (see data/SOURCES.md):
the counts use the reference where it gives one (天马 6 社区 + 17 村, 金川 2 + 14,
球川 1 + 45 as of 2017, 大桥头 8 村) and an estimate elsewhere; the names are
invented in the local naming style and every row is marked ILLUSTRATIVE.
Points are placed inside the township's approximate area (communities near the seat).

``python -m commandroom.refdata.villages [DATA_DIR]`` regenerates both files
deterministically. They are data after that: edit them by hand, or replace them with
the NBS village list; the loader does not care how they were made.
"""

from __future__ import annotations

import csv
import math
import random
import sys
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from commandroom.refdata.geo import DEFAULT_DATA_DIR, load_township_areas

# (communities, villages) per township; None → from townships.csv columns
COUNTS: dict[str, tuple[int, int]] = {
    "330822001": (6, 17),  # 天马 [S] NBS 2023
    "330822002": (4, 8),  # 紫港 [P]
    "330822003": (2, 14),  # 金川 [S]
    "330822104": (1, 10),  # 白石 [P]
    "330822108": (1, 12),  # 招贤 [P]
    "330822109": (1, 12),  # 青石 [P]
    "330822111": (1, 45),  # 球川 [S] 2017, before the 2019 mergers
    "330822115": (1, 11),  # 辉埠 [P]
    "330822116": (1, 12),  # 芳村 [P]
    "330822200": (0, 10),  # 何家 [P]
    "330822211": (0, 9),  # 同弓 [P]
    "330822213": (0, 8),  # 大桥头 [S]
    "330822219": (0, 9),  # 新昌 [P]
    "330822221": (0, 8),  # 东案 [P]
}

COMMUNITY_NAMES: dict[str, list[str]] = {
    "330822001": ["城东", "城西", "城南", "城北", "定阳", "文峰"],
    "330822002": ["紫港", "港东", "江滨", "新都"],
    "330822003": ["金川", "五里"],
}

_FIRST = (
    "东 西 南 北 上 下 大 小 新 老 里 外 金 银 石 竹 桐 枫 杨 柳 黄 青 高 长 五 三 双 半 龙 凤 鹤 狮 "
    "塘 溪 泉 沙 后 前 中 樟 松 梅 桃 茶 樟 麻 白 红 乌 马 牛 洪 湖 丰 万 永 太 同 和 安 宏 兴 广 郭"
).split()
_SECOND = "坞 源 畈 塘 溪 岭 坑 口 湾 桥 山 田 垄 头 埠 岗 坪 庄 圩 墩 滩 坂".split()
_SURNAMES = "徐 汪 毛 郑 姜 叶 余 詹 程 樊 方 童 祝 吴 江 邵 胡 周 林 刘 严 宋 何 项 鲁 柴 俞 傅".split()


def _village_names(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.3:
            stem = rng.choice(_SURNAMES) + "家" + (rng.choice(_SECOND) if rng.random() < 0.4 else "")
        else:
            stem = rng.choice(_FIRST) + rng.choice(_SECOND)
        name = stem + "村"
        if name in taken or stem[0] == stem[1:2]:
            continue
        taken.add(name)
        out.append(name)
    return out


def _metric(lat: float) -> float:
    return math.cos(math.radians(lat))


def _sample_in(geom: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = geom.bounds
    while True:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(geom, x, y):
            return x, y


def _near(geom: BaseGeometry, rng: random.Random, lon: float, lat: float, sigma_deg: float) -> tuple[float, float]:
    k = _metric(lat)
    for _ in range(200):
        x = lon + rng.gauss(0, sigma_deg) / k
        y = lat + rng.gauss(0, sigma_deg)
        if shapely.contains_xy(geom, x, y):
            return x, y
    return lon, lat


def build(data_dir: Path | str | None = None, seed: int = 330822) -> tuple[list[dict], list[dict]]:
    data_dir = Path(data_dir or DEFAULT_DATA_DIR)
    areas = load_township_areas(data_dir)
    with (data_dir / "townships.csv").open(encoding="utf-8", newline="") as fh:
        townships = list(csv.DictReader(fh))
    rng = random.Random(seed)
    taken = {t["short_name"] + "村" for t in townships}
    villages: list[dict] = []
    grids: list[dict] = []
    for t in townships:
        code = t["code"]
        n_comm, n_vill = COUNTS[code]
        area = areas[code]
        inner = area.buffer(-0.002) if area.buffer(-0.002).area > area.area * 0.5 else area
        seat_lon, seat_lat = float(t["seat_lon"]), float(t["seat_lat"])
        k = _metric(seat_lat)
        names = COMMUNITY_NAMES.get(code) or ([t["short_name"]] if n_comm == 1 else [])
        places: list[tuple[str, str, float, float]] = []
        for i in range(n_comm):
            lon, lat = _near(inner, rng, seat_lon, seat_lat, 0.008)
            places.append((f"{code}-{i + 1:03d}", f"{names[i]}社区", lon, lat))
        vnames = _village_names(rng, n_vill, taken)
        # spread villages: minimum spacing from the area size, relaxed if the sampler struggles
        spacing = 0.55 * math.sqrt(area.area * k / max(n_vill + n_comm, 1))
        pts = [(p[2], p[3]) for p in places]
        for j, vname in enumerate(vnames):
            d = spacing
            for attempt in range(4000):
                lon, lat = _sample_in(inner, rng)
                if all(math.hypot((lon - a) * k, lat - b) >= d for a, b in pts):
                    break
                if attempt % 400 == 399:
                    d *= 0.85
            pts.append((lon, lat))
            places.append((f"{code}-{201 + j:03d}", vname, lon, lat))
        for vid, vname, lon, lat in places:
            kind = "社区" if vname.endswith("社区") else "行政村"
            villages.append(
                {"id": vid, "township_code": code, "name": vname, "kind": kind,
                 "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "status": "ILLUSTRATIVE"}
            )
            n_grids = rng.randint(3, 4) if kind == "社区" else rng.randint(2, 3 if n_vill > 20 else 4)
            for g in range(n_grids):
                glon, glat = _near(area, rng, lon, lat, 0.004)
                grids.append(
                    {"id": f"{vid}-G{g + 1}", "village_id": vid, "township_code": code,
                     "name": f"{vname}第{g + 1}网格", "lat": f"{glat:.6f}", "lon": f"{glon:.6f}",
                     "status": "ILLUSTRATIVE"}
                )
    return villages, grids


def write(data_dir: Path | str | None = None) -> tuple[Path, Path]:
    data_dir = Path(data_dir or DEFAULT_DATA_DIR)
    villages, grids = build(data_dir)
    paths = []
    for name, rows in (("villages.csv", villages), ("grids.csv", grids)):
        path = data_dir / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        paths.append(path)
    return paths[0], paths[1]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    v, g = write(Path(argv[0]) if argv else None)
    print(f"wrote {v} and {g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
