/* report_digest.c - SHA-256 of a packed report (see report_digest.h). */
#include "report_digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"
#include "store.h"

void report_digest(const Jiju__V1__Report *r, uint8_t out[REPORT_DIGEST_LEN])
{
    unsigned int n = REPORT_DIGEST_LEN;
    uint8_t *buf;
    size_t len;

    if (pb_pack(&r->base, &buf, &len) != JIJU_OK) {
        memset(out, 0, REPORT_DIGEST_LEN);
        return;
    }
    EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
    free(buf);
}

size_t report_id_key(const char *cluster_id, const char *report_id, char *out, size_t cap)
{
    return store_key_pair(cluster_id, report_id, out, cap);
}

int report_ids_scoped(store_t *s, int cf)
{
    store_iter_t *it;
    store_txn_t *t;
    void *v = NULL;
    size_t len = 0;
    int empty, rc;

    if (store_get(s, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN, &v, &len) == JIJU_OK) {
        free(v);
        return 1;
    }
    if (!(it = store_iter_new(s, cf)))
        return 0;
    store_iter_seek_first(it);
    empty = !store_iter_valid(it);
    store_iter_destroy(&it);
    if (!empty || !(t = store_txn_new(s)))
        return 0;
    rc = store_txn_put(t, cf, REPORT_IDS_SCOPED_KEY, REPORT_IDS_SCOPED_KLEN, "", 0);
    if (rc == JIJU_OK)
        rc = store_txn_commit(t, true);
    store_txn_destroy(&t);
    return rc == JIJU_OK;
}
