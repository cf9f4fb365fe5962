/* portal_auth.c - users, hashed credentials, signed sessions, CSRF and
 * one-time sign-in links (see portal_auth.h). */
#include "portal_auth.h"

#include <crypt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "hex.h"

#define MAX_TOKENS 8
#define MAX_USED_LINKS 256

typedef struct user {
    portal_principal p; /* name, role, clusters, subscriber */
    char password_hash[256];
    uint8_t tokens[MAX_TOKENS][32];
    size_t n_tokens;
} user;

typedef struct used_link {
    char nonce[32];
    int64_t exp;
} used_link;

struct portal_auth {
    pthread_rwlock_t lock;
    char users_file[256];
    user *users;
    size_t n_users;
    uint8_t secret[64];
    size_t secret_len;
    int64_t session_ttl_s, link_ttl_s;
    pthread_mutex_t links_mu;
    used_link used[MAX_USED_LINKS];
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void b64url(const uint8_t *in, size_t n, char *out, size_t cap)
{
    char tmp[512];
    size_t j = 0;

    if (n > 300) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)tmp, in, (int)n);
    for (size_t i = 0; tmp[i] && tmp[i] != '=' && j + 1 < cap; i++)
        out[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
    out[j] = '\0';
}

static void mac(const portal_auth_t *a, const char *purpose, const char *text, char out[64])
{
    uint8_t md[32];
    unsigned int len = sizeof md;
    char msg[1024];

    snprintf(msg, sizeof msg, "%s|%s", purpose, text);
    HMAC(EVP_sha256(), a->secret, (int)a->secret_len, (const uint8_t *)msg, strlen(msg), md, &len);
    b64url(md, sizeof md, out, 64);
}

/* Either case: the users file may be written by hand (common/hex.h's
 * hex_decode takes only the lowercase this code writes). */
static int users_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* ---- the users file ---- */

static int refuse(cfg_error *err, const char *file, size_t i, const char *member, const char *why)
{
    snprintf(err->file, sizeof err->file, "%s", file);
    if (member)
        snprintf(err->key, sizeof err->key, "users[%zu].%s", i, member);
    else
        snprintf(err->key, sizeof err->key, "users[%zu]", i);
    snprintf(err->reason, sizeof err->reason, "%s", why);
    return -1;
}

static int parse_role(const char *s, key_role *r)
{
    if (strcmp(s, "admin") == 0)
        *r = KEY_ROLE_ADMIN;
    else if (strcmp(s, "reporter") == 0)
        *r = KEY_ROLE_REPORTER;
    else if (strcmp(s, "subscriber") == 0)
        *r = KEY_ROLE_SUBSCRIBER;
    else
        return -1;
    return 0;
}

