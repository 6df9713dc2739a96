"""Report files: XLSX (one sheet per section), CSV and PDF (with charts and page numbers).

Each writer returns the file's bytes; the caller writes them atomically. Nothing here
touches Qt, so the command line makes the same files on a machine without a display.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache

from app.i18n.formats import format_date, format_datetime
from app.paths import resources_dir
from app.reports.model import Report, Table

FORMATS = ("xlsx", "csv", "pdf")


def render(report: Report, fmt: str) -> bytes:
    if fmt == "xlsx":
        return write_xlsx(report)
    if fmt == "csv":
        return write_csv(report)
    if fmt == "pdf":
        return write_pdf(report)
    raise ValueError(fmt)


def _header_lines(report: Report) -> list[tuple[str, str]]:
    entries = str(report.entries) if report.entries == 0 or report.entries >= report.threshold else f"<{report.threshold}"
    span = f"{format_date(report.first, report.language)} – {format_date(report.last, report.language)}"
    return [
        (report.labels["period"], span if report.period_label == span else f"{report.period_label} ({span})"),
        (report.labels["created"], format_datetime(report.created, report.language)),
        (report.labels["entries"], entries),
    ]


# -- CSV ------------------------------------------------------------------------------------

def write_csv(report: Report) -> bytes:
    """One file, tables one after another: a line with section and table title, the header,
    the rows, the totals row, an empty line. UTF-8 with BOM so spreadsheets read umlauts."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow([report.title])
    for name, value in _header_lines(report):
        out.writerow([name, value])
    out.writerow([report.labels["legend"]])
    out.writerow([report.labels["privacy"]])
    for section in report.sections:
        for table in section.tables:
            out.writerow([])
            out.writerow([section.title, table.title])
            out.writerow([table.row_title, *table.column_labels()])
            for r, label in enumerate(table.row_labels()):
                out.writerow([label, *(table.text(r, c) for c in range(len(table.columns) + 1))])
            if table.note:
                out.writerow([table.note])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# -- XLSX -----------------------------------------------------------------------------------

