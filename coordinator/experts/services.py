"""Drawing experts with the project's draw machinery: a seed round of kind "experts" locks the input below (every
enterprise of a required industry still without an expert, each with the pool's experts of that industry who need
not avoid it), and the stage-1 solver draws one per enterprise (each enterprise a stratum of count 1), so the draw
replays byte for byte like every other (campaigns.services.replay)."""
from __future__ import annotations

import json

import sqlalchemy as sa

import solver
from solver import canonical_json, sha256_hex

from ..auth.models import Department, User
from ..campaigns.models import Campaign, CampaignSubject, Draw
from ..campaigns.services.common import CampaignError, require_status
from ..campaigns.services.draws import run_locked
from ..excel.importing import Importer, RowInvalid
from ..excel.reader import Column
from ..extensions import db
from ..states import CampaignStatus, DrawKind, DrawnStatus
from ..textutil import split_list
from .models import Expert, ExpertAssignment

STATUSES = (CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)  # the teams are known: the experts go along


def pool() -> list[Expert]:
    return db.session.scalars(sa.select(Expert).where(Expert.active).order_by(Expert.code)).all()


def needing(campaign: Campaign) -> list[CampaignSubject]:
    """The campaign's drawn enterprises of a required industry that have no expert yet."""
    wanted = set(campaign.expert_industries or [])
    return [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and cs.subject.industry in wanted
            and not cs.expert_assignments]


def candidates(cs: CampaignSubject, experts: list[Expert]) -> tuple[list[Expert], list[tuple[Expert, str]]]:
    """Who may go to `cs` (knows its industry), and who of those must avoid it, with why."""
    knowing = [e for e in experts if e.knows(cs.subject.industry)]
    return ([e for e in knowing if not e.must_avoid(cs.subject)],
            [(e, e.recusal_reason(cs.subject)) for e in knowing if e.must_avoid(cs.subject)])


def set_industries(campaign: Campaign, industries: list[str]) -> None:
    require_status(campaign, CampaignStatus.COLLECTING, CampaignStatus.LOCKED, CampaignStatus.DRAWN, *STATUSES)
    campaign.expert_industries = sorted({i.strip()[:40] for i in industries if i.strip()})


def check(campaign: Campaign) -> None:
    require_status(campaign, *STATUSES)
    if not campaign.expert_industries:
        raise CampaignError("这次联合抽查没有设定需要专家随同检查的行业")
    if not needing(campaign):
        raise CampaignError("没有需要抽取专家的检查对象（所设行业的检查对象都已有专家）")


def problem(campaign: Campaign) -> dict:
    """The draw's input without its seed: one stratum (count 1) per enterprise, its experts as the units."""
    experts = pool()
    strata, units = [], []
    for cs in sorted(needing(campaign), key=lambda cs: cs.subject.credit_code):
        code = cs.subject.credit_code
        strata.append({"id": code, "count": 1})
        units += [{"id": f"{code}/{e.code}", "stratum": code, "weight": 1.0, "must": False}
                  for e in candidates(cs, experts)[0]]
    return {"strata": strata, "subjects": units}


def lock(campaign: Campaign, user: User) -> Draw:
    check(campaign)
    text = canonical_json(problem(campaign))
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.EXPERTS, problem=text, locked_sha256=sha256_hex(text),
                note=f"专家随同检查：{'、'.join(campaign.expert_industries)}"[:500], operator_id=user.id)
    db.session.add(draw)
    db.session.flush()
    return draw


def run(campaign: Campaign, draw: Draw, seed: str, witness: str, user: User | None) -> list[ExpertAssignment]:
    """Run the locked draw and seat each drawn expert; an enterprise nobody may go to stays without one."""
    require_status(campaign, *STATUSES)
    result = run_locked(draw, seed, witness, user, solver.draw_subjects)
    by_code = {cs.subject.credit_code: cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE}
    experts = {e.code: e for e in db.session.scalars(sa.select(Expert))}
    seated = []
    for row in result["drawn"]:
        code, expert_code = row["id"].split("/", 1)
        seated.append(ExpertAssignment(campaign_subject=by_code[code], expert=experts[expert_code], draw=draw))
    db.session.add_all(seated)
    db.session.flush()
    return seated


def short(draw: Draw) -> list[str]:
    """Enterprises of a drawn experts draw for which no expert could go (none knows the industry or all avoid it)."""
    if draw.result is None:
        return []
    return [s["id"] for s in json.loads(draw.result)["strata"] if s["drawn"] < 1]