static int parse_user(const char *file, size_t i, json_t *o, user *u, cfg_error *err)
{
    const char *k;
    json_t *v;

    if (!json_is_object(o))
        return refuse(err, file, i, NULL, "must be an object");
    json_object_foreach(o, k, v)
    {
        if (strcmp(k, "name") == 0) {
            const char *s = json_string_value(v);
            if (!s || !*s || strlen(s) >= PORTAL_NAME_MAX)
                return refuse(err, file, i, k, "must be a string of 1..63 bytes");
            snprintf(u->p.name, sizeof u->p.name, "%s", s);
        } else if (strcmp(k, "role") == 0) {
            if (!json_is_string(v) || parse_role(json_string_value(v), &u->p.role) != 0)
                return refuse(err, file, i, k, "unknown role (admin, reporter, subscriber)");
        } else if (strcmp(k, "subscriber") == 0) {
            const char *s = json_string_value(v);
            if (!s || !*s || strlen(s) >= PORTAL_NAME_MAX)
                return refuse(err, file, i, k, "must be a subscriber id of 1..63 bytes");
            snprintf(u->p.subscriber, sizeof u->p.subscriber, "%s", s);
        } else if (strcmp(k, "clusters") == 0) {
            size_t j;
            json_t *c;
            if (!json_is_array(v) || json_array_size(v) == 0 ||
                json_array_size(v) > PORTAL_CLUSTERS_MAX)
                return refuse(err, file, i, k, "must be a list of 1..32 cluster ids");
            json_array_foreach(v, j, c)
            {
                const char *s = json_string_value(c);
                if (!s || !*s || strlen(s) > 32)
                    return refuse(err, file, i, k, "a cluster id is a string of 1..32 characters");
                snprintf(u->p.clusters[j], sizeof u->p.clusters[j], "%s", s);
            }
            u->p.n_clusters = json_array_size(v);
        } else if (strcmp(k, "password_hash") == 0) {
            const char *s = json_string_value(v);
            if (!s || s[0] != '$' || strlen(s) >= sizeof u->password_hash)
                return refuse(err, file, i, k,
                              "must be crypt(3) output (jiju-portal hash-password)");
            snprintf(u->password_hash, sizeof u->password_hash, "%s", s);
        } else if (strcmp(k, "token_sha256") == 0) {
            size_t j;
            json_t *t;
            if (!json_is_array(v) || json_array_size(v) > MAX_TOKENS)
                return refuse(err, file, i, k, "must be a list of at most 8 hex SHA-256 digests");
            json_array_foreach(v, j, t)
            {
                if (!json_is_string(t) ||
                    users_hex_decode(json_string_value(t), u->tokens[j], 32) != 0)
                    return refuse(err, file, i, k,
                                  "each entry is 64 hex digits (jiju-portal new-token)");
            }
            u->n_tokens = json_array_size(v);
        } else {
            return refuse(err, file, i, k, "unknown member");
        }
    }
    if (!u->p.name[0])
        return refuse(err, file, i, "name", "required");
    if (!u->p.role)
        return refuse(err, file, i, "role", "required (admin, reporter, subscriber)");
    if ((u->p.role == KEY_ROLE_REPORTER) != (u->p.n_clusters > 0))
        return refuse(err, file, i, "clusters",
                      u->p.n_clusters ? "only a reporter has clusters"
                                      : "a reporter needs its clusters");
    if ((u->p.role == KEY_ROLE_SUBSCRIBER) != (u->p.subscriber[0] != '\0'))
        return refuse(err, file, i, "subscriber",
                      u->p.subscriber[0] ? "only a subscriber has one"
                                         : "a subscriber needs its id");
    if (!u->password_hash[0] && !u->n_tokens)
        return refuse(err, file, i, NULL, "needs password_hash or token_sha256");
    return 0;
}

