"""``commandroom simulate``: grid workers posting realistic reports to a county server through Open311.

Each report picks a township the api_key may report in, a category that fits
it (street matters in the 街道, farm and river matters in the 乡/镇, weighted
by the categories' urban/rural frequencies), a point inside the township's
(approximate) area, a Chinese description, and — for about a third, as phones
with Chinese maps do — GCJ-02 coordinates marked ``coord_system=gcj02``.

The wording comes from the demo history's own texts, keyed by the category code, so a
河道保洁 report talks about the river and a 地质灾害 one about the hillside. Reports come
from a pool of grid workers of each township (their names sent as Open311 first/last name),
not all from the key's holder.

It only ever talks to the one server URL it is given, runs for ``duration``
seconds (0: until Ctrl-C) and prints a line per report. The pace is either a fixed ``rate``
(reports per second: tests, load) or, with ``daily``, the demo history's rhythm: that many
reports a day per township, spread over the hours as the history spreads them (quiet nights,
mid-morning and afternoon peaks, fewer at weekends), with random (Poisson) gaps.
Without an api_key it explains how to create one and stops.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from commandroom.refdata.geo import wgs84_to_gcj02
from commandroom.timeutil import fmt_local, utcnow

HOW_TO_GET_A_KEY = (
    "the simulator posts as a grid worker and needs that worker's Open311 api_key.\n"
    "On the county server machine create one (the key is printed once):\n"
    "    commandroom user add gw-sim --role grid-worker --township 球川 --name 模拟网格员\n"
    "then run:\n"
    "    commandroom simulate --server URL --api-key cr311_…"
)

# words in a category name → what a grid worker writes about it
_TEMPLATES: list[tuple[tuple[str, ...], list[str]]] = [
    (("违停", "停车", "机动车"), ["{place}有车辆违停，占用消防通道，影响通行。", "{place}路口多辆机动车乱停乱放，早高峰拥堵。"]),
    (("垃圾", "环境卫生", "保洁", "清运"), ["{place}生活垃圾堆放多日未清运，已有异味。", "{place}垃圾桶满溢，周边散落垃圾。"]),
    (("扬尘", "渣土", "工地"), ["{place}工地未覆盖裸土，刮风扬尘严重。", "{place}渣土车沿路抛洒，路面泥土多。"]),
    (("违建", "违法建设", "建房", "违章"), ["{place}有农户疑似未批先建，正在砌墙。", "{place}发现新搭建彩钢棚，疑似违建。"]),
    (("占道", "流动摊", "店外"), ["{place}流动摊贩占道经营，影响行人通行。", "{place}商铺出店经营，货物摆上人行道。"]),
    (("河", "水", "塘", "渠"), ["{place}河道漂浮垃圾较多，需要打捞。", "{place}沟渠有不明污水排入，颜色发黑。"]),
    (("焚烧", "秸秆", "火"), ["{place}田间有人焚烧秸秆，烟雾较大。", "{place}发现野外用火，已劝阻。"]),
    (("燃气", "消防", "安全", "隐患"), ["{place}沿街店铺液化气瓶存放不规范，存在安全隐患。", "{place}楼道堆放杂物，堵塞消防通道。"]),
    (("纠纷", "矛盾"), ["{place}两户村民因宅基地边界发生争执，需要调解。", "{place}邻里因排水问题起纠纷，情绪激动。"]),
    (("油烟", "噪声", "噪音"), ["{place}餐饮店油烟直排，居民投诉。", "{place}夜间施工噪声扰民。"]),
    (("食品", "市场", "无证"), ["{place}有无证小作坊加工食品，卫生条件差。", "{place}农贸市场有摊位销售过期食品。"]),
    (("殡葬", "乱埋", "坟"), ["{place}山脚发现新建坟墓，疑似乱埋乱葬。"]),
    (("道路", "路灯", "设施", "井盖"), ["{place}路灯不亮，夜间出行不便。", "{place}井盖缺失，存在安全隐患。"]),
    (("地质", "滑坡", "灾害"), ["{place}雨后山体有小规模滑塌，需排查。"]),
]
_GENERIC = ["{place}发现{name}相关情况，请核实处理。", "巡查中发现{place}存在{name}问题，已拍照上报。"]
_PLACES = ["村口", "村委会旁", "大桥头", "小学门口", "集镇主街", "菜市场东侧", "加油站附近", "老街", "文化礼堂前",
           "溪边", "山脚", "公交站旁", "卫生院对面", "农田边", "停车场"]
_RURAL_WORDS = ("秸秆", "焚烧", "河", "殡葬", "地质", "农", "林", "山")
_URBAN_WORDS = ("违停", "占道", "油烟", "噪声", "市场", "燃气", "机动车")


@dataclass
class Township:
    code: str
    name: str
    urban: bool
    seat: tuple[float, float]  # lat, lon
    area: Any  # shapely geometry or None


def _describe(rng: random.Random, category_name: str, township: Township, code: str = "") -> str:
    """A grid worker's words for a report of this category: the demo history's texts for the code when it
    has them (the category and the text always agree), else a template chosen by the category's name."""
    from commandroom.demo_history import text as demo_text

    if code in demo_text.T:
        spots = demo_text.URBAN_SPOTS if township.urban else demo_text.RURAL_SPOTS
        return demo_text.describe(rng, code, f"{township.name}{rng.choice(spots)}")
    place = f"{township.name}{rng.choice(_PLACES)}"
    for words, texts in _TEMPLATES:
        if any(w in category_name for w in words):
            return rng.choice(texts).format(place=place)
    short = category_name.split("(")[0].split("（")[0]
    return rng.choice(_GENERIC).format(place=place, name=short)


