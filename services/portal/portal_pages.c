/* portal_pages.c - what a browser needs besides the JSON API: the health
 * check, signing in and out (form with a login CSRF token, one-time links),
 * the session's identity and CSRF token, and the static pages and scripts
 * (web.dir) and third-party browser libraries (web.vendor_dir), all served
 * by the portal itself: nothing is fetched from the internet. */
#include "portal_api.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

enum MHD_Result page_health(portal_req *r)
{
    Jiju__V1__QueryRequest q = JIJU__V1__QUERY_REQUEST__INIT;
    Jiju__V1__Ping ping = JIJU__V1__PING__INIT;
    Jiju__V1__QueryReply *rep = NULL;
    int rc;

    q.request_id = "health";
    q.kind_case = JIJU__V1__QUERY_REQUEST__KIND_PING;
    q.ping = &ping;
    rc = portal_query(r->app->backend, &q, &rep);
    jiju__v1__query_reply__free_unpacked(rep, NULL);
    return portal_reply_json(r, rc == JIJU_OK ? 200 : 503,
                             json_pack("{s:s,s:s,s:s}", "status", rc == JIJU_OK ? "ok" : "degraded",
                                       "instance", r->app->cfg.instance, "assessment",
                                       rc == JIJU_OK ? "ok" : jiju_err_str(rc)));
}

/* ---- signing in ---- */

static const char login_html[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" "
    "href=\"data:,\">"
    "<title>登录 · 吉林市服务业集聚区运行监测平台</title><style>"
    "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Zen Hei\",\"Microsoft YaHei\",sans-serif;"
    "background:#f3f5f8;margin:0}main{max-width:360px;margin:12vh auto;background:#fff;"
    "padding:2em;border-radius:6px;box-shadow:0 1px 4px #0002}h1{font-size:1.2em;color:#1f4e8c}"
    "label{display:block;margin:1em 0 .3em}input{width:100%%;box-sizing:border-box;padding:.5em;"
    "font-size:1em}button{margin-top:1.5em;width:100%%;padding:.6em;background:#1f4e8c;color:#fff;"
    "border:0;border-radius:4px;font-size:1em}.err{color:#b00020;margin-top:1em}</style></head>"
    "<body><main><h1>吉林市服务业集聚区运行监测平台</h1>"
    "<form method=\"post\" action=\"/login\">"
    "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">"
    "<label for=\"user\">用户名</label><input id=\"user\" name=\"user\" autocomplete=\"username\" "
    "required>"
    "<label for=\"password\">密码</label><input id=\"password\" name=\"password\" "
    "type=\"password\" "
    "autocomplete=\"current-password\" required>"
    "<button type=\"submit\">登录</button>%s</form></main></body></html>";

static enum MHD_Result login_page(portal_req *r, unsigned status, const char *message)
{
    char nonce[32], token[64], cookie[256], html[sizeof login_html + 512], msg[256] = "";
    const char *extra[] = {MHD_HTTP_HEADER_SET_COOKIE, cookie, "Cache-Control", "no-store", NULL};

    if (portal_random_b64(16, nonce, sizeof nonce) != 0)
        return MHD_NO;
    portal_auth_login_csrf(r->app->auth, nonce, token);
    portal_cookie_value(r->app, PORTAL_LOGIN_COOKIE, nonce, 3600, cookie, sizeof cookie);
    if (message)
        snprintf(msg, sizeof msg, "<p class=\"err\" role=\"alert\">%s</p>", message);
    snprintf(html, sizeof html, login_html, token, msg);
    return portal_reply(r, status, "text/html; charset=utf-8", html, strlen(html), extra);
}

enum MHD_Result page_login_form(portal_req *r)
{
    return login_page(r, 200, NULL);
}

typedef struct login_form {
    char user[PORTAL_NAME_MAX];
    char password[256];
    char csrf[64];
} login_form;

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    login_form *f = cls;
    char *dst = NULL;
    size_t cap = 0, have;

    if (strcmp(key, "user") == 0)
        dst = f->user, cap = sizeof f->user;
    else if (strcmp(key, "password") == 0)
        dst = f->password, cap = sizeof f->password;
    else if (strcmp(key, "csrf_token") == 0)
        dst = f->csrf, cap = sizeof f->csrf;
    if (!dst)
        return MHD_YES;
    have = strlen(dst);
    if (have + size >= cap)
        return MHD_NO; /* too long: the login fails */
    memcpy(dst + have, data, size);
    dst[have + size] = '\0';
    return MHD_YES;
}

