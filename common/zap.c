/* zap.c - the ZAP handler (RFC 27) and CURVE socket options (see zap.h). */
#include "zap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_MAX_PARTS 8
#define ZAP_DRAIN 100
/* A refused client reconnects every 100 ms by default: log one line per key
 * and this interval, with the running count, not one per attempt. */
#define ZAP_LOG_EVERY_MS 10000

struct zap {
    void *sock;
    svc_t *svc;
    keys_t *keys;
    char *keys_file; /* to re-read on SIGHUP */
    char public_z85[41];
    char secret_z85[41];
    uint64_t allowed, refused;
    uint8_t last_refused[32];
    int64_t last_refused_log;
};

zap_t *zap_new(void *zctx, const char *secret_key_file, const char *keys_file, cfg_error *err)
{
    zap_t *z;
    int zero = 0;

    if (!zmq_has("curve")) {
        snprintf(err->file, sizeof err->file, "%s", secret_key_file ? secret_key_file : "");
        snprintf(err->key, sizeof err->key, "security.secret_key_file");
        snprintf(err->reason, sizeof err->reason,
                 "this libzmq was built without CURVE (zmq_has(\"curve\") is false)");
        return NULL;
    }
    if (!(z = calloc(1, sizeof *z)))
        return NULL;
    if (keys_pair_load(secret_key_file, "security.secret_key_file", z->public_z85, z->secret_z85,
                       err) != 0 ||
        !(z->keys = keys_load(keys_file, "security.keys_file", err)) ||
        !(z->keys_file = strdup(keys_file)))
        goto out_destroy;
    if (!(z->sock = zmq_socket(zctx, ZMQ_REP)))
        goto out_zmq;
    zmq_setsockopt(z->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(z->sock, ZAP_ENDPOINT) != 0)
        goto out_zmq;
    return z;

out_zmq:
    snprintf(err->file, sizeof err->file, "%s", ZAP_ENDPOINT);
    snprintf(err->key, sizeof err->key, "security.keys_file");
    snprintf(err->reason, sizeof err->reason, "cannot bind the ZAP handler: %s",
             zmq_strerror(errno));
out_destroy:
    zap_destroy(&z);
    return NULL;
}

void zap_destroy(zap_t **zp)
{
    zap_t *z = zp ? *zp : NULL;

    if (!z)
        return;
    if (z->svc) {
        svc_cancel(z->svc, z);
        svc_set_zap(z->svc, NULL);
    }
    if (z->sock)
        zmq_close(z->sock);
    keys_destroy(&z->keys);
    free(z->keys_file);
    explicit_bzero(z->secret_z85, sizeof z->secret_z85);
    free(z);
    *zp = NULL;
}

void *zap_socket(zap_t *z)
{
    return z ? z->sock : NULL;
}

const char *zap_public(const zap_t *z)
{
    return z ? z->public_z85 : "";
}

const keys_t *zap_keys(const zap_t *z)
{
    return z ? z->keys : NULL;
}

uint64_t zap_allowed(const zap_t *z)
{
    return z ? z->allowed : 0;
}

uint64_t zap_refused(const zap_t *z)
{
    return z ? z->refused : 0;
}

/* ---- the handler ---- */

static int part_is(zmq_msg_t *m, const char *text)
{
    return zmq_msg_size(m) == strlen(text) && memcmp(zmq_msg_data(m), text, strlen(text)) == 0;
}

static void zap_log_refusal(zap_t *z, const uint8_t *key, zmq_msg_t *address, const char *why)
{
    int64_t now = clock_mono_ms();
    char z85[41] = "-", addr[64];

    if (key && memcmp(key, z->last_refused, 32) == 0 &&
        now - z->last_refused_log < ZAP_LOG_EVERY_MS)
        return;
    if (key) {
        memcpy(z->last_refused, key, 32);
        zmq_z85_encode(z85, key, 32);
    }
    z->last_refused_log = now;
    snprintf(addr, sizeof addr, "%.*s",
             (int)(zmq_msg_size(address) < 63 ? zmq_msg_size(address) : 63),
             (const char *)zmq_msg_data(address));
    log_limited(LOG_WARN, "zap_refused", "key=%s address=%s reason=%s refused_total=%llu", z85,
                addr, why, (unsigned long long)z->refused);
}

/* RFC 27 request: version, request id, domain, address, identity,
 * mechanism, credentials... Decide, and return the key's entry or NULL. */
static const key_entry *zap_decide(zap_t *z, zmq_msg_t *parts, int n, const char **why)
{
    const key_entry *k;

    if (n < 6 || !part_is(&parts[0], "1.0")) {
        *why = "malformed_request";
        return NULL;
    }
    if (!part_is(&parts[5], "CURVE") || n < 7 || zmq_msg_size(&parts[6]) != 32) {
        *why = "not_curve";
        return NULL;
    }
    if (!(k = keys_by_public(z->keys, zmq_msg_data(&parts[6])))) {
        *why = "unknown_key";
        return NULL;
    }
    return k;
}

