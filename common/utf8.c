/* utf8.c - UTF-8 well-formedness through iconv. */
#include "utf8.h"

#include <errno.h>
#include <iconv.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "err.h"

/* One converter per thread, opened on first use and closed when the thread
 * ends: opening one costs more than checking a report's strings (ingest
 * checks about ten per report; iconv_open was 5% of its CPU). */
static pthread_key_t cd_key;
static pthread_once_t cd_once = PTHREAD_ONCE_INIT;

static void cd_close(void *cd)
{
    iconv_close((iconv_t)cd);
}

static void cd_key_make(void)
{
    (void)pthread_key_create(&cd_key, cd_close);
}

static iconv_t thread_cd(void)
{
    iconv_t cd;

    pthread_once(&cd_once, cd_key_make);
    if ((cd = (iconv_t)pthread_getspecific(cd_key)))
        return cd;
    if ((cd = iconv_open("UTF-32LE", "UTF-8")) == (iconv_t)-1)
        return cd;
    if (pthread_setspecific(cd_key, cd) != 0) {
        iconv_close(cd);
        return (iconv_t)-1;
    }
    return cd;
}

static int ascii_only(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

int utf8_chars(const char *s, size_t len, size_t *chars)
{
    iconv_t cd;
    char *in = (char *)s;
    size_t left = len, n = 0;
    int rc = JIJU_OK;

    if (memchr(s, '\0', len))
        return JIJU_ERR_INVALID;
    if (ascii_only(s, len)) { /* ASCII is UTF-8, one character a byte */
        if (chars)
            *chars = len;
        return JIJU_OK;
    }
    if ((cd = thread_cd()) == (iconv_t)-1)
        return JIJU_ERR_NOMEM;
    iconv(cd, NULL, NULL, NULL, NULL); /* the initial state, whatever came before */
    for (;;) {
        char out[512], *o = out;
        size_t olen = sizeof out;
        size_t r = iconv(cd, &in, &left, &o, &olen);

        n += (sizeof out - olen) / 4;
        if (r != (size_t)-1)
            break;
        if (errno != E2BIG) {
            rc = JIJU_ERR_INVALID;
            break;
        }
    }
    if (rc == JIJU_OK && chars)
        *chars = n;
    return rc;
}

/* Append n bytes to the growing buffer *buf of length *len; 0 or -1. */
static int append(char **buf, size_t *len, size_t *cap, const char *bytes, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t ncap = (*len + n + 1) * 2;
        char *nb = realloc(*buf, ncap);
        if (!nb)
            return -1;
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, bytes, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

/* Length of the longest valid UTF-8 prefix of s[0..len), using the C
 * library's strict decoder (it refuses overlong forms and surrogates). */
static size_t utf8_valid_prefix(iconv_t cd, const char *s, size_t len)
{
    char *in = (char *)s;
    size_t left = len;
    char out[256];
    iconv(cd, NULL, NULL, NULL, NULL);
    for (;;) {
        char *o = out;
        size_t olen = sizeof out;
        if (iconv(cd, &in, &left, &o, &olen) != (size_t)-1 || errno != E2BIG)
            break;
    }
    return len - left;
}

char *utf8_escape(const char *s)
{
    size_t slen = strlen(s), len = 0, cap = 0;
    char *buf = NULL;
    iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
    if (cd == (iconv_t)-1)
        return NULL;
    if (append(&buf, &len, &cap, "", 0) < 0)
        goto out_close;
    while (slen > 0) {
        size_t ok = utf8_valid_prefix(cd, s, slen);
        if (append(&buf, &len, &cap, s, ok) < 0)
            goto out_free_buf;
        s += ok;
        slen -= ok;
        if (slen == 0)
            break;
        char esc[5];
        snprintf(esc, sizeof esc, "\\x%02X", (unsigned char)*s);
        if (append(&buf, &len, &cap, esc, 4) < 0)
            goto out_free_buf;
        s++;
        slen--;
    }
    iconv_close(cd);
    return buf;
out_free_buf:
    free(buf);
out_close:
    iconv_close(cd);
    return NULL;
}

/* C.UTF-8, made once (glibc has it built in), used per call with
 * uselocale: the process's own locale (a service's is "C") is not changed. */
static locale_t utf8_locale;
static pthread_once_t utf8_locale_once = PTHREAD_ONCE_INIT;

static void utf8_locale_make(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

size_t utf8_display_width(const char *s)
{
    size_t width = 0, left = strlen(s), k;
    mbstate_t st;
    locale_t old;
    wchar_t wc;
    int w;

    pthread_once(&utf8_locale_once, utf8_locale_make);
    if (!utf8_locale)
        return left;
    old = uselocale(utf8_locale);
    memset(&st, 0, sizeof st);
    while (left > 0) {
        k = mbrtowc(&wc, s, left, &st);
        if (k == (size_t)-1 || k == (size_t)-2 || k == 0) { /* not UTF-8: one column a byte */
            memset(&st, 0, sizeof st);
            k = 1;
            w = 1;
        } else {
            w = wcwidth(wc);
        }
        width += w < 0 ? 1 : (size_t)w;
        s += k;
        left -= k;
    }
    uselocale(old);
    return width;
}
