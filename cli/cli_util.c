/* cli_util.c - endpoint lists and file reading for the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "keys.h"

int cli_help;
long long cli_max_reply;

FILE *cli_usage_out(void)
{
    return cli_help ? stdout : stderr;
}

int cli_usage_rc(void)
{
    return cli_help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

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

int cli_curve_from_env(cli_curve *c, const char *server_env)
{
    const char *file = getenv("JIJU_CLIENT_KEY_FILE");
    const char *server = server_env ? getenv(server_env) : NULL;
    const char *which = server_env;
    cfg_error err;

    memset(c, 0, sizeof *c);
    if (!file || !*file)
        return 0;
    if (!server || !*server) {
        server = getenv("JIJU_SERVER_KEY");
        which = "JIJU_SERVER_KEY";
    }
    if (!server || !*server) {
        fprintf(stderr, "jiju: JIJU_CLIENT_KEY_FILE is set but neither %s nor JIJU_SERVER_KEY is\n",
                server_env);
        return -1;
    }
    if (!keys_z85_valid(server)) {
        fprintf(stderr, "jiju: %s is not a Z85 CURVE public key (40 characters)\n", which);
        return -1;
    }
    memset(&err, 0, sizeof err);
    if (keys_pair_load(file, "JIJU_CLIENT_KEY_FILE", c->pub, c->sec, &err) != 0) {
        fprintf(stderr, "jiju: %s (JIJU_CLIENT_KEY_FILE): %s\n", err.file, err.reason);
        return -1;
    }
    snprintf(c->server, sizeof c->server, "%s", server);
    c->on = 1;
    return 0;
}

int cli_curve_rpc(rpc_t *r, const char *server_env)
{
    cli_curve c;
    int rc;

    if (cli_curve_from_env(&c, server_env) != 0)
        return -1;
    rc = c.on ? rpc_set_curve(r, c.server, c.pub, c.sec) : JIJU_OK;
    explicit_bzero(&c, sizeof c);
    if (rc != JIJU_OK) {
        fprintf(stderr, "jiju: cannot use CURVE: %s\n", jiju_err_str(rc));
        return -1;
    }
    if (cli_max_reply && (rc = rpc_set_max_reply(r, cli_max_reply)) != JIJU_OK) {
        fprintf(stderr, "jiju: --max-reply-bytes %lld: %s\n", cli_max_reply, jiju_err_str(rc));
        return -1;
    }
    return 0;
}

int cli_curve_sub(stream_sub_t *s, const char *server_env)
{
    cli_curve c;
    int rc;

    if (cli_curve_from_env(&c, server_env) != 0)
        return -1;
    rc = c.on ? stream_sub_set_curve(s, c.server, c.pub, c.sec) : JIJU_OK;
    explicit_bzero(&c, sizeof c);
    if (rc != JIJU_OK)
        fprintf(stderr, "jiju: cannot use CURVE: %s\n", jiju_err_str(rc));
    return rc == JIJU_OK ? 0 : -1;
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
