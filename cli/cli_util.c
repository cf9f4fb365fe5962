/* cli_util.c - endpoint lists and file reading for the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"

int cli_endpoints_add(cli_endpoints *e, const char *text)
{
    const char *p = text;

    if (!text || !*text)
        return JIJU_ERR_INVALID;
    while (*p) {
        size_t n = strcspn(p, ",");

        if (n > 0) {
            if (e->n == CLI_MAX_ENDPOINTS)
                return JIJU_ERR_INVALID;
            if (!(e->list[e->n] = strndup(p, n)))
                return JIJU_ERR_NOMEM;
            e->n++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return e->n ? JIJU_OK : JIJU_ERR_INVALID;
}

int cli_endpoints_default(cli_endpoints *e, const char *env, const char *def)
{
    const char *v = env ? getenv(env) : NULL;

    if (e->n)
        return JIJU_OK;
    return cli_endpoints_add(e, v && *v ? v : def);
}

void cli_endpoints_clear(cli_endpoints *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->list[i]);
    e->n = 0;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, used = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t got;

        if (used + 1 >= cap) {
            char *n = realloc(buf, cap ? cap * 2 : 65536);
            if (!n) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = n;
            cap = cap ? cap * 2 : 65536;
        }
        got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        errno = EIO;
        return NULL;
    }
    fclose(f);
    buf[used] = '\0';
    *len = used;
    return buf;
}
