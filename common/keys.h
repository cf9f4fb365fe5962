/* keys.h - CURVE keys on disk: a process's own key pair file, and the
 * allow-list of client public keys with their roles (DESIGN.md "Security").
 *
 * Key pair file (security.secret_key_file, JIJU_CLIENT_KEY_FILE): either two
 * Z85 lines, public then secret ('#' lines and blank lines ignored), or a
 * JSON object {"public": "...", "secret": "..."} (what `jiju keygen` writes).
 * The public key must be the one the secret key derives.
 *
 * Keys file (security.keys_file):
 *   {"keys": [
 *     {"public": "Z85", "name": "fgw", "role": "subscriber", "subscriber": "fgw"},
 *     {"public": "Z85", "name": "jl-wl-001-org", "role": "reporter",
 *      "clusters": ["JL-WL-001"]},
 *     {"public": "Z85", "name": "drc-admin", "role": "admin"},
 *     {"public": "Z85", "name": "ingest", "role": "service"}]}
 * Names and public keys are unique; the name is what ZAP hands the server as
 * User-Id, and what logs show. Every refusal names file, key path
 * ("keys[2].role") and reason. */
#ifndef JIJU_KEYS_H
#define JIJU_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

#define KEYS_Z85_LEN 40
#define KEYS_NAME_MAX 64

typedef enum {
    KEY_ROLE_SERVICE = 1, /* another Jiju service: streams */
    KEY_ROLE_ADMIN,       /* commands, reports for any cluster, subscription admin */
    KEY_ROLE_REPORTER,    /* reports for its own clusters only */
    KEY_ROLE_SUBSCRIBER,  /* its own "deliveries" stream only */
} key_role;

typedef struct key_entry {
    char public_z85[KEYS_Z85_LEN + 1];
    uint8_t public_bin[32];
    char name[KEYS_NAME_MAX];
    key_role role;
    char subscriber[KEYS_NAME_MAX]; /* KEY_ROLE_SUBSCRIBER: the subscriber id */
    char **clusters;                /* KEY_ROLE_REPORTER: at least one */
    size_t n_clusters;
} key_entry;

typedef struct keys keys_t;

/* Load and check a keys file. NULL with *err filled on refusal (a file that
 * cannot be opened or parsed is blamed on `setting`, e.g.
 * "security.keys_file"). Caller owns the result. */
keys_t *keys_load(const char *path, const char *setting, cfg_error *err);
void keys_destroy(keys_t **keys);

size_t keys_count(const keys_t *keys);
/* The entry of a 32-byte public key, or of a name (User-Id); NULL if absent. */
const key_entry *keys_by_public(const keys_t *keys, const uint8_t public_bin[32]);
const key_entry *keys_by_name(const keys_t *keys, const char *name);

/* True if a reporter key may submit for cluster_id (admins may for any). */
int key_allows_cluster(const key_entry *k, const char *cluster_id);

/* "service", "admin", "reporter", "subscriber"; "?" otherwise. */
const char *key_role_name(key_role role);

/* 1 if text is a 40-character Z85 key (decodes to 32 bytes), else 0. */
int keys_z85_valid(const char *text);

/* Read a key pair file into public_z85 and secret_z85 (41 bytes each).
 * 0, or -1 with *err filled (err->key is key_name, the setting that named
 * the file). */
int keys_pair_load(const char *path, const char *key_name, char public_z85[41], char secret_z85[41],
                   cfg_error *err);

/* A fresh key pair (libzmq's zmq_curve_keypair). JIJU_ERR_ZMQ if libzmq has
 * no CURVE. */
int keys_pair_new(char public_z85[41], char secret_z85[41]);

#endif