GRID_WORKERS_PER_TOWNSHIP = 24


def grid_workers(seed: int, township: Township, n: int = GRID_WORKERS_PER_TOWNSHIP) -> list[tuple[str, str]]:
    """(surname, given name) of the township's simulated grid workers (the same people on every run)."""
    from commandroom.refdata.util import SURNAMES, NameGen

    names = NameGen(random.Random(f"{seed}:{township.code}:grid-workers"))
    out = []
    for _ in range(n):
        name = names()
        cut = 2 if name[:2] in SURNAMES else 1
        out.append((name[:cut], name[cut:]))
    return out


def rhythm_rate(daily: float, at_local: Any, workday: bool) -> float:
    """Reports per second at local time ``at_local`` for ``daily`` reports a day: the demo history's rhythm."""
    from commandroom.demo_history.history import HOUR_WEIGHTS, WEEKDAY_FACTOR, WEEKEND_FACTOR

    factor = WEEKDAY_FACTOR if workday else WEEKEND_FACTOR
    return daily * factor * HOUR_WEIGHTS[at_local.hour] / sum(HOUR_WEIGHTS) / 3600.0


def _gap(rng: random.Random, daily: float) -> float:
    """Seconds to the next report: an exponential gap at the rhythm's rate for the local hour now."""
    from commandroom.services.deadlines import is_workday
    from commandroom.timeutil import to_local

    local = to_local(utcnow())
    per_second = rhythm_rate(daily, local, is_workday(local.date()))
    return rng.expovariate(per_second) if per_second > 0 else 3600.0


def _weight(service: dict, township: Township) -> float:
    name = service.get("service_name", "")
    w = 1.0
    if township.urban and any(k in name for k in _URBAN_WORDS):
        w *= 3.0
    if township.urban and any(k in name for k in _RURAL_WORDS):
        w *= 0.2
    if not township.urban and any(k in name for k in _RURAL_WORDS):
        w *= 2.5
    if not township.urban and any(k in name for k in _URBAN_WORDS):
        w *= 0.4
    return w


