/* cli_number.h - numbers as a clerk or a spreadsheet writes them, made into
 * the plain decimal text that money.h (money_wan_to_fen, money_parse_int64) reads.
 *
 * Forgiving where a clerk expects it: full-width digits, point, comma and
 * sign (输入法 full-width mode: "８４２２．４３") and thousands separators
 * ("8,422.43", as Excel's 千位分隔符 format writes). Strict where it matters:
 * separators must group by three ("84,22" is refused), nothing else is
 * accepted, and the value itself is never changed. */
#ifndef JIJU_CLI_NUMBER_H
#define JIJU_CLI_NUMBER_H

#include <stddef.h>

/* in -> out (cap >= strlen(in) + 1). JIJU_OK, or JIJU_ERR_INVALID with
 * *reason (static text). */
int cli_number_clerk(const char *in, char *out, size_t cap, const char **reason);

/* The text of a numeric spreadsheet cell (what the XML of an .xlsx holds:
 * "8422.4300000000003", "1.5E-3", "2023") as plain decimal text rounded to
 * 15 significant digits, the precision Excel shows and keeps, with trailing
 * fraction zeros dropped: "8422.43", "0.0015", "2023". Decimal string
 * arithmetic only. JIJU_OK or JIJU_ERR_INVALID (not a number). */
int cli_number_from_cell(const char *in, char *out, size_t cap);

#endif
