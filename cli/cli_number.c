/* cli_number.c - clerk and spreadsheet number text -> plain decimals. */
#include "cli_number.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define CELL_DIGITS 15 /* Excel keeps and shows 15 significant digits */

/* Full-width ASCII (U+FF01..U+FF5E, UTF-8 EF BC 81 .. EF BD 9E) -> ASCII. */
static size_t to_ascii(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)in;

    while (*p && o + 1 < cap) {
        if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x81 && p[2] <= 0xBF) {
            out[o++] = (char)(p[2] - 0x81 + 0x21);
            p += 3;
        } else if (p[0] == 0xEF && p[1] == 0xBD && p[2] >= 0x80 && p[2] <= 0x9E) {
            out[o++] = (char)(p[2] - 0x80 + 0x60);
            p += 3;
        } else {
            out[o++] = (char)*p++;
        }
    }
    out[o] = '\0';
    return o;
}

int cli_number_clerk(const char *in, char *out, size_t cap, const char **reason)
{
    const char *p, *dot;
    size_t o = 0, n_int;

    to_ascii(in, out, cap);
    if (!strchr(out, ','))
        return JIJU_OK;
    /* thousands separators: [-]D{1,3}(,DDD)+[.D*] */
    p = out + (out[0] == '-' || out[0] == '+');
    dot = strchr(p, '.');
    n_int = dot ? (size_t)(dot - p) : strlen(p);
    for (size_t i = 0; i < n_int; i++) {
        size_t from_end = n_int - i; /* a comma sits where 4, 8, 12... remain */
        int want_comma = from_end % 4 == 0;
        if (i == 0 && p[i] == ',')
            goto bad;
        if ((p[i] == ',') != want_comma || (p[i] != ',' && (p[i] < '0' || p[i] > '9')))
            goto bad;
    }
    if (dot && strchr(dot, ','))
        goto bad;
    for (const char *q = out; *q; q++)
        if (*q != ',')
            out[o++] = *q;
    out[o] = '\0';
    return JIJU_OK;
bad:
    if (reason)
        *reason = "thousands separators must group three digits (8,422.43)";
    return JIJU_ERR_INVALID;
}

int cli_number_from_cell(const char *in, char *out, size_t cap)
{
    char digits[64];
    size_t nd = 0, o = 0;
    long point = 0, exp10 = 0; /* value = 0.DIGITS * 10^(point + exp10) */
    int neg = 0, seen_dot = 0, lead = 1, any = 0;
    const char *p = in;
    char *end;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (seen_dot++)
                return JIJU_ERR_INVALID;
            continue;
        }
        any = 1;
        if (lead && *p == '0') { /* leading zeros only move the point */
            if (seen_dot)
                point--;
            continue;
        }
        lead = 0;
        if (nd < sizeof digits)
            digits[nd++] = *p;
        if (!seen_dot)
            point++;
    }
    if (!any)
        return JIJU_ERR_INVALID;
    if (*p == 'e' || *p == 'E') {
        exp10 = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end || exp10 < -40 || exp10 > 40)
            return JIJU_ERR_INVALID;
        p = end;
    }
    if (*p)
        return JIJU_ERR_INVALID;
    point += exp10;
    if (nd > CELL_DIGITS) { /* round half up at the 15th digit, decimally */
        int carry = digits[CELL_DIGITS] >= '5';
        nd = CELL_DIGITS;
        for (size_t i = nd; carry && i-- > 0;) {
            carry = digits[i] == '9';
            digits[i] = carry ? '0' : (char)(digits[i] + 1);
        }
        if (carry) {
            memmove(digits + 1, digits, nd - 1);
            digits[0] = '1';
            point++;
        }
    }
    while (nd > 0 && digits[nd - 1] == '0' && (long)nd > point)
        nd--; /* trailing zeros of the fraction */
    if (nd == 0) {
        snprintf(out, cap, "0");
        return JIJU_OK;
    }
    if (cap < (size_t)nd + (size_t)(point > 0 ? point : -point) + 4)
        return JIJU_ERR_INVALID;
    if (neg)
        out[o++] = '-';
    if (point <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (long i = 0; i < -point; i++)
            out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        for (long i = 0; i < point; i++)
            out[o++] = (size_t)i < nd ? digits[i] : '0';
        if ((long)nd > point) {
            out[o++] = '.';
            memcpy(out + o, digits + point, nd - (size_t)point);
            o += nd - (size_t)point;
        }
    }
    out[o] = '\0';
    return JIJU_OK;
}