def _point(rng: random.Random, township: Township) -> tuple[float, float]:
    """A random WGS84 (lat, lon) inside the township's area (near its seat if the area is unknown)."""
    if township.area is not None:
        import shapely

        minx, miny, maxx, maxy = township.area.bounds
        for _ in range(200):
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            # inside, and clear of the border so rounding never moves a point outside
            if shapely.contains_xy(township.area, lon, lat) and township.area.buffer(-0.0005).contains(
                    shapely.Point(lon, lat)):
                return round(lat, 6), round(lon, 6)
    lat, lon = township.seat
    return round(lat + rng.uniform(-0.005, 0.005), 6), round(lon + rng.uniform(-0.005, 0.005), 6)


def _load_townships(client: httpx.Client, api_key: str) -> list[Township]:
    from shapely.geometry import shape

    r = client.get("/open311/v2/jurisdictions.json", params={"api_key": api_key})
    if r.status_code != 200:
        raise RuntimeError(_error_text(r))
    out = []
    for row in r.json():
        if row.get("in_scope") is False:
            continue
        area = None
        if row.get("area"):
            geo = row["area"]
            area = shape(geo["geometry"] if geo.get("type") == "Feature" else geo)
        out.append(Township(row["jurisdiction_id"], row["name"], bool(row.get("urban")),
                            (row["seat_lat"], row["seat_long"]), area))
    return out


def _error_text(r: httpx.Response) -> str:
    try:
        body = r.json()
        if isinstance(body, list) and body and "description" in body[0]:
            return f"HTTP {r.status_code}: {body[0]['description']}"
        if isinstance(body, dict) and "detail" in body:
            return f"HTTP {r.status_code}: {body['detail']}"
    except ValueError:
        pass
    return f"HTTP {r.status_code}: {r.text[:200]}"


def _select(townships: list[Township], wanted: list[str] | None) -> list[Township]:
    if not wanted:
        return townships
    out = []
    for w in wanted:
        hits = [t for t in townships if w in (t.code, t.name) or t.name.startswith(w)]
        if not hits:
            raise ValueError(f"township '{w}' is not one this api_key may report in "
                             f"({', '.join(t.name for t in townships) or 'none'})")
        out += [t for t in hits if t not in out]
    return out


