#!/usr/bin/python3
"""`jiju import` of the statistics form as a statistician actually has it,
against the real services:

  - the same 1,800-row form saved as UTF-8 with a BOM, UTF-8 without, GBK
    (Excel's "CSV (逗号分隔)" on a Chinese desktop), UTF-16 (Excel's "Unicode
    文本", tab-separated) and .xlsx: a --dry-run first (every row VALID,
    nothing written), then the UTF-8+BOM import accepts all 1,800 and each
    other encoding is answered DUPLICATE for every row - ingest found the
    very same report content (same id, same digest) in each;
  - thousands separators and full-width digits in the cells;
  - 集聚区名称 / 县区 that contradict the registry are refused naming both
    values and the cell; rows are numbered as a spreadsheet shows them;
    bytes that are no known text get one error with their offset;
  - round trip: `jiju archive export` as CSV and .xlsx imports again
    unchanged (all DUPLICATE), and the export after it is byte-identical
    (CSV) and equal cell by cell (.xlsx); imported into a fresh stack, the
    export has the same cells except the acceptance metadata.

usage: test_form_import.py BUILD_DIR
"""
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jiju_harness as h  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
HEADER = ["集聚区编码", "集聚区名称", "县区", "报告期", "版本", "营业收入(万元)", "税收(万元)",
          "入驻企业(户)", "吸纳就业(人)", "投入(万元)", "产值(万元)", "重点项目(个)",
          "公共服务平台(个)", "招商引资(万元)", "填报人", "备注"]
MONEY = {"营业收入(万元)", "税收(万元)", "投入(万元)", "产值(万元)", "招商引资(万元)"}
FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
EXPORT_META = {"受理实例", "受理序号", "存档序号", "受理时间"}  # about the acceptance itself


def jiju(stack, *args, check=None):
    env = dict(os.environ, JIJU_INGEST=",".join(stack.ingest_eps),
               JIJU_ASSESSMENT_QUERY=stack.ep["assessment_query"],
               JIJU_ARCHIVE=stack.ep["archive_query"])
    r = subprocess.run([f"{h.BIN}/cli/jiju", *args], capture_output=True, env=env, timeout=300)
    r.out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    if check is not None:
        assert r.returncode == check, f"jiju {' '.join(args)}: exit {r.returncode}\n{r.out[-3000:]}"
    return r


def summary(out):
    m = re.search(r"(imported|valid)=(\d+) rejected=(\d+) duplicate=(\d+) rows=(\d+)", out)
    assert m, f"no summary line in {out[-2000:]}"
    return m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5))


def form_rows():
    """1,800 rows: 12 clusters x 150 months, figures of the demo data, some
    written with thousands separators or full-width digits."""
    clusters = {c["cluster"]["id"]: c["cluster"] for c in
                json.load(open(os.path.join(DATA, "demo_clusters.json"))) if "cluster" in c}
    base = []
    with open(os.path.join(DATA, "demo_reports.csv"), encoding="utf-8-sig") as f:
        for rec in csv.DictReader(f):
            if rec["报告期"] == "2022" and len(base) < 12:
                base.append(rec)
    assert len(base) == 12
    rows = []
    for m in range(150):
        period = f"{2012 + m // 12}-{m % 12 + 1:02d}"
        for i, b in enumerate(base):
            c = clusters[b["集聚区编码"]]
            row = {k: b.get(k, "") for k in HEADER}
            row.update({"集聚区名称": c["name"], "县区": c["county"], "报告期": period, "版本": "1",
                        "填报人": "统计员", "备注": f"第{m + 1}期" if i % 3 == 0 else ""})
            n = len(rows)
            if n % 7 == 0:   # Excel's 千位分隔符
                row["营业收入(万元)"] = f"{float(row['营业收入(万元)']):,.2f}"
            if n % 11 == 0:  # typed in full-width mode
                row["吸纳就业(人)"] = row["吸纳就业(人)"].translate(FULLWIDTH)
            rows.append(row)
    assert len(rows) == 1800
    return rows


