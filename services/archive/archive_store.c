/* archive_store.c - opening a store with the archive's column families. */
#include "archive_store.h"

#include "err.h"

const char *const archive_cf_names[] = {
    ARCHIVE_CF_RECORD, ARCHIVE_CF_META,   ARCHIVE_CF_CLUSTER, ARCHIVE_CF_PERIOD,
    ARCHIVE_CF_TYPE,   ARCHIVE_CF_REPORT, ARCHIVE_CF_STREAM,  ARCHIVE_CF_TIME,
};
const size_t archive_n_cfs = sizeof archive_cf_names / sizeof archive_cf_names[0];

int archive_cfs_resolve(const store_t *s, archive_cfs *out)
{
    archive_cfs c;

    c.record = store_cf(s, ARCHIVE_CF_RECORD);
    c.meta = store_cf(s, ARCHIVE_CF_META);
    c.cluster = store_cf(s, ARCHIVE_CF_CLUSTER);
    c.period = store_cf(s, ARCHIVE_CF_PERIOD);
    c.type = store_cf(s, ARCHIVE_CF_TYPE);
    c.report = store_cf(s, ARCHIVE_CF_REPORT);
    c.stream = store_cf(s, ARCHIVE_CF_STREAM);
    c.time = store_cf(s, ARCHIVE_CF_TIME);
    if (c.record < 0 || c.meta < 0 || c.cluster < 0 || c.period < 0 || c.type < 0 || c.report < 0 ||
        c.stream < 0 || c.time < 0)
        return JIJU_ERR_STORE;
    *out = c;
    return JIJU_OK;
}
