"""The county statistics form as a print-ready workbook, in the layout of seed 004's annex."""
from __future__ import annotations

from datetime import date

from ..excel.writer import SheetWriter, open_workbook, safe_text
from .services import (
    APART_TITLE,
    DEPARTMENT_HEADER,
    FIGURES,
    FORM_TITLE,
    SHARES_TITLE,
    CountyForm,
    header_groups,
    share_lines,
)

WIDTH = 1 + len(FIGURES)  # 报表单位 + the eight figures
HEADER_TOP, HEADER_BOTTOM = 3, 4  # 0-based rows of the two-level header
NOTE = ("说明：本表只统计部门联合抽查（两个及以上部门参加）中各部门已提交的检查结果（含待审核、已公示）；单部门的"
        "内部随机抽查和专项检查另列于下方，不计入本表。户、个、人均为去重后的数量；合计行中同一企业被多个部门联合"
        "检查只计一次，发现问题事项为各部门之和。年度按检查日期统计。")


def _header(ws, top: int, header) -> None:
    """The form's two-level header on rows `top` and `top + 1`."""
    ws.merge_range(top, 0, top + 1, 0, DEPARTMENT_HEADER, header)
    col = 1
    for group, figures in header_groups():
        if group is None:
            ws.merge_range(top, col, top + 1, col, figures[0].header, header)
        else:
            ws.merge_range(top, col, top, col + len(figures) - 1, group, header)
            for offset, figure in enumerate(figures):
                ws.write_string(top + 1, col + offset, figure.header, header)
        col += len(figures)
    ws.set_row(top, 24)
    ws.set_row(top + 1, 48)


def write_form(target, form: CountyForm, *, office: str, filled_on: date) -> None:
    """Title, scope, 填报单位 and 填报日期, the two-level header with merged cells, a row per department, 合计; below,
    the single-department work apart in the same columns and, for a year, the shares of joint work."""
    workbook, formats = open_workbook(target)
    base = {"font_name": "宋体", "font_size": 10.5, "valign": "vcenter"}
    total_text = workbook.add_format({**base, "bold": True, "border": 1, "align": "center"})
    total_number = workbook.add_format({**base, "bold": True, "border": 1, "align": "right"})
    centered = workbook.add_format({**base, "align": "center"})
    section = workbook.add_format({**base, "bold": True, "border": 1, "bg_color": "#F3F4F6"})
    subtitle = workbook.add_format({**base, "bold": True, "font_size": 12, "align": "center"})
    sheet = SheetWriter(workbook, "统计表", formats)
    ws = sheet.sheet

    def total(row) -> None:
        sheet.cell(sheet.row, 0, row.department, total_text)
        for col, value in enumerate(row.values(), start=1):
            sheet.cell(sheet.row, col, value, total_number)
        sheet.row += 1

    sheet.title(FORM_TITLE, WIDTH)
    ws.merge_range(1, 0, 1, WIDTH - 1, safe_text(f"统计范围：{form.scope.label}"), centered)
    half = WIDTH // 2 + 1
    ws.merge_range(2, 0, 2, half - 1, safe_text(f"填报单位：{office}"), formats["plain"])
    ws.merge_range(2, half, 2, WIDTH - 1, f"填报日期：{filled_on.year}年{filled_on.month}月{filled_on.day}日",
                   formats["plain"])
    _header(ws, HEADER_TOP, formats["header"])
    ws.set_column(0, 0, 24)
    ws.set_column(1, WIDTH - 1, 11)
    sheet.row = HEADER_BOTTOM + 1

    for row in form.rows:
        sheet.write([row.department, *row.values()])
    total(form.total)
    ws.merge_range(sheet.row, 0, sheet.row, WIDTH - 1, NOTE, formats["wrap"])
    ws.set_row(sheet.row, 44)
    sheet.row += 2

    if form.apart:
        ws.merge_range(sheet.row, 0, sheet.row, WIDTH - 1, APART_TITLE, subtitle)
        sheet.row += 1
        _header(ws, sheet.row, formats["header"])
        sheet.row += 2
        for part in form.apart:
            sheet.merge(0, WIDTH - 1, part.label, section)
            sheet.row += 1
            for row in part.rows:
                sheet.write([row.department, *row.values()])
            total(part.total)
        if form.rows or len(form.apart) > 1:  # all work, when it is more than the one part above
            total(form.all_total)
        sheet.row += 1

    if form.shares is not None:
        ws.merge_range(sheet.row, 0, sheet.row, WIDTH - 1, SHARES_TITLE, subtitle)
        sheet.row += 1
        sheet.header(["项目", "联合抽查", "全部随机抽查", "占比", "目标"], widths=[24, 11, 11, 11, 11])
        for line in share_lines(form.shares):
            sheet.write(line)

    ws.freeze_panes(HEADER_BOTTOM + 1, 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as the departments need
    ws.repeat_rows(HEADER_TOP, HEADER_BOTTOM)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    workbook.close()
