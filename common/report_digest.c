/* report_digest.c - SHA-256 of a packed report (see report_digest.h). */
#include "report_digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void report_digest(const Jiju__V1__Report *r, uint8_t out[REPORT_DIGEST_LEN])
{
    size_t len = jiju__v1__report__get_packed_size(r);
    uint8_t *buf = malloc(len ? len : 1);
    unsigned int n = REPORT_DIGEST_LEN;

    if (!buf) {
        memset(out, 0, REPORT_DIGEST_LEN);
        return;
    }
    jiju__v1__report__pack(r, buf);
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
