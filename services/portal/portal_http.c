/* portal_http.c - the HTTP server: libmicrohttpd daemon, reading a request
 * whole within the size limit, finding who asks, routing, answering. */
#include "portal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

static const char *const security_headers[] = {
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    NULL,
};

const char *portal_arg(portal_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *portal_header(portal_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *portal_cookie(portal_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

void portal_cookie_value(portal_t *app, const char *name, const char *value, long max_age,
                         char *out, size_t cap)
{
    snprintf(out, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", name,
             max_age < 0 ? "" : value, max_age < 0 ? 0 : max_age,
             app->cfg.secure_cookies ? "; Secure" : "");
}

enum MHD_Result portal_reply(portal_req *r, unsigned status, const char *ctype, const void *data,
                             size_t len, const char *const *extra)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!resp)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    for (size_t i = 0; security_headers[i]; i += 2)
        MHD_add_response_header(resp, security_headers[i], security_headers[i + 1]);
    for (size_t i = 0; extra && extra[i]; i += 2)
        MHD_add_response_header(resp, extra[i], extra[i + 1]);
    ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result portal_reply_json(portal_req *r, unsigned status, json_t *json)
{
    static const char *const nocache[] = {"Cache-Control", "no-store", NULL};
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    enum MHD_Result ret;

    json_decref(json);
    if (!text)
        return portal_reply(r, 500, "application/json", "{\"error\":{\"code\":\"E_NOMEM\"}}", 27,
                            nocache);
    ret = portal_reply(r, status, "application/json; charset=utf-8", text, strlen(text), nocache);
    free(text);
    return ret;
}

enum MHD_Result portal_reply_error(portal_req *r, unsigned status, const char *code,
                                   const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return portal_reply_json(r, status,
                             json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg));
}

enum MHD_Result portal_redirect(portal_req *r, const char *location, const char *const *cookies)
{
    const char *extra[16];
    size_t n = 0;

    extra[n++] = "Location";
    extra[n++] = location;
    extra[n++] = "Cache-Control";
    extra[n++] = "no-store";
    for (size_t i = 0; cookies && cookies[i] && n + 3 < 16; i++) {
        extra[n++] = MHD_HTTP_HEADER_SET_COOKIE;
        extra[n++] = cookies[i];
    }
    extra[n] = NULL;
    return portal_reply(r, 303, "text/plain; charset=utf-8", "", 0, extra);
}

json_t *portal_body_json(portal_req *r, enum MHD_Result *answered)
{
    const char *ct = portal_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_error_t jerr;
    json_t *j;

    if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
        *answered =
            portal_reply_error(r, 415, "E_CONTENT_TYPE",
                               "the body must be application/json (got %s)", ct ? ct : "none");
        return NULL;
    }
    j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        *answered = portal_reply_error(r, 400, "E_BAD_JSON", "line %d column %d: %s", jerr.line,
                                       jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        *answered = portal_reply_error(r, 400, "E_BAD_JSON", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* ---- who asks ---- */

static void find_principal(portal_req *r)
{
    const char *authz = portal_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *cookie;

    memset(&r->who, 0, sizeof r->who);
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        if (portal_auth_token(r->app->auth, authz + 7, &r->who) != JIJU_OK)
            memset(&r->who, 0, sizeof r->who);
        return;
    }
    cookie = portal_cookie(r, PORTAL_COOKIE);
    if (cookie && portal_auth_session(r->app->auth, cookie, &r->who) != JIJU_OK)
        memset(&r->who, 0, sizeof r->who);
}

static int wants_html(portal_req *r)
{
    const char *accept = portal_header(r, MHD_HTTP_HEADER_ACCEPT);

    return strcmp(r->method, "GET") == 0 && strncmp(r->path, "/api/", 5) != 0 && accept &&
           strstr(accept, "text/html");
}

static int unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

static const portal_route *route_of(portal_req *r, int *method_mismatch)
{
    *method_mismatch = 0;
    for (size_t i = 0; i < portal_n_routes; i++) {
        const portal_route *rt = &portal_routes[i];
        size_t n = strlen(rt->path);
        int match = rt->path[n - 1] == '/' ? strncmp(r->path, rt->path, n) == 0
                                           : strcmp(r->path, rt->path) == 0;
        if (!match)
            continue;
        if (strcmp(rt->method, r->method) != 0 &&
            !(strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0)) {
            *method_mismatch = 1;
            continue;
        }
        r->route_arg = r->path + (rt->path[n - 1] == '/' ? n : strlen(r->path));
        return rt;
    }
    return NULL;
}

static enum MHD_Result dispatch(portal_req *r)
{
    int mismatch;
    const portal_route *rt = route_of(r, &mismatch);

    if (!rt)
        return mismatch
                   ? portal_reply_error(r, 405, "E_METHOD", "%s is not allowed on %s", r->method,
                                        r->path)
                   : portal_reply_error(r, 404, "E_NOT_FOUND", "no such resource: %s", r->path);
    if (r->too_large)
        return portal_reply_error(r, 413, "E_TOO_LARGE",
                                  "the body exceeds %lld bytes (http.max_body)",
                                  (long long)r->app->cfg.max_body);
    if (!rt->roles)
        return rt->fn(r);
    find_principal(r);
    if (!r->who.role) {
        static const char *const www[] = {"WWW-Authenticate", "Bearer realm=\"jiju\"", NULL};
        if (wants_html(r))
            return portal_redirect(r, "/login", NULL);
        return portal_reply(
            r, 401, "application/json",
            "{\"error\":{\"code\":\"E_UNAUTHENTICATED\",\"message\":\"sign in, or send "
            "Authorization: Bearer TOKEN\"}}",
            strlen("{\"error\":{\"code\":\"E_UNAUTHENTICATED\",\"message\":\"sign in, or "
                   "send Authorization: Bearer TOKEN\"}}"),
            www);
    }
    if (!(rt->roles & ROLE_BIT(r->who.role)))
        return portal_reply_error(r, 403, "E_FORBIDDEN_ROLE", "%s (role %s) may not %s %s",
                                  r->who.name, key_role_name(r->who.role), r->method, r->path);
    if (r->who.by_cookie && unsafe_method(r->method) &&
        !portal_auth_csrf_ok(r->app->auth, r->who.session, portal_header(r, "X-CSRF-Token")))
        return portal_reply_error(r, 403, "E_CSRF",
                                  "a browser session must send its CSRF token (X-CSRF-Token)");
    return rt->fn(r);
}

/* ---- libmicrohttpd callbacks ---- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    portal_t *app = cls;
    portal_req *r = *con_cls;

    if (!r) {
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        r->app = app;
        r->conn = conn;
        r->method = method;
        snprintf(r->path, sizeof r->path, "%s", url);
        *con_cls = r;
        if (cl && strtoll(cl, NULL, 10) > app->cfg.max_body)
            r->too_large = 1; /* answered at once, the body is never read */
        if (!r->too_large)
            return MHD_YES;
    }
    if (*upload_size && !r->too_large) {
        if (r->len + *upload_size > (size_t)app->cfg.max_body) {
            r->too_large = 1;
            free(r->body);
            r->body = NULL;
            r->len = 0;
        } else {
            char *nb = realloc(r->body, r->len + *upload_size + 1);
            if (!nb)
                return MHD_NO;
            memcpy(nb + r->len, upload, *upload_size);
            r->body = nb;
            r->len += *upload_size;
            r->body[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* too large: discard until the end, then answer */
        return MHD_YES;
    }
    if (strlen(url) >= sizeof r->path)
        return portal_reply_error(r, 414, "E_URI_TOO_LONG", "the path exceeds %zu bytes",
                                  sizeof r->path - 1);
    return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    portal_req *r = *con_cls;

    if (!r)
        return;
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
        msg[--n] = '\0';
    log_warn("http_error", "reason=\"%s\"", msg);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1 << 20) &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n)
        buf[n] = '\0';
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int portal_http_start(portal_t *app)
{
    static char *tls_cert, *tls_key; /* MHD keeps pointers until stop */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)app->cfg.port)};
    unsigned flags =
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    int tls = app->cfg.tls_cert_file[0] != '\0';

    if (inet_pton(AF_INET, app->cfg.bind, &sa.sin_addr) != 1) {
        log_error("config_refused", "file=- key=http.bind reason=\"not an IPv4 address: %s\"",
                  app->cfg.bind);
        return -1;
    }
    if (tls) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
            log_error("config_refused",
                      "file=- key=tls.cert_file reason=\"libmicrohttpd has no TLS\"");
            return -1;
        }
        tls_cert = read_file(app->cfg.tls_cert_file);
        tls_key = read_file(app->cfg.tls_key_file);
        if (!tls_cert || !tls_key) {
            log_error("config_refused", "file=%s key=%s reason=\"cannot be read\"",
                      tls_cert ? app->cfg.tls_key_file : app->cfg.tls_cert_file,
                      tls_cert ? "tls.key_file" : "tls.cert_file");
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    app->mhd = MHD_start_daemon(
        flags, (uint16_t)app->cfg.port, NULL, NULL, on_request, app, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, app, /* first, so every message comes here */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)app->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)app->cfg.per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)app->cfg.connection_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
        tls_key, MHD_OPTION_END);
    if (!app->mhd) {
        log_error("bind_failed", "endpoint=%s:%lld reason=\"libmicrohttpd could not start\"",
                  app->cfg.bind, (long long)app->cfg.port);
        return -1;
    }
    log_info("http_listening", "endpoint=%s://%s:%lld", tls ? "https" : "http", app->cfg.bind,
             (long long)app->cfg.port);
    return 0;
}

void portal_http_stop(portal_t *app)
{
    if (!app->mhd)
        return;
    app->stopping = 1;
    MHD_stop_daemon(app->mhd);
    app->mhd = NULL;
}
