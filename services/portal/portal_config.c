/* portal_config.c - the table of the portal's settings. */
#include "portal_config.h"

#include "keys.h"

#include <stdio.h>
#include <string.h>

#define S(k, f, d, h)                                                                              \
    {                                                                                              \
        k, CFG_STRING, d, 0, sizeof(((portal_config *)0)->f), offsetof(portal_config, f), NULL, h  \
    }
#define I(k, f, d, lo, hi, h)                                                                      \
    {                                                                                              \
        k, CFG_INT, d, lo, hi, offsetof(portal_config, f), NULL, h                                 \
    }
#define B(k, f, d, h)                                                                              \
    {                                                                                              \
        k, CFG_BOOL, d, 0, 0, offsetof(portal_config, f), NULL, h                                  \
    }

const cfg_spec portal_config_specs[] = {
    S("instance", instance, "portal", "name in logs and /healthz"),
    S("time_zone", time_zone, "Asia/Shanghai",
      "the jurisdiction's zone, for times written for people"),
    S("http.bind", bind, "127.0.0.1", "address the HTTP(S) server listens on"),
    I("http.port", port, "8080", 1, 65535, "TCP port"),
    I("http.max_body", max_body, "65536", 1024, 16777216, "largest request body accepted (bytes)"),
    I("http.max_connections", max_connections, "256", 4, 100000,
      "concurrent connections (one thread each; SSE feeds hold one)"),
    I("http.per_ip_connections", per_ip_connections, "64", 1, 100000,
      "concurrent connections from one address"),
    I("http.connection_timeout_s", connection_timeout_s, "60", 1, 86400,
      "idle connection timeout (not for a running feed)"),
    S("tls.cert_file", tls_cert_file, "", "PEM certificate chain: HTTPS here (\"\" = plain HTTP)"),
    S("tls.key_file", tls_key_file, "", "PEM private key of tls.cert_file"),
    S("ingest.endpoints", ingest_endpoints, "tcp://127.0.0.1:7001",
      "ingest replicas' submit endpoints, comma separated"),
    S("assessment.endpoint", assessment_endpoint, "tcp://127.0.0.1:7102", "assessment's queries"),
    S("archive.endpoint", archive_endpoint, "tcp://127.0.0.1:7202", "archive's queries"),
    S("notification.deliveries_endpoint", deliveries_endpoint, "tcp://127.0.0.1:7301",
      "notification's deliveries (stream \"deliveries\")"),
    I("rpc.timeout_ms", rpc_timeout_ms, "3000", 50, 600000, "wait for one reply per attempt"),
    I("rpc.max_reply_bytes", rpc_max_reply_bytes, "4194304", 4096, 1073741824,
      "largest reply taken from a service (ZMQ_MAXMSGSIZE); a larger one is 502 E_UPSTREAM naming "
      "this key (raise it with the services' limits.max_frame_bytes)"),
    I("feed.heartbeat_ms", feed_heartbeat_ms, "1000", 50, 600000,
      "SSE keep-alive comment and stream heartbeat interval"),
    I("feed.max_wait_s", feed_max_wait_s, "30", 0, 3600, "longest long-poll wait"),
    S("auth.users_file", users_file, "deploy/config/portal-users.json",
      "people and systems with their role and hashed password or token (re-read on SIGHUP)"),
    S("auth.session_secret_file", session_secret_file, "",
      "key signing session cookies and sign-in links, >= 32 bytes (\"\" = random per start)"),
    I("auth.session_ttl_s", session_ttl_s, "28800", 60, 2592000, "browser session lifetime"),
    I("auth.signin_link_ttl_s", signin_link_ttl_s, "600", 10, 86400,
      "one-time sign-in link lifetime"),
    B("auth.secure_cookies", secure_cookies, "false",
      "mark cookies Secure (on when tls.cert_file is set; set it behind a TLS proxy)"),
    S("security.secret_key_file", secret_key_file, "",
      "CURVE key pair of the portal, allow-listed with role admin (\"\" = plain TCP)"),
    S("security.subscriber_keys_dir", subscriber_keys_dir, "",
      "CURVE: directory of <subscriber id>.key pairs, one per department whose feed is served"),
    S("security.ingest_public_key", ingest_public_key, "", "ingest's public key (Z85)"),
    S("security.assessment_public_key", assessment_public_key, "", "assessment's public key (Z85)"),
    S("security.archive_public_key", archive_public_key, "", "the archive's public key (Z85)"),
    S("security.notification_public_key", notification_public_key, "",
      "notification's public key (Z85)"),
    S("web.dir", web_dir, "services/portal/web", "the pages, scripts and styles served under /"),
    S("web.vendor_dir", vendor_dir, "build/web/vendor",
      "third-party browser libraries (ECharts) served under /vendor/"),
};
const size_t portal_config_n_specs = sizeof portal_config_specs / sizeof portal_config_specs[0];

/* All or nothing, as for every service: with a key pair, every peer key. */
static int check_security(portal_config *c, cfg_error *err)
{
    const struct {
        const char *key, *value;
    } peers[] = {{"security.ingest_public_key", c->ingest_public_key},
                 {"security.assessment_public_key", c->assessment_public_key},
                 {"security.archive_public_key", c->archive_public_key},
                 {"security.notification_public_key", c->notification_public_key}};
    int any = c->secret_key_file[0] || c->subscriber_keys_dir[0];

    for (size_t i = 0; i < 4; i++)
        any |= peers[i].value[0] != '\0';
    if (!any)
        return 0;
    if (!c->secret_key_file[0]) {
        snprintf(err->key, sizeof err->key, "security.secret_key_file");
        snprintf(err->reason, sizeof err->reason,
                 "required once any security.* setting is given (the portal's key pair)");
        return -1;
    }
    for (size_t i = 0; i < 4; i++)
        if (!keys_z85_valid(peers[i].value)) {
            snprintf(err->key, sizeof err->key, "%s", peers[i].key);
            snprintf(err->reason, sizeof err->reason, "%s",
                     peers[i].value[0] ? "not a Z85 CURVE public key (40 characters)"
                                       : "required with security.secret_key_file");
            return -1;
        }
    return 0;
}

static int portal_config_check(void *out, cfg_error *err)
{
    portal_config *c = out;

    if (!c->tls_cert_file[0] != !c->tls_key_file[0]) {
        snprintf(err->key, sizeof err->key, "%s",
                 c->tls_cert_file[0] ? "tls.key_file" : "tls.cert_file");
        snprintf(err->reason, sizeof err->reason, "tls.cert_file and tls.key_file go together");
        return -1;
    }
    if (!c->ingest_endpoints[0]) {
        snprintf(err->key, sizeof err->key, "ingest.endpoints");
        snprintf(err->reason, sizeof err->reason, "must name at least one endpoint");
        return -1;
    }
    if (c->tls_cert_file[0])
        c->secure_cookies = 1;
    return check_security(c, err);
}

int portal_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                       cfg_error *err)
{
    return cfg_load(path, portal_config_specs, portal_config_n_specs, overrides, n_over,
                    portal_config_check, cfg, err);
}
