/* cli_text.h - the bytes of a statistics form as UTF-8 text, whatever a
 * spreadsheet saved: UTF-8 with or without a byte-order mark, GBK/GB18030
 * (Excel's "CSV (逗号分隔)" on a Chinese Windows desktop) or UTF-16 (Excel's
 * "Unicode 文本", tab-separated, with a BOM).
 *
 * Detection: a BOM decides; else text that is valid UTF-8 is UTF-8; else
 * uchardet (libuchardet) names the charset and only the GB family (GB2312,
 * GBK, GB18030, read as GB18030, their superset) or UTF-16 is accepted;
 * text that uchardet finds to be UTF-8 but for a few bytes is passed on as
 * it is, so that the form names the cells that hold them (cli_form.h).
 * Conversion is glibc's iconv. A forced encoding (--encoding) skips the
 * detection. The BOM never reaches the CSV parser. */
#ifndef JIJU_CLI_TEXT_H
#define JIJU_CLI_TEXT_H

#include <stddef.h>

/* Buffer for the name of the encoding that was used. */
#define CLI_TEXT_ENC_CAP 32

/* Convert in[0..len) into UTF-8: *out (NUL-terminated, *out_len without
 * the NUL; caller frees) and the encoding used in enc ("UTF-8", "UTF-8 BOM",
 * "UTF-8*" (with bytes that are not), "GB18030", "UTF-16LE", ...). forced: an iconv encoding name
 * or NULL. JIJU_OK; JIJU_ERR_INVALID with err naming the byte offset and the encoding tried ("not
 * UTF-8, GBK/GB18030 or UTF-16 text: byte 0xFF at offset 7"); JIJU_ERR_NOMEM. */
int cli_text_to_utf8(const char *in, size_t len, const char *forced, char **out, size_t *out_len,
                     char enc[CLI_TEXT_ENC_CAP], char *err, size_t errcap);

/* Offset of the first byte that is not part of valid UTF-8 (len if all is
 * valid). NUL bytes count as invalid: no form holds them. */
size_t cli_text_utf8_prefix(const char *s, size_t len);

#endif
