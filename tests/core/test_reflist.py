"""Responsibility-list management (动态调整): publishing a version, validation, diffs, and routing by date."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest

from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import Matter, MatterListVersion
from commandroom.services import reflist as svc
from commandroom.services.routing import route
from commandroom.store.db import make_engine, session_factory
from tests.core.test_teams_fixtures import COORDINATOR, OFFICER, QC, run, seeded_session


@pytest.fixture
def db(seeded_sqlite):
    yield from seeded_session(seeded_sqlite)


NEW_MATTER = {
    "code": "ZZ-99", "name": "示例新增事项", "field": "综合", "category_codes": ["sanitation"],
    "lead_department_code": "enforcement", "township_duty": "发现、劝导、上报", "department_duty": "依法查处",
    "limits": {"L3": {"close_workdays": 3}}, "is_enforcement": True,
}


def _v1(db):
    v1 = svc.version_by_number(db, 1)
    return v1, [svc.matter_dict(m) for m in svc.matters_of(db, v1)]


def _publish(db, matters, *, version=2, effective="2026-12-01", vid="v2", actor=COORDINATOR):
    return run(db, "reflist.publish_version", vid, {"version": version, "effective_from": effective,
                                                    "title": "2026年12月动态调整", "matters": matters}, actor=actor)


def test_publish_a_new_version_and_diff_it(db):
    _v1_row, matters = _v1(db)
    assert len(matters) == 70
    new = copy.deepcopy(matters)
    changed = new[0]
    old_lead = changed["lead_department_code"]
    changed["lead_department_code"] = "enforcement" if old_lead != "enforcement" else "natres"
    changed["limits"] = {"L2": {"ack_minutes": 60}}
    removed = new.pop(5)
    new.append(dict(NEW_MATTER))
    _publish(db, new)
    v2 = db.get(MatterListVersion, "v2")
    assert (v2.version, v2.effective_from, v2.created_by) == (2, date(2026, 12, 1), "u-coord")
    assert len(svc.matters_of(db, v2)) == 70
    assert svc.version_on(db, date(2026, 11, 30)).version == 1
    assert svc.version_on(db, date(2026, 12, 1)).version == 2

    d = svc.diff_versions(db, 1, 2)
    assert [m["code"] for m in d.added] == ["ZZ-99"]
    assert [m["code"] for m in d.removed] == [removed["code"]]
    assert [c.code for c in d.changed] == [changed["code"]]
    fields = d.changed[0].fields
    assert set(fields) == {"lead_department_code", "limits"}
    assert fields["lead_department_code"] == (old_lead, changed["lead_department_code"])
    assert d.unchanged == 68 and not d.empty
    back = svc.diff_versions(db, 2, 1)
    assert [m["code"] for m in back.added] == [removed["code"]] and [m["code"] for m in back.removed] == ["ZZ-99"]
    assert svc.diff_versions(db, 1, 1).empty
    with pytest.raises(LookupError):
        svc.diff_versions(db, 1, 9)
    # publishing the same version again (a retried push) is merged
    assert _publish(db, new).status == "merged"


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda ms: ms.append(dict(ms[0])), {}, "duplicate code"),
        (lambda ms: ms[1].update(lead_department_code="nope"), {}, "unknown department 'nope'"),
        (lambda ms: ms[2].update(category_codes=["nope"]), {}, "unknown event category 'nope'"),
        (lambda ms: ms[2].update(category_codes=[]), {}, "at least one event category"),
        (lambda ms: ms[3].update(one_thing_code="nope"), {}, "unknown one-thing type"),
        (lambda ms: ms[3].update(township_duty=""), {}, "township_duty: is required"),
        (lambda ms: ms[3].update(limits={"L9": {}}), {}, "not an urgency level"),
        (lambda ms: ms[3].update(limits={"L1": {"ack_minutes": -1}}), {}, "≥ 0"),
        (lambda ms: ms[3].update(surprise=1), {}, "unknown field"),
        (lambda ms: ms.append({**NEW_MATTER, "default_for": ["fire_hazard"]}), {}, "not one of the matter's"),
        (lambda ms: None, {"version": 1}, "already exists"),
        (lambda ms: None, {"effective": "2023-12-31"}, "must be after 2024-01-01"),
        (lambda ms: None, {"effective": "2026-11-01"}, "in the past"),
        (lambda ms: None, {"effective": "2026-13-01"}, "not a date"),
    ],
)
def test_publish_validation(db, mutate, kwargs, message):
    _v1_row, matters = _v1(db)
    mutate(matters)
    with pytest.raises(ValidationError, match=message):
        _publish(db, matters, **kwargs)
    assert svc.version_by_number(db, 2) is None


def test_each_category_is_the_default_of_one_matter(db):
    _v1_row, matters = _v1(db)
    owner = next(m for m in matters if m["default_for"])
    cat = owner["default_for"][0]
    matters.append({**NEW_MATTER, "category_codes": [cat], "default_for": [cat]})
    with pytest.raises(ValidationError, match=f"already the default of matter {owner['code']}"):
        _publish(db, matters)


def test_an_empty_list_or_a_later_version_rule(db):
    with pytest.raises(ValidationError, match="non-empty list"):
        _publish(db, [])
    _v1_row, matters = _v1(db)
    _publish(db, matters)
    with pytest.raises(ValidationError, match="must be after 2026-12-01"):
        _publish(db, matters, version=3, effective="2026-12-01", vid="v3")
    # the version number must grow too (a number below the latest is refused)
    db.get(MatterListVersion, "v2").version = 5
    db.flush()
    with pytest.raises(ValidationError, match="above the latest version 5"):
        _publish(db, matters, version=3, effective="2027-01-01", vid="v3")


def test_routing_uses_the_old_version_before_the_date_and_the_new_one_from_it(db):
    before = datetime(2026, 11, 30, 15, 59)  # 23:59 on 11-30 in Shanghai
    after = datetime(2026, 11, 30, 16, 0)  # 00:00 on 12-01 in Shanghai
    r_old = route(db, category_code="farmland_occupation", township_code=QC, at=before)
    assert r_old.matter_version == 1
    _v1_row, matters = _v1(db)
    target = next(m for m in matters if m["code"] == r_old.matter_code)
    new_lead = "enforcement" if target["lead_department_code"] != "enforcement" else "natres"
    target["lead_department_code"] = new_lead
    target["township_duty"] = "第2版：乡镇负责巡查发现"
    _publish(db, matters)
    r_before = route(db, category_code="farmland_occupation", township_code=QC, at=before)
    r_after = route(db, category_code="farmland_occupation", township_code=QC, at=after)
    assert (r_before.matter_version, r_before.lead_department_code) == (1, r_old.lead_department_code)
    assert (r_after.matter_version, r_after.lead_department_code) == (2, new_lead)
    assert r_after.township_duty == "第2版：乡镇负责巡查发现" and r_after.matter_code == r_old.matter_code


def test_only_a_county_coordinator_publishes_through_the_server(seeded_sqlite):
    from commandroom.server.pipeline import execute

    factory = session_factory(make_engine(seeded_sqlite))
    with factory() as s:
        _v1_row, matters = _v1(s)
    args = {"version": 2, "effective_from": "2099-01-01", "title": "t", "matters": matters}
    with pytest.raises(Forbidden, match="县社会治理中心"), factory() as s, s.begin():
        execute(s, actor=OFFICER, allowed_townships=[QC], name="reflist.publish_version", entity_id="v2",
                args=args)
    with factory() as s, s.begin():
        out = execute(s, actor=COORDINATOR, allowed_townships=None, name="reflist.publish_version",
                      entity_id="v2", args=args)
        assert out.status == "applied" and out.seq is not None
    with factory() as s:
        assert s.get(MatterListVersion, "v2").version == 2
        assert s.query(Matter).filter(Matter.version_id == "v2").count() == 70
