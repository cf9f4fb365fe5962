/* keys.c - key pair files and the allow-list of client keys (see keys.h). */
#include "keys.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "err.h"

struct keys {
    key_entry *e;
    size_t n;
};

static const char *const role_names[] = {
    [KEY_ROLE_SERVICE] = "service",
    [KEY_ROLE_ADMIN] = "admin",
    [KEY_ROLE_REPORTER] = "reporter",
    [KEY_ROLE_SUBSCRIBER] = "subscriber",
};

const char *key_role_name(key_role role)
{
    return role >= KEY_ROLE_SERVICE && role <= KEY_ROLE_SUBSCRIBER ? role_names[role] : "?";
}

static int keys_fail(cfg_error *err, const char *file, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int keys_fail(cfg_error *err, const char *file, const char *key, const char *fmt, ...)
{
    va_list ap;

    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    snprintf(err->key, sizeof err->key, "%s", key ? key : "");
    va_start(ap, fmt);
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    va_end(ap);
    return -1;
}

int keys_z85_valid(const char *text)
{
    uint8_t bin[32];

    return text && strlen(text) == KEYS_Z85_LEN && zmq_z85_decode(bin, text) != NULL;
}

/* ---- the allow-list ---- */

static void entry_clear(key_entry *k)
{
    for (size_t i = 0; i < k->n_clusters; i++)
        free(k->clusters[i]);
    free(k->clusters);
    k->clusters = NULL;
    k->n_clusters = 0;
}

void keys_destroy(keys_t **kp)
{
    keys_t *k = kp ? *kp : NULL;

    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        entry_clear(&k->e[i]);
    free(k->e);
    free(k);
    *kp = NULL;
}

size_t keys_count(const keys_t *keys)
{
    return keys ? keys->n : 0;
}

const key_entry *keys_by_public(const keys_t *keys, const uint8_t public_bin[32])
{
    for (size_t i = 0; keys && i < keys->n; i++)
        if (memcmp(keys->e[i].public_bin, public_bin, 32) == 0)
            return &keys->e[i];
    return NULL;
}

const key_entry *keys_by_name(const keys_t *keys, const char *name)
{
    for (size_t i = 0; keys && name && i < keys->n; i++)
        if (strcmp(keys->e[i].name, name) == 0)
            return &keys->e[i];
    return NULL;
}

int key_allows_cluster(const key_entry *k, const char *cluster_id)
{
    if (!k || !cluster_id)
        return 0;
    if (k->role == KEY_ROLE_ADMIN)
        return 1;
    if (k->role != KEY_ROLE_REPORTER)
        return 0;
    for (size_t i = 0; i < k->n_clusters; i++)
        if (strcmp(k->clusters[i], cluster_id) == 0)
            return 1;
    return 0;
}

/* A required, non-empty string member no longer than cap - 1 bytes. */
static int entry_string(const char *file, const char *at, json_t *obj, const char *member,
                        char *out, size_t cap, cfg_error *err)
{
    json_t *v = json_object_get(obj, member);
    char key[128];

    snprintf(key, sizeof key, "%s.%s", at, member);
    if (!v)
        return keys_fail(err, file, key, "missing");
    if (!json_is_string(v) || json_string_length(v) == 0)
        return keys_fail(err, file, key, "must be a non-empty string");
    if (json_string_length(v) >= cap)
        return keys_fail(err, file, key, "too long: at most %zu bytes", cap - 1);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int entry_role(const char *file, const char *at, json_t *obj, key_entry *k, cfg_error *err)
{
    char role[32], key[128];

    if (entry_string(file, at, obj, "role", role, sizeof role, err) != 0)
        return -1;
    for (int r = KEY_ROLE_SERVICE; r <= KEY_ROLE_SUBSCRIBER; r++) {
        if (strcmp(role, role_names[r]) == 0) {
            k->role = (key_role)r;
            return 0;
        }
    }
    snprintf(key, sizeof key, "%s.role", at);
    return keys_fail(err, file, key, "unknown role \"%s\" (service, admin, reporter, subscriber)",
                     role);
}

static int entry_clusters(const char *file, const char *at, json_t *obj, key_entry *k,
                          cfg_error *err)
{
    json_t *arr = json_object_get(obj, "clusters"), *v;
    char key[128];
    size_t i;

    snprintf(key, sizeof key, "%s.clusters", at);
    if (k->role != KEY_ROLE_REPORTER)
        return arr ? keys_fail(err, file, key, "only a reporter key has clusters") : 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return keys_fail(err, file, key, "a reporter key needs a non-empty array of cluster ids");
    k->clusters = calloc(json_array_size(arr), sizeof *k->clusters);
    if (!k->clusters)
        return keys_fail(err, file, key, "out of memory");
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            snprintf(key, sizeof key, "%s.clusters[%zu]", at, i);
            return keys_fail(err, file, key, "must be a non-empty string");
        }
        if (!(k->clusters[k->n_clusters] = strdup(json_string_value(v))))
            return keys_fail(err, file, key, "out of memory");
        k->n_clusters++;
    }
    return 0;
}