static void zap_reply(zap_t *z, zmq_msg_t *request_id, const char *code, const char *text,
                      const char *user)
{
    zmq_send(z->sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send(z->sock, request_id ? zmq_msg_data(request_id) : "",
             request_id ? zmq_msg_size(request_id) : 0, ZMQ_SNDMORE);
    zmq_send(z->sock, code, strlen(code), ZMQ_SNDMORE);
    zmq_send(z->sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(z->sock, user, strlen(user), ZMQ_SNDMORE);
    zmq_send(z->sock, "", 0, 0); /* no metadata */
}

/* One request, if one is waiting: 1 answered, 0 none. */
static int zap_handle_one(zap_t *z)
{
    zmq_msg_t parts[ZAP_MAX_PARTS];
    const key_entry *k;
    const char *why = "";
    int n = 0, more = 1;

    while (more) { /* a message arrives whole: only the first part may be absent */
        zmq_msg_t m;

        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z->sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = zmq_msg_more(&m);
        if (n < ZAP_MAX_PARTS)
            parts[n++] = m;
        else
            zmq_msg_close(&m);
    }
    if (n == 0)
        return 0;
    k = zap_decide(z, parts, n, &why);
    if (k) {
        z->allowed++;
        zap_reply(z, n > 1 ? &parts[1] : NULL, "200", "OK", k->name);
        log_debug("zap_allowed", "name=%s role=%s", k->name, key_role_name(k->role));
    } else {
        z->refused++;
        zap_reply(z, n > 1 ? &parts[1] : NULL, "400", why, "");
        zap_log_refusal(z, n > 6 && zmq_msg_size(&parts[6]) == 32 ? zmq_msg_data(&parts[6]) : NULL,
                        n > 3 ? &parts[3] : &parts[0], why);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return 1;
}

int zap_handle(zap_t *z)
{
    int answered = 0;

    while (z && answered < ZAP_DRAIN && zap_handle_one(z))
        answered++;
    return answered;
}

static void zap_on_readable(svc_t *svc, void *arg)
{
    (void)svc;
    zap_handle(arg);
}

int zap_reload(zap_t *z)
{
    cfg_error err;
    keys_t *fresh;
    size_t was;

    if (!z)
        return JIJU_OK;
    memset(&err, 0, sizeof err);
    if (!(fresh = keys_load(z->keys_file, "security.keys_file", &err))) {
        log_error("keys_refused", "file=%s key=%s reason=\"%s\" action=kept_previous keys=%zu",
                  err.file, err.key, err.reason, keys_count(z->keys));
        return JIJU_ERR_CONFIG;
    }
    was = keys_count(z->keys);
    keys_destroy(&z->keys); /* nothing keeps a key_entry across loop turns */
    z->keys = fresh;
    log_info("keys_reloaded", "file=%s keys=%zu was=%zu", z->keys_file, keys_count(z->keys), was);
    return JIJU_OK;
}

static void zap_on_reload(svc_t *svc, void *arg)
{
    (void)svc;
    zap_reload(arg);
}

int zap_attach(zap_t *z, svc_t *svc)
{
    int rc = svc_on_readable(svc, z->sock, zap_on_readable, z);

    if (rc == JIJU_OK)
        rc = svc_on_reload(svc, zap_on_reload, z);
    if (rc != JIJU_OK)
        return rc;
    z->svc = svc;
    svc_set_zap(svc, z);
    return JIJU_OK;
}

/* ---- socket options ---- */

int zap_server_socket(const zap_t *z, void *sock)
{
    int one = 1;

    if (!z)
        return JIJU_OK;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, z->secret_z85, KEYS_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN)) != 0)
        return JIJU_ERR_ZMQ;
    return JIJU_OK;
}

int zap_server_bind(const zap_t *z, void *sock, const char *endpoint)
{
    if (zap_server_socket(z, sock) != JIJU_OK) {
        log_error("bind_failed", "endpoint=%s reason=\"CURVE server options: %s\"", endpoint,
                  zmq_strerror(zmq_errno()));
        return JIJU_ERR_ZMQ;
    }
    if (zmq_bind(sock, endpoint) != 0) {
        log_error("bind_failed", "endpoint=%s reason=\"%s\"", endpoint, zmq_strerror(zmq_errno()));
        return JIJU_ERR_ZMQ;
    }
    return JIJU_OK;
}

int zap_curve_client(void *sock, const char *server_public, const char *client_public,
                     const char *client_secret)
{
    if (!keys_z85_valid(server_public) || !keys_z85_valid(client_public) ||
        !keys_z85_valid(client_secret))
        return JIJU_ERR_INVALID;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public, KEYS_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, client_public, KEYS_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, client_secret, KEYS_Z85_LEN) != 0)
        return JIJU_ERR_ZMQ;
    return JIJU_OK;
}

int zap_client_socket(const zap_t *z, void *sock, const char *server_public)
{
    if (!z)
        return JIJU_OK;
    return zap_curve_client(sock, server_public, z->public_z85, z->secret_z85);
}

const key_entry *zap_sender(const zap_t *z, zmq_msg_t *msg)
{
    const char *user;

    if (!z || !msg)
        return NULL;
    user = zmq_msg_gets(msg, "User-Id");
    return user ? keys_by_name(z->keys, user) : NULL;
}
