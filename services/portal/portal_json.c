/* portal_json.c - base64url for hashes and cursors (hex: common/hex.h). */
#include "portal_json.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

json_t *portal_b64url_json(const uint8_t *data, size_t n)
{
    size_t cap = 4 * ((n + 2) / 3) + 1, j = 0;
    char *tmp = malloc(cap);
    json_t *s;

    if (!tmp)
        return NULL;
    EVP_EncodeBlock((unsigned char *)tmp, data, (int)n);
    for (size_t i = 0; tmp[i] && tmp[i] != '='; i++)
        tmp[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    tmp[j] = '\0';
    s = json_string(tmp);
    free(tmp);
    return s;
}

int portal_b64url_decode(const char *text, uint8_t **out, size_t *n)
{
    size_t len = strlen(text), j;
    char *tmp;
    uint8_t *buf;
    int got;

    if (len % 4 == 1 || len > 65536)
        return JIJU_ERR_INVALID;
    if (!(tmp = malloc(len + 4)) || !(buf = malloc(len + 4))) {
        free(tmp);
        return JIJU_ERR_NOMEM;
    }
    for (j = 0; j < len; j++) {
        char c = text[j];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            free(tmp);
            free(buf);
            return JIJU_ERR_INVALID;
        }
        tmp[j] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (j % 4)
        tmp[j++] = '=';
    got = EVP_DecodeBlock(buf, (unsigned char *)tmp, (int)j);
    free(tmp);
    if (got < 0) {
        free(buf);
        return JIJU_ERR_INVALID;
    }
    *n = (size_t)got - (j - len); /* padding decodes as zero bytes */
    *out = buf;
    return JIJU_OK;
}
