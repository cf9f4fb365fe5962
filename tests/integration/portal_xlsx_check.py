"""GET /api/v1/export?format=xlsx read back with openpyxl (Debian's
python3-openpyxl), a library that is not the writer: the workbook a
statistician opens in Excel. Called by test_portal_api.py on its stack (the
demo's 2023, closed). Checks every reported cluster's row against what was
submitted (万元 as numbers with a 万元 number format, counts as numbers, ids as
text), the acceptance time as a Beijing-time Excel date equal to the CSV's,
Chinese headers in a bold frozen row, columns wide enough for their Chinese
text, and the 排名 sheet against the JSON ranking (scores as numbers, the
share of indicators reported as an Excel percentage)."""
import datetime
import io
from decimal import Decimal

import openpyxl

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fetch(R, query, user):
    r = R("GET", "/api/v1/export?" + query, user=user)
    if r.status != 200:
        return r, None
    return r, openpyxl.load_workbook(io.BytesIO(r.body))


def rows_of(ws):
    return [list(row) for row in ws.iter_rows(values_only=True)]


def display_width(text):
    """Columns a person's eye needs: East Asian wide characters take two."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def check_all(R, check, reports, csv_rows, ranking):
    """reports: cluster id -> the demo report submitted; csv_rows: the CSV
    export of the same period (header first); ranking: its JSON ranking."""
    r, wb = fetch(R, "period=2023&format=xlsx", "drc-admin")
    check(r.status == 200 and r.header("Content-Type") == XLSX_TYPE and
          'filename="jiju-2023.xlsx"' in (r.header("Content-Disposition") or "") and
          r.body.startswith(b"PK\x03\x04"),
          "export 2023 as xlsx: a workbook (zip) with its content type and file name", r)
    if wb is None:
        return
    check(wb.sheetnames == ["2023", "排名"], "xlsx: sheets 2023 (the reports) and 排名 (final)",
          wb.sheetnames)
    ws = wb["2023"]
    rows = rows_of(ws)
    head = rows[0]
    check(head == csv_rows[0], "xlsx: the CSV's Chinese headers, in the same order", head)
    check(ws.freeze_panes == "A2" and all(ws.cell(1, c).font.b for c in range(1, len(head) + 1)),
          "xlsx: the header row is bold and frozen", ws.freeze_panes)
    col = {h: i for i, h in enumerate(head)}
    by_id = {row[0]: (i + 2, row) for i, row in enumerate(rows[1:])}
    check(set(by_id) == set(reports), "xlsx: one row per reporting cluster", sorted(by_id))
    money = [h for h in head if h.endswith("(万元)")]
    counts = [("入驻企业(户)", "enterprises"), ("吸纳就业(人)", "employment"),
              ("重点项目(个)", "key_projects"), ("公共服务平台(个)", "public_service_platforms")]
    bad = []
    for cid, rep in reports.items():
        line, row = by_id.get(cid, (None, None))
        if row is None:
            continue
        for h in money:
            field = {"投入(万元)": "investment_wan", "产值(万元)": "output_value_wan",
                     "营业收入(万元)": "revenue_wan", "税收(万元)": "tax_wan",
                     "招商引资(万元)": "attracted_investment_wan"}[h]
            cell = ws.cell(line, col[h] + 1)
            if not (isinstance(cell.value, float) and cell.number_format == "0.00####" and
                    Decimal(repr(cell.value)) == Decimal(rep[field])):
                bad.append((cid, h, cell.value, cell.number_format, rep[field]))
        for h, field in counts:
            if row[col[h]] != rep[field]:
                bad.append((cid, h, row[col[h]], rep[field]))
        if not (isinstance(row[col["集聚区编号"]], str) and row[col["期次"]] == "2023" and
                row[col["报表编号"]] == rep["report_id"] and row[col["版本"]] == rep["revision"]):
            bad.append((cid, "ids", row[:3]))
    check(not bad, "xlsx: every amount a number in 万元 (0.00####) equal to the report's, "
          "counts as numbers, ids and the period as text", bad[:5])
    # the acceptance time: an Excel date in Beijing time, the CSV's instant
    csv_col = csv_rows[0].index("受理时间")
    csv_time = {x[0]: x[csv_col] for x in csv_rows[1:]}
    wrong = []
    for cid, (line, row) in by_id.items():
        cell = ws.cell(line, col["受理时间"] + 1)
        want = datetime.datetime.fromisoformat(csv_time[cid])  # "...+08:00"
        if not (isinstance(cell.value, datetime.datetime) and cell.is_date and
                abs(cell.value - want.replace(tzinfo=None)) < datetime.timedelta(milliseconds=2) and
                want.utcoffset() == datetime.timedelta(hours=8)):
            wrong.append((cid, cell.value, csv_time[cid]))
    check(not wrong, "xlsx: 受理时间 an Excel date in Asia/Shanghai, the CSV's time", wrong[:3])
    narrow = []
    for i, h in enumerate(head):
        letter = openpyxl.utils.get_column_letter(i + 1)
        width = ws.column_dimensions[letter].width
        need = max([display_width(h)] + [display_width(r[i]) for r in rows[1:] if r[i] is not None
                                         and not isinstance(r[i], (float, datetime.datetime))])
        if width < need:
            narrow.append((h, width, need))
    check(not narrow, "xlsx: every column as wide as its Chinese header and text", narrow)

    # the ranking sheet, against the JSON ranking
    rk = rows_of(wb["排名"])
    rh = {h: i for i, h in enumerate(rk[0])}
    entries = ranking["entries"]
    ranked = [e for e in entries if e.get("rank", 0) > 0]
    got = [(x[rh["名次"]], x[rh["集聚区编号"]], x[rh["集聚区名称"]]) for x in rk[1:]]
    want = [(e.get("rank") or None, e["cluster_id"], e["cluster_name"]) for e in entries]
    check(got == want, "xlsx 排名: every entry in the ranking's order, ranks as numbers",
          [got[:3], want[:3]])
    ws2 = wb["排名"]
    off = []
    for i, e in enumerate(ranked):
        score = ws2.cell(i + 2, rh["得分"] + 1)
        pct = ws2.cell(i + 2, rh["指标报送率"] + 1)
        if not (isinstance(score.value, float) and
                round(score.value * 1e6) == e["score_micros"] and
                pct.number_format == "0.00%" and
                abs(pct.value - e.get("indicators_reported", 0) / 6) < 1e-9):
            off.append((e["cluster_id"], score.value, e["score_micros"], pct.value,
                        pct.number_format))
    check(ranked and not off, "xlsx 排名: scores as numbers (the service's millionths), "
          "the share of indicators reported as a percentage (0.00%)", off[:3])
    unranked = [x for x in rk[1:] if x[rh["名次"]] is None]
    check(all(x[rh["状态"]] in ("未报送", "数据不足") and x[rh["说明"]] for x in unranked),
          "xlsx 排名: clusters not ranked say why, in Chinese", unranked[:2])

    # a reporter: its own cluster only, on both sheets; an unknown format
    r, wb = fetch(R, "period=2023&format=xlsx&cluster_id=JL-WL-001", "jl-wl-001-org")
    check(wb is not None and [x[0] for x in rows_of(wb["2023"])[1:]] == ["JL-WL-001"] and
          [x[1] for x in rows_of(wb["排名"])[1:]] == ["JL-WL-001"],
          "xlsx: a reporter exports its own cluster (reports and ranking)", r)
    r, _ = fetch(R, "period=2023&format=xlsx", "jl-wl-001-org")
    check(r.status == 403, "xlsx: a reporter may not export every cluster", r)