# ---- import: the one import pipeline (upload → preview with each refused row → confirm) -----------------------

EXPERT_COLUMNS = (
    Column("code", "专家编号", ("编号", "证书编号", "专家证号"), True),
    Column("name", "姓名", ("专家姓名",), True),
    Column("employer", "工作单位", ("单位", "所在单位")),
    Column("department", "所属部门", ("县直部门", "部门")),
    Column("specialties", "专业领域", ("专长", "擅长行业", "行业", "专业"), True),
    Column("phone", "联系电话", ("电话", "手机号码", "手机")),
    Column("conflicts", "利害关系单位", ("回避单位", "利害关系单位统一社会信用代码")),
)


def _parsed(row: dict[str, str], department_id: int | None, user: User) -> dict:
    """One form row through the import's rules (RowInvalid with every reason); a department's administrator's
    expert stays in its own department whatever was posted."""
    importer = ExpertImporter(None if user.is_office else user.department_id)
    importer.prepare()
    department = db.session.get(Department, department_id) if department_id else None
    return importer.parse_row({**row, "department": department.name if department else ""})[1]


def create_expert(row: dict[str, str], department_id: int | None, user: User) -> Expert:
    """A new expert typed in by hand, by the import's rules; a 专家编号 already in the pool is refused (edit that
    expert instead), as the import would otherwise update it. The ORM's audit entry records the new row."""
    values = _parsed(row, department_id, user)
    existing = db.session.scalar(sa.select(Expert).where(Expert.code == values["code"]))
    if existing is not None:
        raise RowInvalid([f"专家编号{values['code']}已在专家库中（{existing.name}），请编辑该专家"])
    expert = Expert(**values)
    db.session.add(expert)
    db.session.flush()
    return expert


def save_expert(expert: Expert, row: dict[str, str], department_id: int | None, user: User) -> Expert:
    """Edit an expert from a form row by the import's rules (RowInvalid with every reason); a department's
    administrator keeps it in its own department. The ORM's audit entry records before and after."""
    values = _parsed({**row, "code": expert.code}, department_id, user)
    for key, value in values.items():
        if key != "code" and getattr(expert, key) != value:
            setattr(expert, key, value)
    return expert


class ExpertImporter(Importer):
    """Experts by 专家编号. The office imports every expert (所属部门 blank: outside the departments); a
    department's administrator only its own specialists."""

    label = "专家库"
    columns = EXPERT_COLUMNS

    def __init__(self, only_department_id: int | None = None):
        self.department_id = only_department_id

    def prepare(self):
        self.departments = dict(db.session.execute(sa.select(Department.name, Department.id)).all())

    def parse_row(self, raw):
        errors = []
        code = raw.get("code", "").replace(" ", "").upper()
        if not code or len(code) > 32:
            errors.append("专家编号为空" if not code else "专家编号过长（最多32个字符）")
        name = raw.get("name", "").strip()
        if not name or len(name) > 64:
            errors.append("姓名为空" if not name else "姓名过长")
        specialties = split_list(raw.get("specialties", ""))
        if not specialties:
            errors.append("专业领域为空（填写行业，多个用“、”分隔）")
        department_name = raw.get("department", "").strip()
        department_id = self.departments.get(department_name) if department_name else None
        if department_name and department_id is None:
            errors.append(f"所属部门“{department_name}”不是本县的部门（部门外专家请留空）")
        if self.department_id is not None:
            if department_id not in (None, self.department_id):
                errors.append("只能导入本部门的专家")
            department_id = self.department_id
        conflicts = [c.upper() for c in split_list(raw.get("conflicts", ""))]
        if errors:
            raise RowInvalid(errors)
        return code, {"code": code, "name": name, "employer": raw.get("employer", "").strip()[:200],
                      "department_id": department_id, "specialties": specialties,
                      "phone": raw.get("phone", "").strip()[:32], "conflicts": conflicts}

    def key_label(self, key):
        return f"专家编号{key}"

    def existing(self):
        return {e.code: {"id": e.id, "code": e.code, "name": e.name, "employer": e.employer,
                         "department_id": e.department_id, "specialties": e.specialties, "phone": e.phone,
                         "conflicts": e.conflicts} for e in db.session.scalars(sa.select(Expert))}

    def write(self, new, changed):
        db.session.add_all(Expert(**values) for values in new)
        for old, values in changed:
            expert = db.session.get(Expert, old["id"])
            for key, value in values.items():
                setattr(expert, key, value)
