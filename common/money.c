/* money.c - 万元 text <-> fen by decimal arithmetic. */
#include "money.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

#define WAN_DECIMALS 6

/* Accumulate decimal digits [p, end) into *acc, refusing overflow. */
static int add_digits(const char *p, const char *end, uint64_t *acc)
{
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (*acc > (UINT64_MAX - 9) / 10)
            return -2;
        *acc = *acc * 10 + (uint64_t)(*p - '0');
    }
    return 0;
}

int money_wan_to_fen(const char *text, int64_t *fen, const char **reason)
{
    const char *p = text, *dot, *end;
    uint64_t whole = 0, frac = 0, total;
    size_t n_frac = 0;
    int neg = 0, rc;

    if (!text || !*text) {
        if (reason)
            *reason = "empty amount";
        return JIJU_ERR_INVALID;
    }
    if (*p == '-') {
        neg = 1;
        p++;
    }
    end = p + strlen(p);
    dot = strchr(p, '.');
    if (dot) {
        n_frac = (size_t)(end - dot - 1);
        if (n_frac > WAN_DECIMALS) {
            if (reason)
                *reason = "more than 6 decimals: finer than 1 fen";
            return JIJU_ERR_INVALID;
        }
    }
    rc = add_digits(p, dot ? dot : end, &whole);
    if (rc == 0 && dot)
        rc = add_digits(dot + 1, end, &frac);
    if (rc == -1 || p == (dot ? dot : end) || (dot && n_frac == 0)) {
        if (reason)
            *reason = "not a decimal amount in 万元 (digits, optional . and 1-6 decimals)";
        return JIJU_ERR_INVALID;
    }
    for (size_t i = n_frac; i < WAN_DECIMALS; i++)
        frac *= 10;
    total = whole * (uint64_t)MONEY_FEN_PER_WAN + frac;
    if (rc == -2 || whole > (uint64_t)INT64_MAX / (uint64_t)MONEY_FEN_PER_WAN ||
        total > (uint64_t)INT64_MAX) {
        if (reason)
            *reason = "amount too large";
        return JIJU_ERR_INVALID;
    }
    *fen = neg ? -(int64_t)total : (int64_t)total;
    return JIJU_OK;
}

const char *money_fen_to_wan(int64_t fen, char *buf, size_t cap)
{
    return money_millionths_text(fen, buf, cap);
}

const char *money_millionths_text(int64_t fen, char *buf, size_t cap)
{
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    char frac[WAN_DECIMALS + 1];
    int keep = WAN_DECIMALS;

    snprintf(frac, sizeof frac, "%06llu", (unsigned long long)(mag % (uint64_t)MONEY_FEN_PER_WAN));
    while (keep > 2 && frac[keep - 1] == '0')
        keep--;
    frac[keep] = '\0';
    snprintf(buf, cap, "%s%llu.%s", fen < 0 ? "-" : "",
             (unsigned long long)(mag / (uint64_t)MONEY_FEN_PER_WAN), frac);
    return buf;
}

int money_parse_int64(const char *text, int64_t *out)
{
    const char *p = text;
    uint64_t mag = 0;
    int neg = 0;

    if (!text)
        return JIJU_ERR_INVALID;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (!*p || add_digits(p, p + strlen(p), &mag) != 0 || mag > (uint64_t)INT64_MAX + (uint64_t)neg)
        return JIJU_ERR_INVALID;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return JIJU_OK;
}