def csv_text(rows, sep=",", line="\r\n"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator=line)
    w.writerow(HEADER)
    for r in rows:
        w.writerow([r[k] for k in HEADER])
    return buf.getvalue()


def xlsx_bytes(rows):
    """An .xlsx as another program writes it (shared strings, numbers as
    numeric cells with Excel's 17 digits), made with the standard library."""
    strings, index = [], {}

    def sst(text):
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return index[text]

    def col(i):
        return chr(ord("A") + i)

    out = []
    for rn, values in enumerate([HEADER] + [[r[k] for k in HEADER] for r in rows], start=1):
        cells = []
        for i, v in enumerate(values):
            ref = f"{col(i)}{rn}"
            numeric = rn > 1 and HEADER[i] in MONEY | {"版本", "入驻企业(户)", "重点项目(个)",
                                                      "公共服务平台(个)", "吸纳就业(人)"}
            if v == "":
                continue
            if numeric and re.fullmatch(r"-?\d+(\.\d+)?", v):
                cells.append(f'<c r="{ref}"><v>{float(v)!r}</v></c>' if "." in v
                             else f'<c r="{ref}"><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="s"><v>{sst(v)}</v></c>')
        out.append(f'<row r="{rn}">{"".join(cells)}</row>')
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{"".join(out)}</sheetData></worksheet>'
    sst_xml = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{ns}" count="{len(strings)}">' +
               "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    wb = (f'<workbook xmlns="{ns}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
          f'relationships"><sheets><sheet name="报表" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", sst_xml)
    return buf.getvalue()