def run_simulator(
    server_url: str,
    *,
    townships: list[str] | None = None,
    rate: float = 1.0,
    duration: float = 0,
    seed: int = 7,
    api_key: str | None = None,
    max_reports: int | None = None,
    client: httpx.Client | None = None,
    out: Callable[[str], None] | None = None,
    verify: Any = True,
    daily: float | None = None,
) -> int:
    """Post reports until ``duration`` seconds pass (0: until Ctrl-C) or ``max_reports`` are sent.

    ``daily``: reports a day per township at the demo history's rhythm (``rate`` is then ignored).
    Returns 0 when every report was accepted, 1 if some were refused, 2 when it could not start.
    """
    say = out or (lambda line: print(line, flush=True))
    if not api_key:
        say(f"commandroom simulate: {HOW_TO_GET_A_KEY}")
        return 2
    if rate <= 0:
        say("commandroom simulate: --rate must be above 0 reports per second")
        return 2
    rng = random.Random(seed)
    own = client is None
    http = client or httpx.Client(base_url=server_url.rstrip("/"), timeout=15, verify=verify)
    sent = refused = 0
    try:
        try:
            services = http.get("/open311/v2/services.json")
            if services.status_code != 200:
                say(f"commandroom simulate: cannot read the services of {server_url}: {_error_text(services)}")
                return 2
            catalogue = services.json()
            towns = _select(_load_townships(http, api_key), townships)
        except (httpx.HTTPError, RuntimeError, ValueError) as exc:
            say(f"commandroom simulate: {server_url}: {exc}")
            return 2
        if not towns or not catalogue:
            say("commandroom simulate: nothing to report: no township in this api_key's scope or no services")
            return 2
        pace = f"about {daily:g} reports a day per township at the daily rhythm" if daily else f"{rate:g} reports/s"
        say(f"simulating grid workers → {server_url}: {', '.join(t.name for t in towns)}; "
            f"{pace}" + (f" for {duration:g} s" if duration else " until Ctrl-C"))
        workers = {t.code: grid_workers(seed, t) for t in towns}
        started = time.monotonic()
        next_at = started + (_gap(rng, daily * len(towns)) if daily else 0.0)
        while True:
            if duration and time.monotonic() - started >= duration:
                break
            if max_reports is not None and sent + refused >= max_reports:
                break
            if daily:  # wait for the next report at the rhythm's pace (Ctrl-C and duration still apply)
                pause = next_at - time.monotonic()
                if duration:
                    pause = min(pause, duration - (time.monotonic() - started))
                if pause > 0:
                    time.sleep(min(pause, 1.0))
                    continue
            town = rng.choice(towns)
            service = rng.choices(catalogue, weights=[_weight(s, town) for s in catalogue])[0]
            lat, lon = _point(rng, town)
            worker = rng.randrange(len(workers[town.code]))
            surname, given = workers[town.code][worker]
            form = {"api_key": api_key, "service_code": service["service_code"],
                    "description": _describe(rng, service["service_name"], town, service["service_code"]),
                    "device_id": f"sim-{town.code}-{worker:02d}", "first_name": given, "last_name": surname}
            gcj = rng.random() < 0.35
            if gcj:
                glon, glat = wgs84_to_gcj02(lon, lat)
                form.update(lat=f"{glat:.6f}", long=f"{glon:.6f}", coord_system="gcj02")
            else:
                form.update(lat=f"{lat:.6f}", long=f"{lon:.6f}")
            form = {k: v for k, v in form.items() if v != ""}
            key = f"sim-{seed}-{sent + refused}-{rng.getrandbits(32):08x}"
            stamp = fmt_local(utcnow(), "%H:%M:%S")
            try:
                r = http.post("/open311/v2/requests.json", data=form, headers={"Idempotency-Key": key})
            except httpx.HTTPError as exc:
                refused += 1
                say(f"[{stamp}] {town.name} {service['service_name'][:12]} → network error: {exc}")
            else:
                if r.status_code in (200, 201):
                    sent += 1
                    number = r.json()[0]["service_request_id"]
                    say(f"[{stamp}] {number} {town.name} {service['service_name'][:16]} "
                        f"({lat:.5f}, {lon:.5f}{' gcj02' if gcj else ''})")
                else:
                    refused += 1
                    say(f"[{stamp}] {town.name} {service['service_name'][:12]} → refused {_error_text(r)}")
                    if r.status_code in (401, 403) and refused >= 3 and sent == 0:
                        say("commandroom simulate: the server refuses this api_key; stopping")
                        break
            if daily:
                next_at = time.monotonic() + _gap(rng, daily * len(towns))
                continue
            next_at += 1.0 / rate
            pause = next_at - time.monotonic()
            if pause > 0:
                if duration:
                    pause = min(pause, max(0.0, duration - (time.monotonic() - started)))
                time.sleep(pause)
    except KeyboardInterrupt:
        say("interrupted")
    finally:
        if own:
            http.close()
    say(f"done: {sent} reports accepted, {refused} refused")
    return 0 if refused == 0 else 1



# --------------------------------------------------------------------------- the departments' seats

ATTENDEES = ["张明", "李军", "王芳", "赵强", "陈静", "刘洋", "周涛", "吴敏"]
RETURN_REASONS = [
    "经核对属地管理事项清单，该事项不属本部门职责，建议由{dept}办理。",
    "现场核实为{dept}主管事项，本部门无执法权限，予以退回。",
]


