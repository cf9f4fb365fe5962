/* cli_keygen.c - `jiju keygen`: a fresh CURVE key pair (libzmq's
 * zmq_curve_keypair) in the key pair file format the services and the CLI
 * read (common/keys.h): a JSON object with public and secret Z85 keys. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "keys.h"

static int keygen_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju keygen [--name N] [--out FILE]\n"
            "  prints {\"name\", \"public\", \"secret\"} (Z85) as JSON; with --out the\n"
            "  pair goes to FILE (created with mode 0600, never overwritten) and only\n"
            "  the public key is printed. Use the file as security.secret_key_file or\n"
            "  JIJU_CLIENT_KEY_FILE; put the public key in the servers' keys file.\n");
    return cli_usage_rc();
}

/* Write text to a new file only its owner can read: a secret key. */
static int write_private(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    size_t len = strlen(text), off = 0;

    if (fd < 0)
        return -1;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
        off += (size_t)n;
    }
    return close(fd);
}

static char *keygen_json(const char *name, const char *pub, const char *sec)
{
    json_t *o = json_object();
    char *text;

    if (!o)
        return NULL;
    if (name)
        json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "public", json_string(pub));
    json_object_set_new(o, "secret", json_string(sec));
    text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

int cli_keygen_main(int argc, char **argv)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL, *out = NULL;
    char pub[41], sec[41], *text;
    int c, rc = CLI_EXIT_OK;

    if (cli_help)
        return keygen_usage();

    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 'o')
            out = optarg;
        else
            return keygen_usage();
    }
    if (optind != argc)
        return keygen_usage();
    if (keys_pair_new(pub, sec) != JIJU_OK) {
        fprintf(stderr, "jiju keygen: this libzmq has no CURVE support\n");
        return CLI_EXIT_REFUSED;
    }
    if (!(text = keygen_json(name, pub, sec))) {
        fprintf(stderr, "jiju keygen: out of memory\n");
        return CLI_EXIT_REFUSED;
    }
    if (!out) {
        printf("%s\n", text);
    } else if (write_private(out, text) == 0) {
        printf("%s\n", pub);
    } else {
        fprintf(stderr, "jiju keygen: %s: %s\n", out, strerror(errno));
        rc = CLI_EXIT_REFUSED;
    }
    explicit_bzero(text, strlen(text));
    explicit_bzero(sec, sizeof sec);
    free(text);
    return rc;
}
