"""Item-list services: save an item keeping its earlier wording, import and export the lists."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import Department
from ..excel.importing import Importer, RowInvalid
from ..excel.reader import Column, limit
from ..excel.writer import write_list
from ..extensions import db
from ..textutil import join_list, split_list
from ..timeutil import now
from .models import ITEM_FIELDS, Item, ItemVersion

ITEM_LIMITS = {"code": 32, "name": 200, "category": 64, "basis": 2000, "body": 200, "target": 300,
               "industries": 300, "content": 4000, "method": 200, "ratio": 100, "materials": 2000, "note": 500}
ITEM_COLUMNS = (
    Column("code", "事项编号", ("编号", "序号")),
    Column("name", "抽查事项", ("抽查事项名称", "事项名称", "检查事项"), True),
    Column("category", "事项类别", ("抽查类别", "类别")),
    Column("basis", "抽查依据", ("检查依据", "依据")),
    Column("body", "检查主体", ("实施主体", "抽查主体")),
    Column("target", "检查对象", ("抽查对象",)),
    Column("industries", "适用行业", ("对应行业", "涉及行业")),
    Column("content", "检查内容", ("抽查内容",)),
    Column("method", "检查方式", ("抽查方式",)),
    Column("ratio", "抽查比例/频次", ("抽查比例", "抽查频次", "比例频次")),
    Column("materials", "需企业提供的材料", ("材料清单", "需提供材料", "企业需提供的材料")),
    Column("note", "备注"),
)


def item_values(raw: dict[str, str]) -> dict[str, str]:
    errors = []
    values = {}
    for key, label in ITEM_FIELDS.items():
        try:
            values[key] = limit(raw.get(key, "") or "", label, ITEM_LIMITS[key])
        except ValueError as error:
            errors.append(str(error))
    if not values.get("name"):
        errors.append("抽查事项为空")
    values["industries"] = join_list(split_list(values.get("industries"))) or "全部"
    values["materials"] = join_list(split_list(values.get("materials")))
    if errors:
        raise RowInvalid(errors)
    return values


def save_item(item: Item, values: dict, user_id: int | None) -> bool:
    """Apply `values` to `item`; if the item existed and changed, keep its earlier wording as a version."""
    changed = any(getattr(item, k) != v for k, v in values.items())
    if item.id is not None and changed:
        db.session.add(ItemVersion(item=item, version=item.version, data=item.snapshot(), replaced_by_id=user_id))
        item.version += 1
    for key, value in values.items():
        setattr(item, key, value)
    if changed:
        item.updated_at = now()
    db.session.add(item)
    return changed


def save_item_form(item: Item | None, department: Department, row: dict[str, str], user_id: int) -> tuple[Item, bool]:
    """Create or update one item of `department` from its form row; whether it changed. RowInvalid (Chinese
    reasons) when the row is wrong or its code is another item's of the department. A new item without a code
    gets the department's next one."""
    values = item_values(row)
    values["code"] = values["code"] or (item.code if item else next_code(department))
    clash = db.session.scalar(sa.select(Item).where(Item.department_id == department.id, Item.code == values["code"],
                                                    Item.id != (item.id if item else -1)))
    if clash:
        raise RowInvalid([f"事项编号{values['code']}已被“{clash.name}”使用"])
    item = item or Item(department_id=department.id)
    return item, save_item(item, values, user_id)


def industries_reached(department_id: int) -> list[str] | None:
    """The industries the department's active items reach, sorted; None when an item reaches every one ("全部"),
    an empty list when it has no active items yet."""
    reached = {industry for text in db.session.scalars(sa.select(Item.industries).where(
        Item.department_id == department_id, Item.active)) for industry in split_list(text) or ["全部"]}
    return None if "全部" in reached else sorted(reached)


def next_code(department: Department) -> str:
    count = db.session.scalar(sa.select(sa.func.count()).where(Item.department_id == department.id)) or 0
    while True:
        count += 1
        code = f"{department.code.upper()}-{count:03d}"
        if not db.session.scalar(sa.select(Item.id).where(Item.department_id == department.id, Item.code == code)):
            return code


class ItemImporter(Importer):
    """One department's item list; rows without a 事项编号 match an existing item by name."""

    label = "抽查事项"
    columns = ITEM_COLUMNS

    def __init__(self, department: Department, user_id: int | None = None):
        self.department = department
        self.department_id = department.id
        self.user_id = user_id

    def prepare(self):
        self.items = db.session.scalars(sa.select(Item).where(Item.department_id == self.department.id)).all()
        self.code_by_name = {item.name: item.code for item in self.items}

    def parse_row(self, raw):
        values = item_values(raw)
        if not values["code"]:
            values["code"] = self.code_by_name.get(values["name"], "")
        return (values["code"] or ("name", values["name"])), values

    def key_label(self, key):
        return f"事项编号 {key}" if isinstance(key, str) else f"抽查事项 {key[1]}"

    def existing(self):
        return {item.code: {**item.snapshot(), "id": item.id} for item in self.items}

    def write(self, new, changed):
        by_id = {item.id: item for item in self.items}
        for values in new:
            item = Item(department_id=self.department.id)
            if not values["code"]:
                values["code"] = next_code(self.department)
            save_item(item, values, self.user_id)
            db.session.flush()
        for old, values in changed:
            save_item(by_id[old["id"]], values, self.user_id)


def export_items(target, department_ids: list[int] | None = None) -> None:
    query = sa.select(Item).where(Item.active).order_by(Item.department_id, Item.code)
    if department_ids is not None:
        query = query.where(Item.department_id.in_(department_ids))
    headers = ["部门", *ITEM_FIELDS.values()]
    rows = ([item.department.name, *item.snapshot().values()] for item in db.session.scalars(query))
    write_list(target, "随机抽查事项清单", None, headers, rows)
