/* report_digest.c - SHA-256 of a packed report (see report_digest.h). */
#include "report_digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pb.h"

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
    size_t c = strlen(cluster_id), r = strlen(report_id);

    if (c + 1 + r > cap)
        return 0;
    memcpy(out, cluster_id, c);
    out[c] = '\0';
    memcpy(out + c + 1, report_id, r);
    return c + 1 + r;
}
