/* assess_filter.c - Bloom filters (bloom.h) over the keys of two families,
 * assess_report_ids and assess_reports, so that a report's two point reads
 * that find nothing (its id never applied; no earlier report of its
 * cluster in its period) need no store read.
 *
 * Those are most of assessment's reads: every new report id is a miss by
 * construction, and so is the first report of a (period, cluster). A miss
 * went through the txn's batch index, the memtables and each SST file's
 * filter and index (docs/benchmarks.md "Session 8").
 *
 * The store stays the truth. A filter holds every key of its family
 * committed before the process started (scanned by assess_filters_load)
 * and every key any txn has put since (assess_filter_note, called before
 * the put): a key it does not hold is in no txn's batch and not in the
 * store. A key put by a txn that never commits (kill -9 before the commit,
 * an aborted txn) stays in the filter as a false "perhaps", which costs a
 * read and nothing else; a restart scans again. So nothing about what a
 * txn sees changes, only how a certain miss is answered.
 *
 * Memory: 10 bits per key planned, twice the keys found at start-up:
 * at 100,000 clusters, 1.2 million reports and about as many ids a year of
 * months, ~1.5 MB per filter per year of history. Bounded by
 * ASSESS_FILTER_MAX_BYTES each: beyond it a filter answers "perhaps"
 * always (every read goes to the store, as before). */
#include <stdint.h>
#include <stdlib.h>

#include "assess_state.h"
#include "bloom.h"
#include "err.h"

#define ASSESS_FILTER_MAX_BYTES (32u * 1024 * 1024) /* ~26 million keys */
#define ASSESS_FILTER_MIN_KEYS 65536

static const int filtered[] = {ACF_REPORT_IDS, ACF_REPORTS};

static int filter_load(assess_t *a, int cf)
{
    uint64_t est = store_cf_estimate_keys(a->store, a->cf[cf]);
    size_t want = est > SIZE_MAX / 4 ? SIZE_MAX / 4 : (size_t)est * 2;
    store_iter_t *it;
    bloom_t *b;
    size_t klen;
    int rc;

    if (want < ASSESS_FILTER_MIN_KEYS)
        want = ASSESS_FILTER_MIN_KEYS;
    if (!(b = bloom_new(want, ASSESS_FILTER_MAX_BYTES)))
        return JIJU_ERR_NOMEM;
    if (!(it = store_iter_new(a->store, a->cf[cf]))) {
        bloom_destroy(&b);
        return JIJU_ERR_NOMEM;
    }
    for (store_iter_seek_first(it); store_iter_valid(it); store_iter_next(it)) {
        const void *k = store_iter_key(it, &klen);
        bloom_add(b, k, klen);
    }
    /* a scan that stopped early would make the filter deny keys the store holds */
    rc = store_iter_status(it);
    store_iter_destroy(&it);
    if (rc != JIJU_OK) {
        bloom_destroy(&b);
        return rc;
    }
    a->filter[cf] = b;
    return JIJU_OK;
}

int assess_filters_load(assess_t *a)
{
    int rc;

    for (size_t i = 0; i < sizeof filtered / sizeof filtered[0]; i++)
        if ((rc = filter_load(a, filtered[i])) != JIJU_OK) {
            assess_filters_free(a);
            return rc;
        }
    return JIJU_OK;
}

void assess_filters_free(assess_t *a)
{
    for (int cf = 0; cf < ACF__COUNT; cf++)
        bloom_destroy(&a->filter[cf]);
}

bool assess_may_hold(const assess_t *a, int cf, const void *key, size_t klen)
{
    return !a->filter[cf] || bloom_may_contain(a->filter[cf], key, klen);
}

void assess_filter_note(assess_t *a, int cf, const void *key, size_t klen)
{
    if (a->filter[cf])
        bloom_add(a->filter[cf], key, klen);
}

size_t assess_filter_bytes(const assess_t *a, int cf)
{
    return a->filter[cf] ? bloom_bytes(a->filter[cf]) : 0;
}