@dataclass
class _Pending:
    name: str
    entity_id: str
    args: dict[str, Any]
    at: float  # monotonic time to act


class DepartmentDesk:
    """One county department's liaison, acting from its own seat over the real HTTP API.

    It signs in, pulls its department's bucket, and for each new dispatch or summons plans its act after a
    believable delay: most 签收 and 报到 well inside the clock, some late (``late_share``), and some
    matters returned to the township with a reason and a counter-proposal (``return_share``).
    ``minutes`` scales the delays (1.0: real minutes; tests pass a tiny value).
    """

    def __init__(self, http: httpx.Client, username: str, password: str, *, seed: int = 7, minutes: float = 60.0,
                 late_share: float = 0.15, return_share: float = 0.1, out: Callable[[str], None] | None = None,
                 department: str | None = None) -> None:
        from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
        from commandroom.ids import new_id

        self.http = http
        self.username = username
        self.password = password
        self.rng = random.Random(f"{seed}-{username}")
        self.minutes = minutes
        self.late_share = late_share
        self.return_share = return_share
        self.say = out or (lambda line: None)
        self.device_id = f"sim-dept-{username}"[:64].ljust(8, "0")
        self.incarnation = new_id()
        self.local_seq = 0
        self.versions = (PROTOCOL_VERSION, SCHEMA_VERSION)
        self.headers: dict[str, str] = {}
        self.department = department
        self.cursors: dict[str, int] = {}
        self.seen: set[str] = set()
        self.pending: list[_Pending] = []
        self.done: list[tuple[str, str, str]] = []  # (name, entity_id, status)
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}

    def sign_in(self) -> None:
        r = self.http.post("/api/v1/auth/login", json={"username": self.username, "password": self.password,
                                                       "device_id": self.device_id, "device_name": "部门联络员电脑"})
        r.raise_for_status()
        data = r.json()
        self.headers = {"Authorization": f"Bearer {data['access_token']}"}
        self.department = (data.get("user") or {}).get("department_code") or self.department
        self.cursors = dict.fromkeys(data.get("buckets") or [], 0)

    def pull(self) -> None:
        import json

        while True:
            r = self.http.get("/api/v1/sync/pull", params={"cursors": json.dumps(self.cursors)}, headers=self.headers)
            if r.status_code == 401:
                self.sign_in()
                continue
            r.raise_for_status()
            data = r.json()
            for ch in data["changes"]:
                self.cursors[ch["bucket"]] = max(self.cursors.get(ch["bucket"], 0), ch["seq"])
                if ch.get("fields"):
                    self.rows.setdefault(ch["entity_type"], {})[ch["entity_id"]] = ch["fields"]
            if not data.get("has_more"):
                break
        self._plan()

    def _delay(self, due: str | None, now_utc: Any) -> float:
        """Seconds from now to act: before the due time mostly, after it for ``late_share`` of the acts."""
        from datetime import datetime

        left = None
        if due:
            try:
                left = (datetime.fromisoformat(due) - now_utc).total_seconds()
            except ValueError:
                left = None
        if left is None or left <= 0:
            return self.rng.uniform(1, 20) * self.minutes
        if self.rng.random() < self.late_share:
            return left + self.rng.uniform(5, 90) * self.minutes  # late
        return self.rng.uniform(0.05, 0.6) * min(left, 240 * 60) * self.minutes / 60.0

    def _plan(self) -> None:
        now = time.monotonic()
        now_utc = utcnow()
        for did, d in (self.rows.get("dispatch") or {}).items():
            if did in self.seen or d.get("target_kind") != "department" or d.get("target_code") != self.department:
                continue
            self.seen.add(did)
            if d.get("state") != "assigned":
                continue
            inc = (self.rows.get("incident") or {}).get(d.get("incident_id") or "", {})
            if self.rng.random() < self.return_share and inc.get("assignee_code") == self.department:
                other = self.rng.choice([c for c in ("enforcement", "market", "natres", "agri", "housing")
                                         if c != self.department])
                self.pending.append(_Pending("incident.return_by_department", d["incident_id"], {
                    "reason": self.rng.choice(RETURN_REASONS).format(dept=_DEPT_NAMES.get(other, other)),
                    "proposed_department_code": other}, now + self._delay(inc.get("ack_due"), now_utc)))
                continue
            self.pending.append(_Pending("dispatch.acknowledge", did, {},
                                         now + self._delay(inc.get("ack_due"), now_utc)))
        for cid, c in (self.rows.get("case_checkin") or {}).items():
            if cid in self.seen or c.get("target_kind") != "department" or c.get("target_code") != self.department:
                continue
            self.seen.add(cid)
            if c.get("checked_in_at"):
                continue
            args = {"attendee": "、".join(self.rng.sample(ATTENDEES, self.rng.choice((1, 2)))),
                    "attend_at": "接到通知后到场"}
            if c.get("case_id"):
                self.pending.append(_Pending("case.checkin", c["case_id"], {**args, "department_code": self.department},
                                             now + self._delay(c.get("due_at"), now_utc)))
            else:
                self.pending.append(_Pending("checkin", cid, args, now + self._delay(c.get("due_at"), now_utc)))

    def act_due(self, now: float | None = None) -> int:
        """Push every planned act whose time has come; returns how many were pushed."""
        from commandroom.ids import new_id

        now = time.monotonic() if now is None else now
        ready = [p for p in self.pending if p.at <= now]
        if not ready:
            return 0
        self.pending = [p for p in self.pending if p.at > now]
        muts = []
        for p in ready:
            self.local_seq += 1
            muts.append({"mutation_id": new_id(), "local_seq": self.local_seq, "name": p.name,
                         "entity_id": p.entity_id, "args": p.args})
        body = {"device_id": self.device_id, "device_incarnation": self.incarnation, "first_local_seq": 1,
                "protocol_version": self.versions[0], "schema_version": self.versions[1], "mutations": muts}
        r = self.http.post("/api/v1/sync/push", json=body, headers=self.headers)
        if r.status_code == 401:
            self.sign_in()
            r = self.http.post("/api/v1/sync/push", json=body, headers=self.headers)
        r.raise_for_status()
        for m, res in zip(muts, r.json()["results"], strict=True):
            self.done.append((m["name"], m["entity_id"], res["status"]))
            self.say(f"[{fmt_local(utcnow(), '%H:%M:%S')}] {self.username} {m['name']} → {res['status']}")
        return len(muts)


