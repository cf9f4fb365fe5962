/* portal_app.c - start, reload and stop of the portal process. */
#include "portal_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "keys.h"
#include "tz.h"
#include "log.h"

static void on_reload(svc_t *svc, void *arg)
{
    portal_app *app = arg;
    cfg_error err;
    char msg[1024];

    if (portal_auth_reload(app->portal.auth, &err) != JIJU_OK) {
        log_error("users_refused", "%s action=kept_previous",
                  cfg_error_format(&err, msg, sizeof msg));
        return;
    }
    log_info("users_reloaded", "file=%s users=%zu", app->portal.cfg.users_file,
             portal_auth_count(app->portal.auth));
}

static void on_tick(svc_t *svc, void *arg)
{
    /* the loop wakes up to notice signals */
}

static int refuse(portal_app *app, const cfg_error *err)
{
    char msg[1024];

    cfg_error_format(err, msg, sizeof msg);
    log_error("config_refused", "%s", msg);
    fprintf(stderr, "jiju-portal: %s\n", msg);
    app->srv.exit_code = 2;
    return -1;
}

static portal_auth_t *auth_from(const portal_config *c, cfg_error *err)
{
    memset(err, 0, sizeof *err);
    return portal_auth_new(c->users_file, c->session_secret_file, c->session_ttl_s,
                           c->signin_link_ttl_s, err);
}

int portal_app_start(portal_app *app)
{
    portal_t *p = &app->portal;
    cfg_error err;

    p->zctx = svc_zmq(app->srv.svc);
    if (tz_use_setting("time_zone", p->cfg.time_zone, &err) != 0)
        return refuse(app, &err);
    if (!(p->auth = auth_from(&p->cfg, &err)))
        return refuse(app, &err);
    if (!p->cfg.session_secret_file[0])
        log_warn("session_secret", "note=\"random per start: sessions end when the portal restarts "
                                   "and copies do not share them; set auth.session_secret_file\"");
    p->backend = portal_backend_new(p->zctx, p->cfg.ingest_endpoints, p->cfg.assessment_endpoint,
                                    p->cfg.archive_endpoint, (int)p->cfg.rpc_timeout_ms,
                                    p->cfg.rpc_max_reply_bytes);
    if (!p->backend) {
        snprintf(err.file, sizeof err.file, "%s",
                 app->srv.config_path ? app->srv.config_path : "-");
        snprintf(err.key, sizeof err.key, "ingest.endpoints");
        snprintf(err.reason, sizeof err.reason, "an endpoint list libzmq does not accept");
        return refuse(app, &err);
    }
    if (p->cfg.secret_key_file[0]) {
        if (keys_pair_load(p->cfg.secret_key_file, "security.secret_key_file", p->curve_public,
                           p->curve_secret, &err) != 0)
            return refuse(app, &err);
        if (portal_backend_set_curve(p->backend, p->cfg.ingest_public_key,
                                     p->cfg.assessment_public_key, p->cfg.archive_public_key,
                                     p->curve_public, p->curve_secret) != JIJU_OK) {
            app->srv.exit_code = EXIT_FAILURE;
            return -1;
        }
        p->curve = 1;
        log_info("security", "mode=curve public=%s subscriber_keys_dir=%s", p->curve_public,
                 p->cfg.subscriber_keys_dir[0] ? p->cfg.subscriber_keys_dir : "-");
    } else {
        log_warn("security", "mode=plain note=\"plain TCP to the services: local demo only\"");
    }
    if (svc_on_reload(app->srv.svc, on_reload, app) != 0 ||
        svc_every(app->srv.svc, 200, on_tick, app) != 0 || portal_http_start(p) != 0) {
        app->srv.exit_code = EXIT_FAILURE;
        return -1;
    }
    log_info("started", "instance=%s users=%zu tls=%s", p->cfg.instance, portal_auth_count(p->auth),
             p->cfg.tls_cert_file[0] ? "on" : "off");
    return 0;
}

void portal_app_stop(portal_app *app)
{
    explicit_bzero(app->portal.curve_secret, sizeof app->portal.curve_secret);
    portal_http_stop(&app->portal);
    portal_backend_destroy(&app->portal.backend);
    portal_auth_destroy(&app->portal.auth);
}

int portal_app_signin_link(portal_app *app, const char *user, int argc, char **argv)
{
    const char *overrides[32], *path = NULL;
    size_t n_over = 0;
    cfg_error err = {0};
    char token[512], msg[1024];
    portal_auth_t *auth;
    int rc;

    log_init("portal", LOG_WARN);
    if (cfg_parse_args(argc, argv, &path, overrides, 32, &n_over, NULL, 0, NULL, &err) != 0 ||
        portal_config_load(path, overrides, n_over, &app->portal.cfg, &err) != 0 ||
        !(auth = auth_from(&app->portal.cfg, &err))) {
        fprintf(stderr, "jiju-portal: %s\n", cfg_error_format(&err, msg, sizeof msg));
        return 2;
    }
    if (!app->portal.cfg.session_secret_file[0]) {
        fprintf(stderr, "jiju-portal: a sign-in link needs auth.session_secret_file (the running "
                        "portal's secret)\n");
        portal_auth_destroy(&auth);
        return 2;
    }
    rc = portal_auth_link_new(auth, user, token, sizeof token);
    portal_auth_destroy(&auth);
    if (rc != JIJU_OK) {
        fprintf(stderr, "jiju-portal: no user %s in %s\n", user, app->portal.cfg.users_file);
        return 2;
    }
    printf("/signin?t=%s\n", token);
    return 0;
}
