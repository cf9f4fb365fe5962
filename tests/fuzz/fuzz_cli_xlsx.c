/* fuzz_cli_xlsx.c - Excel forms imported with `jiju import FILE.xlsx`:
 * cli_xlsx_parse on any bytes (libzip opens the package, expat reads the
 * parts; workbook -> first sheet, shared strings, cells -> rows are Jiju's
 * own).
 *
 * An input is either a package as it is (it starts with "PK"), which
 * exercises the container, or the XML of a worksheet and, after a NUL byte,
 * of its shared strings, which this target wraps in a valid package so the
 * mutants reach the sheet reader (a mutated zip mostly fails its CRC).
 *
 * Promises checked on every input, as for the CSV reader: JIJU_ERR_INVALID
 * says why; JIJU_OK accounts for every data row, every problem names a row
 * and a reason, every report has an id, a cluster and a period, and a
 * problem's column is within Excel's (A..XFD). */
#include <string.h>

#include <zip.h>

#include "cli_xlsx.h"
#include "err.h"
#include "fuzz.h"

static const char wb[] =
    "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>"
    "<sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"t\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

/* A stored (uncompressed) package of the parts, in memory; caller frees. */
static uint8_t *package(const uint8_t *sheet, size_t sheet_len, const uint8_t *sst, size_t sst_len,
                        size_t *len)
{
    const struct {
        const char *name;
        const void *data;
        size_t len;
    } parts[] = {{"xl/workbook.xml", wb, sizeof wb - 1},
                 {"xl/_rels/workbook.xml.rels", rels, sizeof rels - 1},
                 {"xl/worksheets/sheet1.xml", sheet, sheet_len},
                 {"xl/sharedStrings.xml", sst, sst_len}};
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, NULL);
    zip_t *z;
    uint8_t *out = NULL;
    zip_stat_t st;

    if (!src)
        return NULL;
    zip_source_keep(src);
    if (!(z = zip_open_from_source(src, ZIP_TRUNCATE, NULL))) {
        zip_source_free(src);
        return NULL;
    }
    for (size_t i = 0; i < 4; i++) {
        zip_source_t *s = zip_source_buffer(z, parts[i].data, parts[i].len, 0);
        zip_int64_t idx = s ? zip_file_add(z, parts[i].name, s, 0) : -1;
        if (idx >= 0)
            zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (zip_close(z) == 0 && zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0) {
        if ((out = malloc(st.size ? st.size : 1)) &&
            zip_source_read(src, out, st.size) != (zip_int64_t)st.size) {
            free(out);
            out = NULL;
        }
        *len = st.size;
        zip_source_close(src);
    } else {
        zip_discard(z);
    }
    zip_source_free(src);
    return out;
}

static void check(const uint8_t *data, size_t size)
{
    cli_form_result *r = NULL;
    char err[512] = "";
    int rc = cli_xlsx_parse((const char *)data, size, &r, err, sizeof err);

    FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_INVALID || rc == JIJU_ERR_NOMEM);
    if (rc == JIJU_ERR_INVALID)
        FUZZ_CHECK(err[0] != '\0' && r == NULL);
    if (rc != JIJU_OK)
        return;
    FUZZ_CHECK(r->n_reports + r->bad_rows == r->rows);
    FUZZ_CHECK(r->bad_rows == 0 || r->n_problems >= r->bad_rows);
    for (size_t i = 0; i < r->n_problems; i++) {
        FUZZ_CHECK(r->problems[i].row >= 1 && r->problems[i].row <= 1048576);
        FUZZ_CHECK(r->problems[i].col <= 16384);
        FUZZ_CHECK(r->problems[i].reason[0] != '\0');
    }
    for (size_t i = 0; i < r->n_reports; i++) {
        const Jiju__V1__Report *x = r->reports[i];
        FUZZ_CHECK(x->report_id && x->report_id[0] && x->cluster_id && x->cluster_id[0]);
        FUZZ_CHECK(x->period && x->period[0] && x->revision >= 1);
        FUZZ_CHECK(r->report_rows[i] >= 2);
    }
    cli_form_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul;
    uint8_t *pkg;
    size_t len = 0, sheet_len;

    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        check(data, size);
        return 0;
    }
    nul = memchr(data, '\0', size);
    sheet_len = nul ? (size_t)(nul - data) : size;
    pkg = package(data, sheet_len, nul ? nul + 1 : (const uint8_t *)"",
                  nul ? size - sheet_len - 1 : 0, &len);
    if (pkg)
        check(pkg, len);
    free(pkg);
    return 0;
}

/* A sheet of the form (header, good row, bad cells, a gap, inline and
 * shared strings) and its shared strings. */
static const char seed_form[] =
    "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
    "<c r=\"C1\" t=\"inlineStr\"><is><t>营业收入(万元)</t></is></c><c r=\"D1\" t=\"s\"><v>2</v></c>"
    "<c r=\"E1\" t=\"s\"><v>3</v></c></row>"
    "<row r=\"2\"><c r=\"A2\" t=\"str\"><v>JL-SW-001</v></c><c r=\"B2\"><v>2023</v></c>"
    "<c r=\"C2\"><v>64830.110000000001</v></c><c r=\"D2\"><v>72</v></c>"
    "<c r=\"E2\" t=\"str\"><v>东市场</v></c></row>"
    "<row r=\"4\"><c r=\"A4\" t=\"str\"><v>JL-SW-002</v></c><c r=\"B4\" t=\"str\"><v>2023Q5</v></c>"
    "<c r=\"C4\"><v>1.5E-7</v></c><c r=\"D4\" t=\"b\"><v>1</v></c><c r=\"G4\" t=\"e\"><v>#N/A</v>"
    "</c></row></sheetData></worksheet>"
    "\0"
    "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>集聚区编码</t>"
    "</si><si><r><t>报告</t></r><r><t>期</t></r><rPh><t>x</t></rPh></si><si><t>入驻企业(户)</t>"
    "</si><si><t>集聚区名称</t></si></sst>";

size_t fuzz_seeds(const uint8_t ***data, const size_t **lens)
{
    static const uint8_t *d[2];
    static size_t l[2];
    static uint8_t *pkg;
    size_t n = 0, len = 0;

    d[n] = (const uint8_t *)seed_form;
    l[n++] = sizeof seed_form - 1;
    if (!pkg) { /* the same form as a real package, for the container's mutants */
        const char *nul = memchr(seed_form, '\0', sizeof seed_form - 1);
        pkg =
            package((const uint8_t *)seed_form, (size_t)(nul - seed_form), (const uint8_t *)nul + 1,
                    sizeof seed_form - 2 - (size_t)(nul - seed_form), &len);
        l[1] = len;
    }
    if (pkg) {
        d[n] = pkg;
        n++;
    }
    *data = d;
    *lens = l;
    return n;
}
