/* svc.h - the service loop, written once: a zmq_poll over registered
 * sockets, interval timers, and after-turn hooks (where streams flush what
 * the turn produced). Each service's main.c builds one, registers its
 * handlers, and calls svc_run(). SIGINT/SIGTERM stop it cleanly; SIGHUP
 * calls the reload handlers. */
#ifndef JIJU_SVC_H
#define JIJU_SVC_H

#include <stdint.h>

typedef struct svc svc_t;
typedef void (*svc_fn)(svc_t *svc, void *arg);

/* Caller owns the result; creates the ZeroMQ context. */
svc_t *svc_new(const char *name);
void svc_destroy(svc_t **svc);

const char *svc_name(const svc_t *svc);
void *svc_zmq(svc_t *svc); /* the ZeroMQ context */

/* Bounded sockets, made once here. svc_socket() makes a socket of `type`
 * in the loop's context with LINGER 0, ZMQ_MAXMSGSIZE = the process's
 * max_frame_bytes (svc_set_max_frame; a peer that sends a larger message is
 * disconnected by ZeroMQ before it is buffered) and both high-water marks
 * at hwm messages (per connection: a ROUTER's queue is bounded by hwm x
 * max_frame_bytes per peer). The caller owns the socket; close it with
 * zmq_close after svc_forget. */
#define SVC_DEFAULT_MAX_FRAME (16 * 1024 * 1024)
void svc_set_max_frame(svc_t *svc, int64_t bytes);
int64_t svc_max_frame(const svc_t *svc);
void *svc_socket(svc_t *svc, int type, int hwm);
/* Log what ZeroMQ does to the connections of a bound socket that nothing
 * else would show, one rate-limited line each (log_limited), with the
 * endpoint: event=socket_event what=accept_failed reason="Too many open
 * files" (a connection dropped at the open-file limit), what=
 * handshake_failed (not ZMTP, or refused by ZAP). A connection ZeroMQ
 * closes for a message above ZMQ_MAXMSGSIZE is reported by libzmq 4.3 only
 * as a disconnect, like any client leaving: what=disconnected at debug
 * level. Call after binding; 0 or JIJU_ERR_*. */
int svc_monitor(svc_t *svc, void *sock, const char *endpoint);

/* Request/reply endpoints: a client waits for its replies, so a few hundred
 * requests in flight per connection is plenty. */
#define SVC_QUERY_HWM 1000

/* Call fn when sock is readable (level-triggered; fn should drain it). */
int svc_on_readable(svc_t *svc, void *sock, svc_fn fn, void *arg);
/* Forget a socket (before closing it). */
void svc_forget(svc_t *svc, void *sock);
/* A plain file descriptor in the same poll (libcurl's sockets, say): call
 * fn with what it is ready for (SVC_FD_IN, SVC_FD_OUT, SVC_FD_ERR) when it
 * is ready for any of events. Registering an fd again replaces its events,
 * fn and arg. */
enum { SVC_FD_IN = 1, SVC_FD_OUT = 2, SVC_FD_ERR = 4 };
typedef void (*svc_fd_fn)(svc_t *svc, int fd, int revents, void *arg);
int svc_on_fd(svc_t *svc, int fd, int events, svc_fd_fn fn, void *arg);
/* Forget an fd (before it is closed); unknown fds are ignored. */
void svc_forget_fd(svc_t *svc, int fd);
/* Call fn every interval_ms (monotonic). */
int svc_every(svc_t *svc, int interval_ms, svc_fn fn, void *arg);
/* Call fn after every loop turn. */
int svc_after_turn(svc_t *svc, svc_fn fn, void *arg);
/* Call fn in the loop after the process gets SIGHUP: re-read what can be
 * re-read without a restart (the CURVE allow-list). */
int svc_on_reload(svc_t *svc, svc_fn fn, void *arg);

/* The process's CURVE security (zap.h), NULL in plain mode. Not owned:
 * zap_attach sets it, and every module that binds or connects a socket in
 * this loop's context asks for it. */
struct zap;
void svc_set_zap(svc_t *svc, struct zap *zap);
struct zap *svc_zap(svc_t *svc);

/* Remove every socket handler, timer, hook and reload registered with this arg
 * (before freeing the object they point at). */
void svc_cancel(svc_t *svc, void *arg);

/* When the current turn's poll returned (clock_mono_us): a handler's
 * requests were waiting at least since then. Each turn, wake-up to its next
 * wait, is observed in the histogram jiju_loop_turn_seconds. */
int64_t svc_woke_us(const svc_t *svc);

/* Run until svc_stop() or SIGINT/SIGTERM; SIGHUP runs the reloads. Returns 0.
 * In a turn, the readable sockets' handlers run in the order they were
 * registered (ingest registers its submit port first, so a turn's submits
 * are read and committed before its streams are served), then the timers
 * that are due, then the after-turn hooks. */
int svc_run(svc_t *svc);
void svc_stop(svc_t *svc);

#endif
