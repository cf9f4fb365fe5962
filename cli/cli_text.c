/* cli_text.c - form bytes -> UTF-8 with uchardet and iconv (see cli_text.h). */
#include "cli_text.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uchardet/uchardet.h>

#include "err.h"

size_t cli_text_utf8_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        uint32_t cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;

        if (c == 0 || n == 0 || i + n > len)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        /* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return i;
        i += n;
    }
    return len;
}

/* iconv from `from` into a fresh UTF-8 buffer. On a byte sequence that is
 * not `from`, JIJU_ERR_INVALID with *bad the offset into in. */
static int convert(const char *from, const char *in, size_t len, char **out, size_t *out_len,
                   size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", from);
    size_t cap = len * 2 + 16, left_in = len, left_out;
    char *buf, *ip = (char *)in, *op;
    int rc = JIJU_OK;

    if (cd == (iconv_t)-1)
        return JIJU_ERR_CONFIG;
    if (!(buf = malloc(cap))) {
        iconv_close(cd);
        return JIJU_ERR_NOMEM;
    }
    op = buf;
    left_out = cap - 1;
    while (left_in > 0) {
        if (iconv(cd, &ip, &left_in, &op, &left_out) != (size_t)-1)
            continue;
        if (errno == E2BIG) { /* UTF-16 -> UTF-8 may grow by half: make room */
            size_t used = (size_t)(op - buf);
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                rc = JIJU_ERR_NOMEM;
                break;
            }
            buf = grown;
            cap *= 2;
            op = buf + used;
            left_out = cap - 1 - used;
            continue;
        }
        *bad = (size_t)(ip - in); /* EILSEQ, or EINVAL: cut off at the end */
        rc = JIJU_ERR_INVALID;
        break;
    }
    iconv_close(cd);
    if (rc != JIJU_OK) {
        free(buf);
        return rc;
    }
    *op = '\0';
    *out = buf;
    *out_len = (size_t)(op - buf);
    return JIJU_OK;
}

/* UTF-16 without a BOM (Excel writes one; other programs may not): text of
 * a form is mostly ASCII, so one byte of each pair is NUL. */
static const char *utf16_by_nuls(const unsigned char *u, size_t len)
{
    size_t even = 0, odd = 0;

    if (len < 4 || len % 2)
        return NULL;
    for (size_t i = 0; i + 1 < len; i += 2) {
        even += u[i] == 0;
        odd += u[i + 1] == 0;
    }
    if (odd * 4 >= len / 2 && even == 0)
        return "UTF-16LE";
    if (even * 4 >= len / 2 && odd == 0)
        return "UTF-16BE";
    return NULL;
}

/* What uchardet makes of the bytes, mapped to the encodings a form may be
 * in: "GB18030", "UTF-16LE", "UTF-16BE", or NULL (anything else). */
static const char *detect(const char *in, size_t len, char *seen, size_t cap)
{
    const char *use = utf16_by_nuls((const unsigned char *)in, len);
    uchardet_t ud;
    const char *cs;

    snprintf(seen, cap, "unknown");
    if (use)
        return use;
    if (!(ud = uchardet_new()))
        return NULL;
    if (uchardet_handle_data(ud, in, len) == 0) {
        uchardet_data_end(ud);
        cs = uchardet_get_charset(ud);
        if (cs && cs[0])
            snprintf(seen, cap, "%s", cs);
        if (cs && (strcasecmp(cs, "GB18030") == 0 || strcasecmp(cs, "GBK") == 0 ||
                   strcasecmp(cs, "GB2312") == 0 || strcasecmp(cs, "EUC-CN") == 0))
            use = "GB18030";
        else if (cs && strncasecmp(cs, "UTF-16", 6) == 0)
            use = strcasecmp(cs, "UTF-16BE") == 0 ? "UTF-16BE" : "UTF-16LE";
        else if (cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "ASCII") == 0) &&
                 !memchr(in, '\0', len))
            use = "UTF-8*"; /* UTF-8 but for a few bytes: the form names those cells */
    }
    uchardet_delete(ud);
    return use;
}

static int copy_utf8(const char *in, size_t len, char **out, size_t *out_len)
{
    char *buf = malloc(len + 1);

    if (!buf)
        return JIJU_ERR_NOMEM;
    memcpy(buf, in, len);
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return JIJU_OK;
}

int cli_text_to_utf8(const char *in, size_t len, const char *forced, char **out, size_t *out_len,
                     char enc[CLI_TEXT_ENC_CAP], char *err, size_t errcap)
{
    const unsigned char *u = (const unsigned char *)in;
    const char *from = forced;
    size_t skip = 0, bad = 0, ok;
    char seen[64] = "";
    int rc;

    if (!from && len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
        from = "UTF-8";
        skip = 3;
    } else if (!from && len >= 2 &&
               ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
        from = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
        skip = 2;
    } else if (!from && cli_text_utf8_prefix(in, len) == len) {
        from = "UTF-8";
    } else if (!from && !(from = detect(in, len, seen, sizeof seen))) {
        ok = cli_text_utf8_prefix(in, len);
        snprintf(err, errcap,
                 "not UTF-8, GBK/GB18030 or UTF-16 text: byte 0x%02X at offset %zu is not UTF-8 "
                 "(detected: %s); save the file as UTF-8 or give --encoding",
                 u[ok], ok, seen);
        return JIJU_ERR_INVALID;
    }
    snprintf(enc, CLI_TEXT_ENC_CAP, "%s%s", from, skip == 3 ? " BOM" : "");
    if (strcmp(from, "UTF-8*") == 0)
        return copy_utf8(in, len, out, out_len);
    if (strcasecmp(from, "UTF-8") == 0 || strcasecmp(from, "UTF8") == 0) {
        /* checked here too: a forced UTF-8 may be wrong */
        if ((ok = cli_text_utf8_prefix(in + skip, len - skip)) != len - skip) {
            snprintf(err, errcap, "not UTF-8 text: byte 0x%02X at offset %zu", u[skip + ok],
                     skip + ok);
            return JIJU_ERR_INVALID;
        }
        return copy_utf8(in + skip, len - skip, out, out_len);
    }
    rc = convert(from, in + skip, len - skip, out, out_len, &bad);
    if (rc == JIJU_ERR_CONFIG)
        snprintf(err, errcap, "unknown encoding \"%s\" (try UTF-8, GB18030, UTF-16)", from);
    else if (rc == JIJU_ERR_INVALID)
        snprintf(err, errcap, "not %s text: byte 0x%02X at offset %zu", from, u[skip + bad],
                 skip + bad);
    if (rc == JIJU_ERR_CONFIG)
        rc = JIJU_ERR_INVALID;
    if (rc == JIJU_OK) {
        /* a forced UTF-16 file still starts with its BOM: drop it (U+FEFF) */
        if (*out_len >= 3 && memcmp(*out, "\xEF\xBB\xBF", 3) == 0) {
            memmove(*out, *out + 3, *out_len - 3 + 1);
            *out_len -= 3;
        }
        if (memchr(*out, '\0', *out_len)) {
            snprintf(err, errcap, "not %s text: it holds a NUL character", from);
            free(*out);
            *out = NULL;
            return JIJU_ERR_INVALID;
        }
    }
    return rc;
}
