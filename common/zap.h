/* zap.h - a process's CURVE security: its own key pair, the allow-list of
 * client keys (keys.h), and the ZAP handler (ZeroMQ RFC 27) that checks
 * every CURVE handshake against that list.
 *
 * The handler is a REP socket bound at inproc://zeromq.zap.01 in the
 * process's ZeroMQ context, answered inside the service loop (zap_attach).
 * It answers 200 with the key's name as User-Id when the client's public key
 * is on the list, 400 otherwise; so a server reads who sent a message with
 * zmq_msg_gets(msg, "User-Id") (zap_sender) and enforces roles itself.
 *
 * Plain mode is a NULL zap_t: every function here accepts it and then does
 * nothing, so callers need no branches. Sockets get their options from
 * zap_server_socket (before bind) and zap_client_socket (before connect). */
#ifndef JIJU_ZAP_H
#define JIJU_ZAP_H

#include <stdint.h>
#include <zmq.h>

#include "cfg.h"
#include "keys.h"
#include "svc.h"

#define ZAP_DOMAIN "jiju"

typedef struct zap zap_t;

/* Load the key pair (secret_key_file) and the allow-list (keys_file), and
 * bind the ZAP handler in zctx, before any CURVE server socket binds there.
 * NULL with *err filled (file, key, reason; a file that cannot be read is
 * blamed on security.secret_key_file or security.keys_file; a libzmq
 * without CURVE is refused too). Caller owns the result and destroys it
 * before terminating zctx. */
zap_t *zap_new(void *zctx, const char *secret_key_file, const char *keys_file, cfg_error *err);
void zap_destroy(zap_t **z);

/* Answer from the service loop: registers the handler socket with svc,
 * records z as svc's security (svc_zap), and re-reads the allow-list on
 * SIGHUP (zap_reload). */
int zap_attach(zap_t *z, svc_t *svc);

/* Re-read keys_file. A list that loads replaces the old one for every later
 * handshake and every later message's role check (event=keys_reloaded); one
 * that does not is logged with file, key and reason (event=keys_refused)
 * and the old list stays. Connections already open stay open: the handshake
 * is the only time ZAP is asked. JIJU_OK or JIJU_ERR_CONFIG. */
int zap_reload(zap_t *z);

/* Answer every waiting ZAP request; returns how many were answered. For
 * tests and loops other than svc. */
int zap_handle(zap_t *z);
/* The handler's socket, to poll. */
void *zap_socket(zap_t *z);

/* Our public key (Z85), and the allow-list. */
const char *zap_public(const zap_t *z);
const keys_t *zap_keys(const zap_t *z);

/* Handshakes answered so far. */
uint64_t zap_allowed(const zap_t *z);
uint64_t zap_refused(const zap_t *z);

/* A binding socket: CURVE server with our secret key, ZAP domain "jiju".
 * JIJU_OK (also when z is NULL: plain) or JIJU_ERR_ZMQ. */
int zap_server_socket(const zap_t *z, void *sock);
/* zap_server_socket, then bind to endpoint. A failure is logged once with
 * the endpoint and the reason (event=bind_failed), so a start-up refusal
 * such as a port already in use names itself. JIJU_OK or JIJU_ERR_ZMQ. */
int zap_server_bind(const zap_t *z, void *sock, const char *endpoint);
/* A connecting socket: CURVE client with our key pair, to a server whose
 * public key is server_public. JIJU_OK (z NULL: plain), JIJU_ERR_INVALID
 * (no valid server key), JIJU_ERR_ZMQ. */
int zap_client_socket(const zap_t *z, void *sock, const char *server_public);

/* CURVE client options from raw keys (clients without a zap_t: the CLI,
 * stream_sub). JIJU_ERR_INVALID if a key is not 40 Z85 characters. */
int zap_curve_client(void *sock, const char *server_public, const char *client_public,
                     const char *client_secret);

/* The allow-list entry of whoever sent msg (its User-Id), NULL if the
 * message carries none (plain) or the name is unknown. */
const key_entry *zap_sender(const zap_t *z, zmq_msg_t *msg);

#endif