static int entry_members_known(const char *file, const char *at, json_t *obj, cfg_error *err)
{
    static const char *const known[] = {"public", "name", "role", "clusters", "subscriber"};
    const char *m;
    json_t *v;
    char key[128];

    json_object_foreach(obj, m, v)
    {
        size_t i = 0;

        while (i < sizeof known / sizeof *known && strcmp(known[i], m) != 0)
            i++;
        if (i == sizeof known / sizeof *known) {
            snprintf(key, sizeof key, "%s.%s", at, m);
            return keys_fail(err, file, key, "unknown member");
        }
    }
    return 0;
}

static int entry_parse(const char *file, size_t idx, json_t *obj, key_entry *k, cfg_error *err)
{
    char at[32], key[128];

    snprintf(at, sizeof at, "keys[%zu]", idx);
    if (!json_is_object(obj))
        return keys_fail(err, file, at, "must be an object");
    if (entry_members_known(file, at, obj, err) != 0 ||
        entry_string(file, at, obj, "public", k->public_z85, sizeof k->public_z85, err) != 0 ||
        entry_string(file, at, obj, "name", k->name, sizeof k->name, err) != 0 ||
        entry_role(file, at, obj, k, err) != 0 || entry_clusters(file, at, obj, k, err) != 0)
        return -1;
    snprintf(key, sizeof key, "%s.public", at);
    if (strlen(k->public_z85) != KEYS_Z85_LEN || !zmq_z85_decode(k->public_bin, k->public_z85))
        return keys_fail(err, file, key, "not a Z85 CURVE public key (40 characters)");
    snprintf(key, sizeof key, "%s.subscriber", at);
    if (k->role == KEY_ROLE_SUBSCRIBER)
        return entry_string(file, at, obj, "subscriber", k->subscriber, sizeof k->subscriber, err);
    if (json_object_get(obj, "subscriber"))
        return keys_fail(err, file, key, "only a subscriber key names a subscriber");
    return 0;
}

/* Names are User-Ids and keys identify clients: both must be unique. */
static int entries_unique(const char *file, const keys_t *k, cfg_error *err)
{
    char key[64];

    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(k->e[i].name, k->e[j].name) == 0) {
                snprintf(key, sizeof key, "keys[%zu].name", i);
                return keys_fail(err, file, key, "\"%s\" is already the name of keys[%zu]",
                                 k->e[i].name, j);
            }
            if (memcmp(k->e[i].public_bin, k->e[j].public_bin, 32) == 0) {
                snprintf(key, sizeof key, "keys[%zu].public", i);
                return keys_fail(err, file, key, "the same key as keys[%zu]", j);
            }
        }
    }
    return 0;
}

static int keys_parse(const char *path, json_t *root, keys_t *k, cfg_error *err)
{
    json_t *arr = json_is_object(root) ? json_object_get(root, "keys") : NULL, *v;
    size_t i;

    if (!json_is_object(root))
        return keys_fail(err, path, "-", "must be a JSON object {\"keys\": [...]}");
    if (json_object_size(root) != 1 || !json_is_array(arr))
        return keys_fail(err, path, "keys", "must be the only member, an array of keys");
    k->e = calloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof *k->e);
    if (!k->e)
        return keys_fail(err, path, "keys", "out of memory");
    json_array_foreach(arr, i, v)
    {
        k->n = i + 1; /* so keys_destroy frees a half-parsed entry */
        if (entry_parse(path, i, v, &k->e[i], err) != 0)
            return -1;
    }
    return entries_unique(path, k, err);
}

keys_t *keys_load(const char *path, const char *setting, cfg_error *err)
{
    json_error_t jerr;
    json_t *root;
    keys_t *k;

    if (!path || !*path) {
        keys_fail(err, "", setting, "no keys file given");
        return NULL;
    }
    root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (jerr.line < 0) /* jansson could not read the file at all */
            keys_fail(err, path, setting, "%s", jerr.text);
        else
            keys_fail(err, path, setting, "line %d column %d: %s", jerr.line, jerr.column,
                      jerr.text);
        return NULL;
    }
    k = calloc(1, sizeof *k);
    if (!k || keys_parse(path, root, k, err) != 0) {
        if (!k)
            keys_fail(err, path, "-", "out of memory");
        keys_destroy(&k);
    }
    json_decref(root);
    return k;
}

/* ---- key pair files ---- */

/* Whether the text starts with a line holding exactly one Z85 key. */
static int first_line_is_key(const char *p)
{
    char line[KEYS_Z85_LEN + 1];
    size_t n = strcspn(p, "\r\n");

    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n != KEYS_Z85_LEN)
        return 0;
    memcpy(line, p, n);
    line[n] = '\0';
    return keys_z85_valid(line);
}

