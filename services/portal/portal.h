/* portal.h - the portal process: an HTTP(S) server (libmicrohttpd, one
 * thread per connection) in front of the four services. It keeps no
 * authoritative state: every answer comes from ingest, assessment, the
 * archive or notification at the time of the request, so copies of it can
 * run side by side and a restart loses nothing.
 *
 * A request is read whole (bodies up to http.max_body), its principal found
 * (Bearer token or session cookie, portal_auth.h), its route's roles
 * checked, and for a browser session every unsafe method must carry the
 * session's CSRF token; then the route's handler answers. */
#ifndef JIJU_PORTAL_H
#define JIJU_PORTAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>

#include "portal_auth.h"
#include "portal_backend.h"
#include "portal_config.h"

typedef struct portal {
    portal_config cfg;
    portal_auth_t *auth;
    portal_backend_t *backend;
    void *zctx; /* borrowed from the service loop */
    struct MHD_Daemon *mhd;
    volatile int stopping; /* feeds end their responses */
    int curve;             /* CURVE to the services (security.*) */
    char curve_public[41], curve_secret[41];
} portal_t;

typedef struct portal_req {
    portal_t *app;
    struct MHD_Connection *conn;
    const char *method;
    char path[512]; /* URL path, without the query string */
    char *body;     /* NUL-terminated copy of the body */
    size_t len;
    int too_large;
    portal_principal who;  /* role 0: nobody */
    const char *route_arg; /* the part of the path after a route's prefix */
} portal_req;

/* Bits for a route's roles. */
#define ROLE_BIT(r) (1u << (r))
#define ROLES_ANY                                                                                  \
    (ROLE_BIT(KEY_ROLE_ADMIN) | ROLE_BIT(KEY_ROLE_REPORTER) | ROLE_BIT(KEY_ROLE_SUBSCRIBER))

typedef enum MHD_Result (*portal_handler)(portal_req *r);

typedef struct portal_route {
    const char *method; /* "GET", "POST" */
    const char *path;   /* exact path, or a prefix when it ends with '/' */
    unsigned roles;     /* 0: public (health, sign-in) */
    portal_handler fn;
} portal_route;

extern const portal_route portal_routes[];
extern const size_t portal_n_routes;

/* Start listening (cfg.bind:cfg.port, TLS when configured). 0 or -1 after
 * logging why. */
int portal_http_start(portal_t *app);
void portal_http_stop(portal_t *app);

/* ---- for handlers ---- */
const char *portal_arg(portal_req *r, const char *key);     /* query string value or NULL */
const char *portal_header(portal_req *r, const char *name); /* request header or NULL */
const char *portal_cookie(portal_req *r, const char *name);

/* Queue a response and drop our reference. extra: NULL or pairs of header
 * name, value, ending with NULL. */
enum MHD_Result portal_reply(portal_req *r, unsigned status, const char *ctype, const void *data,
                             size_t len, const char *const *extra);
/* json is stolen. */
enum MHD_Result portal_reply_json(portal_req *r, unsigned status, json_t *json);
/* {"error": {"code": code, "message": message}} */
enum MHD_Result portal_reply_error(portal_req *r, unsigned status, const char *code,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* 303 to location, with optional Set-Cookie values (NULL-terminated). */
enum MHD_Result portal_redirect(portal_req *r, const char *location, const char *const *cookies);

/* The request body as a JSON object (400 already answered when NULL). */
json_t *portal_body_json(portal_req *r, enum MHD_Result *answered);

/* A Set-Cookie value for name=value with the portal's attributes
 * (HttpOnly, SameSite=Strict, Path=/, Secure when configured); max_age < 0
 * deletes the cookie. */
void portal_cookie_value(portal_t *app, const char *name, const char *value, long max_age,
                         char *out, size_t cap);

#endif