static int load_users(const char *file, user **out, size_t *n_out, cfg_error *err)
{
    json_error_t jerr;
    json_t *root = json_load_file(file, 0, &jerr), *list, *o;
    user *users = NULL;
    size_t i, n = 0;
    int rc = -1;

    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", file);
    if (!root) {
        snprintf(err->key, sizeof err->key, "auth.users_file");
        if (jerr.line > 0)
            snprintf(err->reason, sizeof err->reason, "line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
        else
            snprintf(err->reason, sizeof err->reason, "%s", jerr.text);
        return -1;
    }
    list = json_object_get(root, "users");
    if (!json_is_array(list) || json_object_size(root) != 1) {
        snprintf(err->key, sizeof err->key, "users");
        snprintf(err->reason, sizeof err->reason,
                 "the file is {\"users\": [...]} and nothing else");
        goto out_root;
    }
    n = json_array_size(list);
    users = calloc(n ? n : 1, sizeof *users);
    if (!users)
        goto out_root;
    json_array_foreach(list, i, o)
    {
        if (parse_user(file, i, o, &users[i], err) != 0)
            goto out_users;
        for (size_t j = 0; j < i; j++)
            if (strcmp(users[j].p.name, users[i].p.name) == 0) {
                refuse(err, file, i, "name", "duplicate name");
                goto out_users;
            }
    }
    *out = users;
    *n_out = n;
    users = NULL;
    rc = 0;
out_users:
    free(users);
out_root:
    json_decref(root);
    return rc;
}

static int load_secret(portal_auth_t *a, const char *file, cfg_error *err)
{
    FILE *f;
    size_t n;

    if (!file || !*file) {
        a->secret_len = 32;
        return RAND_bytes(a->secret, 32) == 1 ? 0 : -1;
    }
    snprintf(err->file, sizeof err->file, "%s", file);
    snprintf(err->key, sizeof err->key, "auth.session_secret_file");
    if (!(f = fopen(file, "rb"))) {
        snprintf(err->reason, sizeof err->reason, "cannot be read");
        return -1;
    }
    n = fread(a->secret, 1, sizeof a->secret, f);
    fclose(f);
    while (n && (a->secret[n - 1] == '\n' || a->secret[n - 1] == '\r'))
        n--;
    if (n < 32) {
        snprintf(err->reason, sizeof err->reason, "holds %zu bytes; at least 32 are needed", n);
        return -1;
    }
    a->secret_len = n;
    return 0;
}

portal_auth_t *portal_auth_new(const char *users_file, const char *secret_file,
                               int64_t session_ttl_s, int64_t link_ttl_s, cfg_error *err)
{
    portal_auth_t *a = calloc(1, sizeof *a);

    if (!a)
        return NULL;
    pthread_rwlock_init(&a->lock, NULL);
    pthread_mutex_init(&a->links_mu, NULL);
    snprintf(a->users_file, sizeof a->users_file, "%s", users_file);
    a->session_ttl_s = session_ttl_s;
    a->link_ttl_s = link_ttl_s;
    if (load_secret(a, secret_file, err) != 0 ||
        load_users(users_file, &a->users, &a->n_users, err) != 0)
        portal_auth_destroy(&a);
    return a;
}

void portal_auth_destroy(portal_auth_t **ap)
{
    portal_auth_t *a = ap ? *ap : NULL;

    if (!a)
        return;
    free(a->users);
    OPENSSL_cleanse(a->secret, sizeof a->secret);
    pthread_rwlock_destroy(&a->lock);
    pthread_mutex_destroy(&a->links_mu);
    free(a);
    *ap = NULL;
}

int portal_auth_reload(portal_auth_t *a, cfg_error *err)
{
    user *users = NULL, *old;
    size_t n = 0;

    if (load_users(a->users_file, &users, &n, err) != 0)
        return JIJU_ERR_CONFIG;
    pthread_rwlock_wrlock(&a->lock);
    old = a->users;
    a->users = users;
    a->n_users = n;
    pthread_rwlock_unlock(&a->lock);
    free(old);
    return JIJU_OK;
}

size_t portal_auth_count(portal_auth_t *a)
{
    size_t n;

    pthread_rwlock_rdlock(&a->lock);
    n = a->n_users;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

/* Copy the user named name into *p under the read lock. */
static int find_user(portal_auth_t *a, const char *name, portal_principal *p)
{
    int rc = JIJU_ERR_NOT_FOUND;

    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->n_users; i++)
        if (strcmp(a->users[i].p.name, name) == 0) {
            *p = a->users[i].p;
            rc = JIJU_OK;
            break;
        }
    pthread_rwlock_unlock(&a->lock);
    return rc;
}

int portal_auth_token(portal_auth_t *a, const char *token, portal_principal *p)
{
    uint8_t md[32];
    int found = 0;

    SHA256((const uint8_t *)token, strlen(token), md);
    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->n_users && !found; i++)
        for (size_t t = 0; t < a->users[i].n_tokens; t++)
            if (CRYPTO_memcmp(a->users[i].tokens[t], md, 32) == 0) {
                *p = a->users[i].p;
                found = 1;
                break;
            }
    pthread_rwlock_unlock(&a->lock);
    return found ? JIJU_OK : JIJU_ERR_NOT_FOUND;
}

/* ---- signed values: "v1.<name b64url>.<expiry>.<nonce>.<mac>" ---- */