enum MHD_Result page_login(portal_req *r)
{
    login_form f = {0};
    struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 4096, on_field, &f);
    const char *nonce = portal_cookie(r, PORTAL_LOGIN_COOKIE);
    char want[64], session[256], cookie[384], gone[128];
    int parsed;

    if (!pp)
        return login_page(r, 400, "请求格式不正确 (需要表单)");
    parsed = MHD_post_process(pp, r->body ? r->body : "", r->len) == MHD_YES;
    MHD_destroy_post_processor(pp);
    if (nonce)
        portal_auth_login_csrf(r->app->auth, nonce, want);
    if (!parsed || !nonce || strcmp(want, f.csrf) != 0) {
        log_warn("login_refused", "user=%s reason=csrf", f.user[0] ? f.user : "-");
        return login_page(r, 403, "页面已过期, 请重新登录");
    }
    if (portal_auth_login(r->app->auth, f.user, f.password, session, sizeof session) != JIJU_OK) {
        explicit_bzero(f.password, sizeof f.password);
        log_warn("login_refused", "user=%s reason=credentials", f.user[0] ? f.user : "-");
        return login_page(r, 401, "用户名或密码错误");
    }
    explicit_bzero(f.password, sizeof f.password);
    portal_cookie_value(r->app, PORTAL_COOKIE, session, (long)r->app->cfg.session_ttl_s, cookie,
                        sizeof cookie);
    portal_cookie_value(r->app, PORTAL_LOGIN_COOKIE, "", -1, gone, sizeof gone);
    log_info("login", "user=%s via=password", f.user);
    return portal_redirect(r, "/", (const char *[]){cookie, gone, NULL});
}

enum MHD_Result page_logout(portal_req *r)
{
    char gone[128];

    portal_cookie_value(r->app, PORTAL_COOKIE, "", -1, gone, sizeof gone);
    log_info("logout", "user=%s", r->who.name);
    return portal_reply(r, 200, "application/json", "{\"signed_out\":true}", 19,
                        (const char *[]){MHD_HTTP_HEADER_SET_COOKIE, gone, NULL});
}

enum MHD_Result page_signin_link(portal_req *r)
{
    const char *t = portal_arg(r, "t");
    char session[256], cookie[384];
    int rc =
        t ? portal_auth_link_redeem(r->app->auth, t, session, sizeof session) : JIJU_ERR_NOT_FOUND;

    if (rc != JIJU_OK) {
        log_warn("login_refused", "via=link reason=%s", rc == JIJU_ERR_EXISTS ? "used" : "invalid");
        return login_page(r, 403,
                          rc == JIJU_ERR_EXISTS ? "此登录链接已使用过, 请用密码登录"
                                                : "登录链接无效或已过期");
    }
    portal_cookie_value(r->app, PORTAL_COOKIE, session, (long)r->app->cfg.session_ttl_s, cookie,
                        sizeof cookie);
    log_info("login", "via=link");
    return portal_redirect(r, "/", (const char *[]){cookie, NULL});
}

enum MHD_Result api_session(portal_req *r)
{
    json_t *o = json_pack("{s:s,s:s}", "name", r->who.name, "role", key_role_name(r->who.role));
    json_t *clusters = json_array();
    char csrf[64];

    for (size_t i = 0; i < r->who.n_clusters; i++)
        json_array_append_new(clusters, json_string(r->who.clusters[i]));
    json_object_set_new(o, "clusters", clusters);
    if (r->who.subscriber[0])
        json_object_set_new(o, "subscriber", json_string(r->who.subscriber));
    if (r->who.by_cookie) {
        portal_auth_csrf(r->app->auth, r->who.session, csrf);
        json_object_set_new(o, "csrf_token", json_string(csrf));
    }
    return portal_reply_json(r, 200, o);
}

/* ---- static files ---- */

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".yaml", "text/yaml; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

static int safe_path(const char *p)
{
    if (strstr(p, "..") || strstr(p, "//"))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '.' || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

enum MHD_Result page_static(portal_req *r)
{
    const char *rel = r->path, *root = r->app->cfg.web_dir, *cache = "no-cache";
    char file[1024];
    struct stat st;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    int fd;

    if (strncmp(rel, "/vendor/", 8) == 0) {
        root = r->app->cfg.vendor_dir;
        rel += 7;
        cache = "max-age=86400";
    }
    if (!safe_path(rel))
        return portal_reply_error(r, 404, "E_NOT_FOUND", "no such file");
    snprintf(file, sizeof file, "%s%s%s", root, rel,
             rel[strlen(rel) - 1] == '/'      ? "index.html"
             : strchr(strrchr(rel, '/'), '.') ? ""
                                              : ".html");
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return portal_reply_error(r, 404, "E_NOT_FOUND", "no such file: %s", r->path);
    }
    if (!(resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd))) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(file));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' "
                            "'unsafe-inline'; frame-ancestors 'none'; form-action 'self'");
    ret = MHD_queue_response(r->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}
