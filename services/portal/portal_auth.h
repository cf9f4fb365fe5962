/* portal_auth.h - who is asking: the portal's users (people and systems)
 * with the roles of the CURVE allow-list (keys.h), their hashed credentials,
 * browser sessions, CSRF tokens and one-time sign-in links.
 *
 * Users file (auth.users_file, re-read on SIGHUP):
 *   {"users": [
 *     {"name": "drc-admin", "role": "admin", "password_hash": "$y$j9T$..."},
 *     {"name": "jl-wl-001-org", "role": "reporter", "clusters": ["JL-WL-001"],
 *      "password_hash": "$y$...", "token_sha256": ["9f86d0..."]},
 *     {"name": "fgw", "role": "subscriber", "subscriber": "fgw",
 *      "token_sha256": ["..."]}]}
 * password_hash is crypt(3) output (yescrypt by default, `jiju-portal
 * hash-password`); an API token is kept only as the hex SHA-256 of the
 * token text (`jiju-portal new-token`). Names are unique; a reporter has a
 * non-empty clusters list, a subscriber its subscriber id, nobody else
 * either. Refusals name file, key path (users[2].role) and reason.
 *
 * Sessions keep no state in the portal: the cookie is the user name and an
 * expiry signed with HMAC-SHA256 under the session secret, so any copy of
 * the portal sharing the secret accepts it and a restart keeps people signed
 * in. The CSRF token of a session is an HMAC of its cookie. */
#ifndef JIJU_PORTAL_AUTH_H
#define JIJU_PORTAL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "keys.h"

#define PORTAL_NAME_MAX 64
#define PORTAL_CLUSTERS_MAX 32
#define PORTAL_COOKIE "jiju_session"
#define PORTAL_LOGIN_COOKIE "jiju_login"

typedef struct portal_auth portal_auth_t;

/* The one asking, copied out of the users table for one request. */
typedef struct portal_principal {
    char name[PORTAL_NAME_MAX];
    key_role role; /* 0: nobody */
    char subscriber[PORTAL_NAME_MAX];
    char clusters[PORTAL_CLUSTERS_MAX][33];
    size_t n_clusters;
    int by_cookie;     /* a browser session: state changes need the CSRF token */
    char session[256]; /* the cookie value (by_cookie) */
} portal_principal;

/* Load users_file; secret_file "" makes a random secret (sessions end with
 * the process). NULL with *err filled. Caller owns the result. */
portal_auth_t *portal_auth_new(const char *users_file, const char *secret_file,
                               int64_t session_ttl_s, int64_t link_ttl_s, cfg_error *err);
void portal_auth_destroy(portal_auth_t **a);

/* Re-read the users file; on refusal the table in force stays. */
int portal_auth_reload(portal_auth_t *a, cfg_error *err);
size_t portal_auth_count(portal_auth_t *a);

/* Fill *p from an "Authorization: Bearer TOKEN" value. JIJU_OK or
 * JIJU_ERR_NOT_FOUND (no such token). */
int portal_auth_token(portal_auth_t *a, const char *token, portal_principal *p);
/* Fill *p from a session cookie value (signature, expiry, user still
 * there). JIJU_OK or JIJU_ERR_NOT_FOUND. */
int portal_auth_session(portal_auth_t *a, const char *cookie, portal_principal *p);
/* Check name and password; on success write a new session cookie value
 * into out. JIJU_OK or JIJU_ERR_NOT_FOUND (either wrong: not told which). */
int portal_auth_login(portal_auth_t *a, const char *name, const char *password, char *out,
                      size_t cap);
/* The CSRF token of a session (base64url, 43 chars) into out[64]. */
void portal_auth_csrf(portal_auth_t *a, const char *session, char out[64]);
/* 1 if token is the CSRF token of session. */
int portal_auth_csrf_ok(portal_auth_t *a, const char *session, const char *token);
/* The login form's token for a pre-session nonce (login CSRF). */
void portal_auth_login_csrf(portal_auth_t *a, const char *nonce, char out[64]);

/* A one-time sign-in link token for user name (must exist) into out.
 * JIJU_OK or JIJU_ERR_NOT_FOUND. */
int portal_auth_link_new(portal_auth_t *a, const char *name, char *out, size_t cap);
/* Redeem a link token once: a session cookie value into out. JIJU_OK,
 * JIJU_ERR_NOT_FOUND (bad, expired) or JIJU_ERR_EXISTS (already used in
 * this process). */
int portal_auth_link_redeem(portal_auth_t *a, const char *token, char *out, size_t cap);

/* 1 if p may submit reports for cluster_id (admin: any; reporter: its own). */
int portal_may_report(const portal_principal *p, const char *cluster_id);

/* Helpers for the command line: crypt(3) hash of password into out
 * (yescrypt), a fresh random API token and its hex SHA-256. */
int portal_hash_password(const char *password, char *out, size_t cap);
int portal_new_token(char token[64], char sha256_hex[65]);
/* Random bytes as base64url without padding (n bytes in, out >= 4n/3+2). */
int portal_random_b64(size_t n, char *out, size_t cap);

#endif
