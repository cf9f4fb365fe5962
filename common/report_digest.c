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