_DEPT_NAMES = {"enforcement": "县综合行政执法局", "market": "县市场监督管理局", "natres": "县自然资源和规划局",
               "agri": "县农业农村局", "housing": "县住房和城乡建设局"}


def run_department_desks(server_url: str, accounts: list[str], password: str, *, minutes: float = 60.0,
                         poll_seconds: float = 20.0, duration: float = 0, seed: int = 7,
                         out: Callable[[str], None] | None = None) -> int:
    """Run the departments' seats (``accounts``: liaison user names) until ``duration`` (0: forever)."""
    say = out or (lambda line: print(line, flush=True))
    started = time.monotonic()
    with httpx.Client(base_url=server_url.rstrip("/"), timeout=15) as http:
        desks = []
        for name in accounts:
            desk = DepartmentDesk(http, name, password, seed=seed, minutes=minutes, out=say)
            try:
                desk.sign_in()
            except httpx.HTTPError as exc:
                say(f"department seat {name}: cannot sign in: {exc}")
                continue
            desks.append(desk)
        while desks and (not duration or time.monotonic() - started < duration):
            for desk in desks:
                try:
                    desk.pull()
                    desk.act_due()
                except httpx.HTTPError as exc:
                    say(f"department seat {desk.username}: {exc}")
            time.sleep(poll_seconds)
    return 0