def xlsx_cells(path):
    """{cell ref: value} of the first sheet, read with the standard library."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(path) as z:
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
                strings.append("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        text = v.text if v is not None else "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))
        cells[c.get("r")] = strings[int(text)] if c.get("t") == "s" else text
    return cells


def start(label):
    stack = h.Stack()
    stack.start_all()
    r = jiju(stack, "submit", os.path.join(DATA, "demo_clusters.json"), check=0)
    ids = sorted(set(re.findall(r"JL-[A-Z]{2}-\d{3}", open(os.path.join(DATA, "demo_clusters.json")).read())))
    probe = h.Submitter(stack.ingest_eps)
    probe.wait_registry(ids)  # ingest follows assessment's events
    probe.close()
    # the registry check asks assessment: wait until it lists every cluster
    h.wait_until(lambda: len(h.assess_query(stack.ep["assessment_query"],
                                            list_clusters={}).clusters) >= len(ids),
                 30, what=f"{label}: clusters listed")
    return stack


def export(stack, period, fmt, path, rows):
    def done():
        r = jiju(stack, "archive", "export", "--period", period, "--format", fmt, "--output", path)
        return r.returncode == 0 and f"rows={rows} " in r.out
    h.wait_until(done, 60, step=0.2, what=f"export of {period} with {rows} rows")


def check_encodings(stack, work, rows):
    files = {
        "utf8-bom.csv": b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"),
        "utf8.csv": csv_text(rows).encode("utf-8"),
        "gbk.csv": csv_text(rows).encode("gbk"),
        "utf16.txt": csv_text(rows, sep="\t").encode("utf-16"),  # BOM + LE, as Excel saves it
        "form.xlsx": xlsx_bytes(rows),
    }
    for name, data in files.items():
        with open(os.path.join(work, name), "wb") as f:
            f.write(data)
    for name in files:  # a dry run writes nothing: every row VALID, then still new below
        r = jiju(stack, "import", "--dry-run", os.path.join(work, name), check=0)
        assert summary(r.out) == ("valid", 1800, 0, 0, 1800), (name, r.out[-1500:])
    t0 = time.monotonic()
    r = jiju(stack, "import", os.path.join(work, "utf8-bom.csv"), check=0)
    assert summary(r.out) == ("imported", 1800, 0, 0, 1800), r.out[-1500:]
    print(f"imported 1800 rows in {time.monotonic() - t0:.2f} s")
    for name in ["utf8.csv", "gbk.csv", "utf16.txt", "form.xlsx"]:
        r = jiju(stack, "import", os.path.join(work, name), check=0)
        # DUPLICATE: ingest found the same id with the same content digest
        assert summary(r.out) == ("imported", 0, 0, 1800, 1800), (name, r.out[-1500:])
        print(f"{name}: 1800 identical reports (DUPLICATE)")


def check_strict(stack, work):
    path = os.path.join(work, "wrong.csv")
    with open(path, "w", encoding="utf-8") as f:
        more = ",50,1200,8000.00,40000.00"  # 入驻企业, 吸纳就业, 投入, 产值
        f.write("集聚区编码,集聚区名称,县区,报告期,营业收入(万元),税收(万元),"
                "入驻企业(户),吸纳就业(人),投入(万元),产值(万元)\n"
                "JL-SW-001,东市场,昌邑区,2021,30000,100" + more + "\n"
                "\n"
                "\n"
                "JL-SW-001,河南街,龙潭区,2020,30000,100" + more + "\n"
                "JL-SW-002,河南街,龙潭区,2020,\"84,22\",100" + more + "\n"
                "JL-SW-003,天津街,,2020,10,20" + more + "\n")
    r = jiju(stack, "import", "--dry-run", path, check=1)
    print(r.out)
    # file line 5 is spreadsheet row 5; the name and the county both named
    assert 'B5 集聚区名称: "河南街" is not the registered name of JL-SW-001: "东市场"' in r.out, r.out
    assert "E6 营业收入(万元): bad amount" in r.out and "thousands separators" in r.out, r.out
    # ingest's rule, named at the cell of its field
    assert "row 7: REJECTED" in r.out and "F7 ERROR E_TAX_ABOVE_REVENUE" in r.out, r.out
    assert summary(r.out) == ("valid", 1, 3, 0, 4), r.out
    r = jiju(stack, "import", path, check=1)
    assert summary(r.out) == ("imported", 1, 3, 0, 4), r.out
    r = jiju(stack, "import", path, check=1)  # the dry run wrote nothing, the import once
    assert summary(r.out) == ("imported", 0, 3, 1, 4), r.out
    junk = os.path.join(work, "junk.csv")
    with open(junk, "wb") as f:  # a Western-European Windows file: none of the encodings
        f.write("cluster_id,period,note\n".encode() +
                "".join(f"JL-SW-00{i},2023,Café Müller à Genève, façade{i}\n" for i in range(9))
                .encode("cp1252"))
    r = jiju(stack, "import", junk, check=2)
    print(r.out)
    assert re.search(r"not UTF-8, GBK/GB18030 or UTF-16 text: byte 0xE9 at offset 41 ", r.out)  # len("cluster_id,period,note\\nJL-SW-000,2023,Caf"), r.out


def check_round_trip(stack, fresh, work):
    for fmt in ("csv", "xlsx"):
        first, again = os.path.join(work, f"e1.{fmt}"), os.path.join(work, f"e2.{fmt}")
        export(stack, "2024-06", fmt, first, 12)
        r = jiju(stack, "import", first, check=0)
        assert summary(r.out) == ("imported", 0, 0, 12, 12), (fmt, r.out)  # unchanged
        export(stack, "2024-06", fmt, again, 12)
        if fmt == "csv":
            assert open(first, "rb").read() == open(again, "rb").read(), "CSV round trip differs"
        else:
            assert xlsx_cells(first) == xlsx_cells(again), "xlsx round trip differs"
        # a fresh stack: the same reports, only the acceptance metadata differs
        # (the .xlsx is answered DUPLICATE there: the very reports of the CSV)
        r = jiju(fresh, "import", first, check=0)
        want = ("imported", 12, 0, 0, 12) if fmt == "csv" else ("imported", 0, 0, 12, 12)
        assert summary(r.out) == want, (fmt, r.out)
        other = os.path.join(work, f"fresh.{fmt}")
        export(fresh, "2024-06", fmt, other, 12)
        if fmt == "csv":
            a = list(csv.reader(open(first, encoding="utf-8-sig")))
            b = list(csv.reader(open(other, encoding="utf-8-sig")))
            keep = [i for i, name in enumerate(a[0]) if name not in EXPORT_META]
            assert [[r[i] for i in keep] for r in a] == [[r[i] for i in keep] for r in b]
        else:
            ca, cb = xlsx_cells(first), xlsx_cells(other)
            heads = {re.sub(r"\d+", "", ref): v for ref, v in ca.items() if ref.endswith("1") and
                     re.fullmatch(r"[A-Z]+1", ref)}
            meta = {c for c, v in heads.items() if v in EXPORT_META}
            strip = lambda cells: {k: v for k, v in cells.items() if re.sub(r"\d+", "", k) not in meta}
            assert strip(ca) == strip(cb), "fresh-stack xlsx differs beyond acceptance metadata"
        print(f"round trip {fmt}: unchanged")


def check_cli(stack):
    """--json on cluster list, ranking and targets; scores and rates with
    two decimals; a year without targets; a period closed twice."""
    r = jiju(stack, "cluster", "list", "--json", check=0)
    assert len(json.loads(r.stdout)["clusters"]) >= 12, r.out
    h.wait_until(lambda: jiju(stack, "ranking", "show", "2024-06", "--json").returncode == 0 and
                 json.loads(jiju(stack, "ranking", "show", "2024-06", "--json").stdout).get("ranking"),
                 30, step=0.2, what="a ranking of 2024-06")
    r = jiju(stack, "ranking", "show", "2024-06", "--json", "--category", "现代物流园", check=0)
    rk = json.loads(r.stdout)["ranking"]
    assert rk and all(e["category"] == "LOGISTICS" for e in rk), r.out
    r = jiju(stack, "ranking", "show", "2024-06", check=0)
    scores = re.findall(r"^\s+\d+\s+JL-\S+.*?\s(-?\d+\.\d+)\s+\S+\s*$", r.out, re.M)
    assert scores and all(re.fullmatch(r"-?\d+\.\d{2}", x) for x in scores), r.out
    r = jiju(stack, "targets", "2022", check=0)
    rates = re.findall(r"(\d+\.\d+)%", r.out)
    assert len(rates) == 4 and all(re.fullmatch(r"\d+\.\d{2}", x) for x in rates), r.out
    assert json.loads(jiju(stack, "targets", "2022", "--json", check=0).stdout)["year"] == 2022
    r = jiju(stack, "targets", "2030", check=1)
    assert "no targets are set for 2030" in r.out and "0.00%" not in r.out, r.out
    jiju(stack, "period", "close", "2024-06", check=0)
    # ingest learns the close from assessment's events; then a second close is refused
    def refused():
        r = jiju(stack, "period", "close", "2024-06")
        return r.returncode == 1 and "period 2024-06 was already closed" in r.out
    h.wait_until(refused, 30, step=0.2, what="second close refused")
    print("cli: --json, two decimals, no targets, closed twice: ok")


def main():
    work = tempfile.mkdtemp(prefix="jiju-form-")
    stack = fresh = None
    ok = False
    try:
        stack = start("stack")
        rows = form_rows()
        check_encodings(stack, work, rows)
        check_strict(stack, work)
        fresh = start("fresh")
        check_round_trip(stack, fresh, work)
        check_cli(fresh)
        ok = True
    finally:
        for s in (stack, fresh):
            if s and not ok:
                for name in s.procs:
                    print(f"---- {name} log ----\n{s.logs(name)}", file=sys.stderr)
            if s:
                s.cleanup()
    print("PASS")


if __name__ == "__main__":
    main()