static int signed_make(portal_auth_t *a, const char *purpose, const char *name, int64_t ttl,
                       char *out, size_t cap)
{
    char nb[128], nonce[32], body[256], m[64];

    b64url((const uint8_t *)name, strlen(name), nb, sizeof nb);
    if (portal_random_b64(12, nonce, sizeof nonce) != 0)
        return JIJU_ERR_NOMEM;
    snprintf(body, sizeof body, "v1.%s.%lld.%s", nb, (long long)(now_s() + ttl), nonce);
    mac(a, purpose, body, m);
    if ((size_t)snprintf(out, cap, "%s.%s", body, m) >= cap)
        return JIJU_ERR_INVALID;
    return JIJU_OK;
}

static int b64url_decode(const char *in, char *out, size_t cap)
{
    char tmp[256];
    size_t n = strlen(in), j;
    int len;

    if (n + 4 >= sizeof tmp || n % 4 == 1)
        return -1;
    for (j = 0; j < n; j++)
        tmp[j] = in[j] == '-' ? '+' : in[j] == '_' ? '/' : in[j];
    while (j % 4)
        tmp[j++] = '=';
    tmp[j] = '\0';
    if ((len = EVP_DecodeBlock((unsigned char *)out, (unsigned char *)tmp, (int)j)) < 0 ||
        (size_t)len >= cap)
        return -1;
    len -= (int)(j - n); /* padding decoded as zero bytes */
    out[len] = '\0';
    return (int)strlen(out) == len ? 0 : -1;
}

/* Check signature and expiry; the user name and nonce out. */
static int signed_check(portal_auth_t *a, const char *purpose, const char *value,
                        char name[PORTAL_NAME_MAX], char nonce[32], int64_t *exp)
{
    char body[256], want[64], nb[128];
    const char *dot = strrchr(value, '.');
    long long e;
    int n;

    if (!dot || (size_t)(dot - value) >= sizeof body || strncmp(value, "v1.", 3) != 0)
        return JIJU_ERR_NOT_FOUND;
    memcpy(body, value, (size_t)(dot - value));
    body[dot - value] = '\0';
    mac(a, purpose, body, want);
    if (strlen(dot + 1) != strlen(want) || CRYPTO_memcmp(dot + 1, want, strlen(want)) != 0)
        return JIJU_ERR_NOT_FOUND;
    if (sscanf(body, "v1.%127[^.].%lld.%31[A-Za-z0-9_-]%n", nb, &e, nonce, &n) != 3 ||
        body[n] != '\0' || e < now_s() || b64url_decode(nb, name, PORTAL_NAME_MAX) != 0)
        return JIJU_ERR_NOT_FOUND;
    *exp = e;
    return JIJU_OK;
}

int portal_auth_session(portal_auth_t *a, const char *cookie, portal_principal *p)
{
    char name[PORTAL_NAME_MAX], nonce[32];
    int64_t exp;

    if (strlen(cookie) >= sizeof p->session ||
        signed_check(a, "session", cookie, name, nonce, &exp) != JIJU_OK ||
        find_user(a, name, p) != JIJU_OK)
        return JIJU_ERR_NOT_FOUND;
    p->by_cookie = 1;
    snprintf(p->session, sizeof p->session, "%s", cookie);
    return JIJU_OK;
}

int portal_auth_login(portal_auth_t *a, const char *name, const char *password, char *out,
                      size_t cap)
{
    char hash[256] = "";
    struct crypt_data *cd;
    const char *got;
    int ok = 0;

    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->n_users; i++)
        if (strcmp(a->users[i].p.name, name) == 0)
            snprintf(hash, sizeof hash, "%s", a->users[i].password_hash);
    pthread_rwlock_unlock(&a->lock);
    if (!(cd = calloc(1, sizeof *cd)))
        return JIJU_ERR_NOMEM;
    /* An unknown name still pays for one hash, so timing does not say
     * which names exist. */
    got = crypt_r(password, hash[0] ? hash : "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$", cd);
    ok = hash[0] && got && got[0] == '$' && strlen(got) == strlen(hash) &&
         CRYPTO_memcmp(got, hash, strlen(hash)) == 0;
    OPENSSL_cleanse(cd, sizeof *cd);
    free(cd);
    if (!ok)
        return JIJU_ERR_NOT_FOUND;
    return signed_make(a, "session", name, a->session_ttl_s, out, cap);
}