/* Two non-comment lines, public then secret. */
static int pair_from_lines(const char *path, const char *key_name, char *text, char *pub, char *sec,
                           cfg_error *err)
{
    char *lines[2] = {NULL, NULL}, *save = NULL;
    int n = 0;

    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(l);

        while (len && (l[len - 1] == '\r' || l[len - 1] == ' ' || l[len - 1] == '\t'))
            l[--len] = '\0';
        while (*l == ' ' || *l == '\t')
            l++;
        /* '#' never starts a Z85 key (the first digit of a 32-bit group is
         * at most 82, '#' is 84), so it can mark comments */
        if (!*l || *l == '#')
            continue;
        if (n == 2)
            return keys_fail(err, path, key_name, "more than two key lines (public, secret)");
        lines[n++] = l;
    }
    if (n != 2)
        return keys_fail(err, path, key_name, "want two Z85 lines: public key, secret key");
    snprintf(pub, 41, "%.40s", lines[0]);
    snprintf(sec, 41, "%.40s", lines[1]);
    if (strlen(lines[0]) != KEYS_Z85_LEN || strlen(lines[1]) != KEYS_Z85_LEN)
        return keys_fail(err, path, key_name, "a key line is not 40 Z85 characters");
    return 0;
}

static int pair_from_json(const char *path, const char *key_name, const char *text, char *pub,
                          char *sec, cfg_error *err)
{
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    json_t *p = root ? json_object_get(root, "public") : NULL;
    json_t *s = root ? json_object_get(root, "secret") : NULL;
    int rc = 0;

    if (!root)
        return keys_fail(err, path, key_name, "line %d column %d: %s", jerr.line, jerr.column,
                         jerr.text);
    if (!json_is_string(p) || !json_is_string(s) || json_string_length(p) != KEYS_Z85_LEN ||
        json_string_length(s) != KEYS_Z85_LEN)
        rc = keys_fail(err, path, key_name,
                       "want {\"public\": Z85, \"secret\": Z85}, 40 characters each");
    else {
        memcpy(pub, json_string_value(p), 41);
        memcpy(sec, json_string_value(s), 41);
    }
    json_decref(root);
    return rc;
}

/* Both decode, and the public key is the one the secret derives. */
static int pair_check(const char *path, const char *key_name, const char *pub, const char *sec,
                      cfg_error *err)
{
    uint8_t bin[32];
    char derived[41];

    if (!zmq_z85_decode(bin, pub))
        return keys_fail(err, path, key_name, "the public key is not valid Z85");
    if (!zmq_z85_decode(bin, sec))
        return keys_fail(err, path, key_name, "the secret key is not valid Z85");
    if (zmq_curve_public(derived, sec) != 0)
        return keys_fail(err, path, key_name, "libzmq cannot derive public keys (no CURVE)");
    if (strcmp(derived, pub) != 0)
        return keys_fail(err, path, key_name, "the public key does not match the secret key");
    return 0;
}

int keys_pair_load(const char *path, const char *key_name, char public_z85[41], char secret_z85[41],
                   cfg_error *err)
{
    char pub[41] = "", sec[41] = "", text[4096];
    FILE *f = path && *path ? fopen(path, "r") : NULL;
    size_t len;
    const char *p;
    int rc;

    if (!f)
        return keys_fail(err, path, key_name, "cannot open: %s",
                         path && *path ? strerror(errno) : "no file given");
    len = fread(text, 1, sizeof text - 1, f);
    rc = ferror(f) || !feof(f);
    fclose(f);
    if (rc)
        return keys_fail(err, path, key_name, "cannot read, or larger than %zu bytes",
                         sizeof text - 1);
    text[len] = '\0';
    for (p = text; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
        ;
    /* '{' is also a Z85 character: a file whose first line is a key is the
     * two-line form, whatever the key's first character */
    rc = *p == '{' && !first_line_is_key(p) ? pair_from_json(path, key_name, text, pub, sec, err)
                                            : pair_from_lines(path, key_name, text, pub, sec, err);
    if (rc == 0)
        rc = pair_check(path, key_name, pub, sec, err);
    if (rc == 0) {
        memcpy(public_z85, pub, 41);
        memcpy(secret_z85, sec, 41);
    }
    /* the secret key should not outlive its use on the stack */
    explicit_bzero(text, sizeof text);
    explicit_bzero(sec, sizeof sec);
    return rc;
}

int keys_pair_new(char public_z85[41], char secret_z85[41])
{
    if (!zmq_has("curve") || zmq_curve_keypair(public_z85, secret_z85) != 0)
        return JIJU_ERR_ZMQ;
    return JIJU_OK;
}
