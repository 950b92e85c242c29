"""The county statistics form as a print-ready workbook, in the layout of seed 004's annex."""
from __future__ import annotations

from datetime import date

from ..excel.writer import SheetWriter, open_workbook, safe_text
from .services import DEPARTMENT_HEADER, FIGURES, FORM_TITLE, CountyForm, header_groups

WIDTH = 1 + len(FIGURES)  # 报表单位 + the eight figures
HEADER_TOP, HEADER_BOTTOM = 3, 4  # 0-based rows of the two-level header
NOTE = ("说明：统计各部门已提交的检查结果（含待审核、已公示）。户、个、人均为去重后的数量；合计行中同一企业"
        "被多个部门联合检查只计一次，发现问题事项为各部门之和。年度按检查日期统计。")


def write_form(target, form: CountyForm, *, office: str, filled_on: date) -> None:
    """Title, scope, 填报单位 and 填报日期, the two-level header with merged cells, a row per department, 合计."""
    workbook, formats = open_workbook(target)
    total_text = workbook.add_format({"font_name": "宋体", "font_size": 10.5, "valign": "vcenter", "bold": True,
                                      "border": 1, "align": "center"})
    total_number = workbook.add_format({"font_name": "宋体", "font_size": 10.5, "valign": "vcenter",
                                        "bold": True, "border": 1, "align": "right"})
    centered = workbook.add_format({"font_name": "宋体", "font_size": 10.5, "valign": "vcenter", "align": "center"})
    sheet = SheetWriter(workbook, "统计表", formats)
    ws = sheet.sheet

    sheet.title(FORM_TITLE, WIDTH)
    ws.merge_range(1, 0, 1, WIDTH - 1, safe_text(f"统计范围：{form.scope.label}"), centered)
    half = WIDTH // 2 + 1
    ws.merge_range(2, 0, 2, half - 1, safe_text(f"填报单位：{office}"), formats["plain"])
    ws.merge_range(2, half, 2, WIDTH - 1, f"填报日期：{filled_on.year}年{filled_on.month}月{filled_on.day}日",
                   formats["plain"])

    header = formats["header"]
    ws.merge_range(HEADER_TOP, 0, HEADER_BOTTOM, 0, DEPARTMENT_HEADER, header)
    col = 1
    for group, figures in header_groups():
        if group is None:
            ws.merge_range(HEADER_TOP, col, HEADER_BOTTOM, col, figures[0].header, header)
        else:
            ws.merge_range(HEADER_TOP, col, HEADER_TOP, col + len(figures) - 1, group, header)
            for offset, figure in enumerate(figures):
                ws.write_string(HEADER_BOTTOM, col + offset, figure.header, header)
        col += len(figures)
    ws.set_row(HEADER_TOP, 24)
    ws.set_row(HEADER_BOTTOM, 48)
    ws.set_column(0, 0, 24)
    ws.set_column(1, WIDTH - 1, 11)
    sheet.row = HEADER_BOTTOM + 1

    for row in form.rows:
        sheet.write([row.department, *row.values()])
    sheet.cell(sheet.row, 0, form.total.department, total_text)
    for col, value in enumerate(form.total.values(), start=1):
        sheet.cell(sheet.row, col, value, total_number)
    sheet.row += 1
    ws.merge_range(sheet.row, 0, sheet.row, WIDTH - 1, NOTE, formats["wrap"])
    ws.set_row(sheet.row, 32)

    ws.freeze_panes(HEADER_BOTTOM + 1, 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as the departments need
    ws.repeat_rows(HEADER_TOP, HEADER_BOTTOM)
    ws.center_horizontally()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    workbook.close()