void portal_auth_csrf(portal_auth_t *a, const char *session, char out[64])
{
    mac(a, "csrf", session, out);
}

int portal_auth_csrf_ok(portal_auth_t *a, const char *session, const char *token)
{
    char want[64];

    if (!token || !session)
        return 0;
    mac(a, "csrf", session, want);
    return strlen(token) == strlen(want) && CRYPTO_memcmp(token, want, strlen(want)) == 0;
}

void portal_auth_login_csrf(portal_auth_t *a, const char *nonce, char out[64])
{
    mac(a, "login", nonce, out);
}

int portal_auth_link_new(portal_auth_t *a, const char *name, char *out, size_t cap)
{
    portal_principal p;

    if (find_user(a, name, &p) != JIJU_OK)
        return JIJU_ERR_NOT_FOUND;
    return signed_make(a, "signin", name, a->link_ttl_s, out, cap);
}

int portal_auth_link_redeem(portal_auth_t *a, const char *token, char *out, size_t cap)
{
    char name[PORTAL_NAME_MAX], nonce[32];
    portal_principal p;
    int64_t exp, now = now_s();
    int rc = JIJU_OK;
    used_link *slot = NULL;

    if (signed_check(a, "signin", token, name, nonce, &exp) != JIJU_OK ||
        find_user(a, name, &p) != JIJU_OK)
        return JIJU_ERR_NOT_FOUND;
    pthread_mutex_lock(&a->links_mu);
    for (size_t i = 0; i < MAX_USED_LINKS; i++) {
        used_link *u = &a->used[i];
        if (u->exp >= now && strcmp(u->nonce, nonce) == 0)
            rc = JIJU_ERR_EXISTS;
        if (!slot && u->exp < now)
            slot = u;
    }
    if (rc == JIJU_OK && !slot)
        rc = JIJU_ERR_AGAIN; /* too many live links redeemed: refuse rather than forget one */
    if (rc == JIJU_OK) {
        snprintf(slot->nonce, sizeof slot->nonce, "%s", nonce);
        slot->exp = exp;
    }
    pthread_mutex_unlock(&a->links_mu);
    if (rc != JIJU_OK)
        return rc;
    return signed_make(a, "session", name, a->session_ttl_s, out, cap);
}

int portal_may_report(const portal_principal *p, const char *cluster_id)
{
    if (p->role == KEY_ROLE_ADMIN)
        return 1;
    if (p->role != KEY_ROLE_REPORTER || !cluster_id)
        return 0;
    for (size_t i = 0; i < p->n_clusters; i++)
        if (strcmp(p->clusters[i], cluster_id) == 0)
            return 1;
    return 0;
}

/* ---- command line helpers ---- */

int portal_hash_password(const char *password, char *out, size_t cap)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *h;
    int rc = JIJU_ERR_INVALID;

    if (!cd)
        return JIJU_ERR_NOMEM;
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof salt) &&
        (h = crypt_r(password, salt, cd)) && h[0] == '$' && strlen(h) < cap) {
        snprintf(out, cap, "%s", h);
        rc = JIJU_OK;
    }
    OPENSSL_cleanse(cd, sizeof *cd);
    free(cd);
    return rc;
}

int portal_random_b64(size_t n, char *out, size_t cap)
{
    uint8_t buf[64];

    if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1)
        return -1;
    b64url(buf, n, out, cap);
    return 0;
}

int portal_new_token(char token[64], char sha256_hex[65])
{
    uint8_t md[32];
    char r[48];

    if (portal_random_b64(32, r, sizeof r) != 0)
        return JIJU_ERR_NOMEM;
    snprintf(token, 64, "jiju_%s", r);
    SHA256((const uint8_t *)token, strlen(token), md);
    hex_encode(md, 32, sha256_hex);
    return JIJU_OK;
}
