/* notify_sign.c - HMAC-SHA256 webhook signatures with OpenSSL. */
#include "notify_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The HMAC key of a secret (see header); *key malloc'd. */
static int sign_key(const char *secret, unsigned char **key, size_t *klen)
{
    size_t n = strlen(secret);
    int len;

    if (strncmp(secret, "whsec_", 6) != 0) {
        if (!(*key = malloc(n ? n : 1)))
            return -1;
        memcpy(*key, secret, n);
        *klen = n;
        return 0;
    }
    n -= 6;
    if (n == 0 || n % 4 != 0 || !(*key = malloc(n / 4 * 3 + 1)))
        return -1;
    len = EVP_DecodeBlock(*key, (const unsigned char *)secret + 6, (int)n);
    if (len < 0) {
        free(*key);
        return -1;
    }
    /* EVP_DecodeBlock counts the '=' padding as zero bytes */
    for (const char *p = secret + strlen(secret) - 1; *p == '=' && len > 0; p--)
        len--;
    *klen = (size_t)len;
    return 0;
}

int notify_sign(const char *secret, const char *id, int64_t timestamp_s, const char *body,
                size_t body_len, char *out, size_t cap)
{
    unsigned char *key = NULL, mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t klen = 0, head_len;
    char head[512], *msg;
    int rc = -1;

    head_len = (size_t)snprintf(head, sizeof head, "%s.%lld.", id, (long long)timestamp_s);
    if (head_len >= sizeof head || cap < 4 + 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1 ||
        sign_key(secret, &key, &klen) < 0)
        return -1;
    if (!(msg = malloc(head_len + body_len + 1)))
        goto out_key;
    memcpy(msg, head, head_len);
    memcpy(msg + head_len, body, body_len);
    if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, head_len + body_len, mac,
             &maclen)) {
        memcpy(out, "v1,", 3);
        EVP_EncodeBlock((unsigned char *)out + 3, mac, (int)maclen);
        rc = 0;
    }
    free(msg);
out_key:
    free(key);
    return rc;
}