def _sheet_name(title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", title)[:31].strip() or "Sheet"
    base, n = name, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def write_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    cover = book.active
    taken: set[str] = set()
    cover.title = _sheet_name(report.title, taken)
    bold, title_font = Font(bold=True), Font(bold=True, size=14)
    cover["A1"] = report.title
    cover["A1"].font = title_font
    for i, (name, value) in enumerate(_header_lines(report), start=3):
        cover.cell(row=i, column=1, value=name).font = bold
        cover.cell(row=i, column=2, value=value)
    cover.cell(row=7, column=1, value=report.labels["legend"])
    cover.cell(row=8, column=1, value=report.labels["privacy"])
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 50
    fill = PatternFill("solid", fgColor="DDE4EE")
    right = Alignment(horizontal="right")
    for section in report.sections:
        sheet = book.create_sheet(_sheet_name(section.title, taken))
        sheet["A1"] = section.title
        sheet["A1"].font = title_font
        row = 3
        widest = 12
        for table in section.tables:
            sheet.cell(row=row, column=1, value=table.title).font = bold
            row += 1
            for c, label in enumerate([table.row_title, *table.column_labels()], start=1):
                cell = sheet.cell(row=row, column=c, value=label)
                cell.font, cell.fill = bold, fill
                cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left" if c == 1 else "right")
            row += 1
            for r, label in enumerate(table.row_labels()):
                is_total_row = r == len(table.rows)
                cell = sheet.cell(row=row, column=1, value=label)
                widest = max(widest, len(label))
                if is_total_row:
                    cell.font = bold
                for c in range(len(table.columns) + 1):
                    value = table.value(r, c)
                    cell = sheet.cell(row=row, column=c + 2, value=value if value is not None else table.text(r, c))
                    if value is not None:
                        cell.number_format = "#,##0"
                    cell.alignment = right
                    if is_total_row or c == len(table.columns):
                        cell.font = bold
                row += 1
            if table.note:
                sheet.cell(row=row, column=1, value=table.note).font = Font(italic=True)
                row += 1
            row += 1
        sheet.column_dimensions["A"].width = min(48, widest + 2)
        for c in range(2, 14):
            sheet.column_dimensions[get_column_letter(c)].width = 16
        sheet.freeze_panes = "B1"
        sheet.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- PDF ------------------------------------------------------------------------------------

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    """DejaVu Sans (bundled in resources/fonts, see its licence there) covers Romanian ș ț,
    Bulgarian Cyrillic and the Romani letters."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)


MAX_CHART_ROWS = 40  # 14 pt a bar: 584 pt, within an A4 page's frame; longer tables are printed only


def _chart(table: Table, width: float):
    """A horizontal bar chart of the printed row totals (hidden totals get no bar)."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    rows = [(label, table.value(r, len(table.columns))) for r, label in enumerate(table.rows)]
    if not rows or all(v is None for _l, v in rows) or len(rows) > MAX_CHART_ROWS:
        return None  # a chart cannot split across pages: five years of months made one taller than a page
    height = 14 * len(rows) + 24
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 170, 12
    chart.width, chart.height = width - 230, height - 20
    chart.data = [[v or 0 for _l, v in reversed(rows)]]
    chart.categoryAxis.categoryNames = [(label[:30] + "…") if len(label) > 31 else label for label, _v in reversed(rows)]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#3b6ea5")
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    for i, (label, v) in enumerate(reversed(rows)):
        if v is None:  # say it is hidden rather than drawing a zero
            step = chart.height / len(rows)
            drawing.add(String(chart.x + 4, chart.y + step * i + step / 2 - 3, table.text(len(rows) - 1 - i, len(table.columns)),
                               fontName=FONT, fontSize=7, fillColor=colors.grey))
    return drawing


CELL_PADDING = 3  # left and right padding of a table cell, in points (reportlab's default is 6)


def fit_columns(labels: list[str], total: float, *, size: float = 7.5, smallest: float = 5.5,
                figures: str = "00000") -> tuple[list[float], float]:
    """Widths for columns of figures under these headers, summing to `total` points, and the
    header font size. Each column gets room for its longest header word (reportlab would
    otherwise cut the word: "Hausbesu-ch") and for `figures`; what is left is shared out in
    proportion. If even that is too wide, the header font shrinks, down to `smallest`; words
    wider than that are still cut."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def need(label: str, at: float) -> float:
        words = [stringWidth(word, FONT_BOLD, at) for word in label.split()] or [0.0]
        return max(*words, stringWidth(figures, FONT_BOLD, 7.5)) + 2 * CELL_PADDING

    needs = [need(label, size) for label in labels]
    while sum(needs) > total and size > smallest:  # padding and figures do not shrink with the font
        size = max(smallest, size - 0.25)
        needs = [need(label, size) for label in labels]
    spare = max(0.0, total - sum(needs))
    widths = [n + spare * n / sum(needs) for n in needs]
    scale = total / sum(widths)  # below `smallest` the columns are squeezed to fit the page
    return [w * scale for w in widths], size


def row_title_width(labels: list[str], title: str, *, longest: float, shortest: float = 60.0) -> float:
    """The first column: as wide as its longest row label on one line, within the given bounds,
    so that tables with short row labels (districts, months) leave room for their figures."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    wanted = max([stringWidth(label, FONT, 7.5) for label in labels] + [stringWidth(title, FONT_BOLD, 7.5)])
    return max(shortest, min(longest, wanted + 2 * CELL_PADDING))


def table_layout(table: Table, page_width: float) -> tuple[float, list[float], float]:
    """The PDF table's first column width, its other column widths and its header font size."""
    _register_fonts()  # the widths are measured in the bundled fonts
    first = row_title_width(table.row_labels(), table.row_title, longest=min(60 * MM, page_width * 0.34))
    widths, size = fit_columns(table.column_labels(), page_width - first)
    return first, widths, size


MM = 72 / 25.4  # points per millimetre
PAGE_WIDTH = 595.2755905511812 - 36 * MM  # A4 less the 18 mm margins on each side, in points


def write_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (CondPageBreak, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer,
                                    Table as PdfTable, TableStyle)
    from xml.sax.saxutils import escape

    _register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"))
    cell_style = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9)
    head_style = ParagraphStyle("head", parent=cell_style, fontName=FONT_BOLD, alignment=2)
    head_left = ParagraphStyle("headl", parent=cell_style, fontName=FONT_BOLD)
    h1 = ParagraphStyle("h1", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=4, spaceAfter=6)
    h3 = ParagraphStyle("h3", parent=body, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=8, spaceAfter=4)

    buffer = io.BytesIO()
    page_width = PAGE_WIDTH
    footer = f"{report.title} · {report.period_label} · {report.labels['created']} {report.created:%Y-%m-%d %H:%M}"

    def numbered_canvas(*args, **kwargs):
        from reportlab.pdfgen.canvas import Canvas

        class _Canvas(Canvas):
            """Draws "Page n of N" once every page is known."""

            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                self._pages = []

            def showPage(self):  # noqa: N802 (reportlab API)
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self):
                for state in self._pages:
                    self.__dict__.update(state)
                    self.setFont(FONT, 7.5)
                    self.setFillColor(colors.HexColor("#555555"))
                    self.drawString(18 * mm, 10 * mm, footer)
                    self.drawRightString(A4[0] - 18 * mm, 10 * mm, report.labels["page"].format(
                        page=self._pageNumber, pages=len(self._pages)))
                    super().showPage()
                super().save()

        return _Canvas(*args, **kwargs)

    story = [Paragraph(escape(report.title), h1)]
    for name, value in _header_lines(report):
        story.append(Paragraph(f"<b>{escape(name)}:</b> {escape(value)}", body))
    story += [Spacer(1, 4), Paragraph(escape(report.labels["legend"]), small),
              Paragraph(escape(report.labels["privacy"]), small)]
    for i, section in enumerate(report.sections):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(escape(section.title), h2))
        for table in section.tables:
            first, widths, size = table_layout(table, page_width)
            fitted = {"fontSize": size, "leading": size + 1.5}
            header = [Paragraph(escape(table.row_title), ParagraphStyle("headl-fit", parent=head_left, **fitted))] + [
                Paragraph(escape(label), ParagraphStyle("head-fit", parent=head_style, **fitted))
                for label in table.column_labels()]
            data = [header]
            for r, label in enumerate(table.row_labels()):
                data.append([Paragraph(escape(label), cell_style)] + [table.text(r, c) for c in range(len(table.columns) + 1)])
            grid = PdfTable(data, colWidths=[first, *widths], repeatRows=1)
            grid.setStyle(TableStyle([
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("FONT", (0, -1), (-1, -1), FONT_BOLD, 7.5),
                ("FONT", (-1, 1), (-1, -1), FONT_BOLD, 7.5),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#3b6ea5")),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.HexColor("#3b6ea5")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, colors.HexColor("#f4f6f9")]),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ]))
            block = [Paragraph(escape(table.title), h3)]
            chart = _chart(table, page_width)
            if chart is not None:
                block.append(chart)
            story.append(CondPageBreak(60 * mm))
            story.append(KeepTogether(block))
            story.append(grid)
            if table.note:
                story.append(Paragraph(escape(table.note), small))
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=report.title, author="Mediator Log",
                            subject=report.period_label, lang=report.language)
    doc.build(story, canvasmaker=numbered_canvas)
    return buffer.getvalue()
