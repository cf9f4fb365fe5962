/* fuzz_cli_csv.c - the statistics forms imported with `jiju import`:
 * cli_csv_parse on any bytes (libcsv splits records; headers in Chinese or
 * English, 万元 amounts, row bookkeeping are Jiju's own).
 *
 * Promises checked on every input, beyond not crashing:
 *   - JIJU_ERR_INVALID says why; JIJU_OK accounts for every data row: good
 *     rows plus bad rows is all rows, and each bad row has a problem;
 *   - every problem names a row past the header (or the header itself) and
 *     a reason; every report has a report id, a cluster and a period. */
#include <string.h>

#include "cli_csv.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_form_result *r = NULL;
    char err[512] = "";
    int rc = cli_csv_parse((const char *)data, size, &r, err, sizeof err);

    FUZZ_CHECK(rc == JIJU_OK || rc == JIJU_ERR_INVALID || rc == JIJU_ERR_NOMEM);
    if (rc == JIJU_ERR_INVALID)
        FUZZ_CHECK(err[0] != '\0' && r == NULL);
    if (rc != JIJU_OK)
        return 0;
    FUZZ_CHECK(r->n_reports + r->bad_rows == r->rows);
    FUZZ_CHECK(r->bad_rows == 0 || r->n_problems >= r->bad_rows);
    for (size_t i = 0; i < r->n_problems; i++) {
        FUZZ_CHECK(r->problems[i].row >= 1);
        FUZZ_CHECK(r->problems[i].reason[0] != '\0');
    }
    for (size_t i = 0; i < r->n_reports; i++) {
        const Jiju__V1__Report *x = r->reports[i];
        FUZZ_CHECK(x->report_id && x->report_id[0] && x->cluster_id && x->cluster_id[0]);
        FUZZ_CHECK(x->period && x->period[0] && x->revision >= 1);
        FUZZ_CHECK(r->report_rows[i] >= 2);
    }
    cli_form_result_free(&r);
    return 0;
}
