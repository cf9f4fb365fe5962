/* money.h - exact conversion between 万元 decimal text and int64 fen.
 *
 * 1 万元 = 10,000 yuan = 1,000,000 fen, so a 万元 amount has at most six
 * decimals ("0.000001" is one fen). Conversion is decimal string arithmetic,
 * never floating point: "1.23" is exactly 1,230,000 fen. */
#ifndef JIJU_MONEY_H
#define JIJU_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_FEN_PER_WAN INT64_C(1000000)
/* Buffer that holds any formatted amount with its NUL. */
#define MONEY_WAN_TEXT_CAP 32

/* Parse "[-]DIGITS[.DIGITS]" (1..6 decimals, no spaces, no exponent) in 万元
 * into fen. JIJU_OK, or JIJU_ERR_INVALID with *reason (static English text,
 * may be NULL) and *fen untouched. */
int money_wan_to_fen(const char *text, int64_t *fen, const char **reason);

/* Format fen as 万元 with exact decimals, at least two ("1.23", "0.000001",
 * "-5.00"). Returns buf. */
const char *money_fen_to_wan(int64_t fen, char *buf, size_t cap);

/* Any fixed-point value in millionths (scores, percentages, fen as 万元) as
 * exact decimal text with at least two decimals. Returns buf. */
const char *money_millionths_text(int64_t v, char *buf, size_t cap);

/* Parse a strictly decimal integer "[-]DIGITS" into *out (untouched on
 * failure). JIJU_OK or JIJU_ERR_INVALID (syntax or out of int64). */
int money_parse_int64(const char *text, int64_t *out);

#endif
