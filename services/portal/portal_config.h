/* portal_config.h - the table of the portal's settings (jiju-portal --help). */
#ifndef JIJU_PORTAL_CONFIG_H
#define JIJU_PORTAL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

typedef struct portal_config {
    char instance[64];
    char time_zone[64]; /* how times are written for people (exports) */
    char bind[64];
    int64_t port;
    int64_t max_body;        /* bytes of one request body */
    int64_t max_connections; /* concurrent HTTP connections (one thread each) */
    int64_t per_ip_connections;
    int64_t connection_timeout_s;
    char tls_cert_file[256]; /* "" = plain HTTP (behind a TLS reverse proxy) */
    char tls_key_file[256];
    char ingest_endpoints[512]; /* comma separated */
    char assessment_endpoint[256];
    char archive_endpoint[256];
    char deliveries_endpoint[256];
    int64_t rpc_timeout_ms;
    int64_t rpc_max_reply_bytes; /* ZMQ_MAXMSGSIZE of the rpc clients */
    int64_t feed_heartbeat_ms;   /* SSE comment / stream heartbeat interval */
    int64_t feed_max_wait_s;     /* longest long-poll wait */
    char users_file[256];
    char session_secret_file[256];
    int64_t session_ttl_s;
    int64_t signin_link_ttl_s;
    int secure_cookies;            /* 1: cookies carry Secure (TLS here or at the proxy) */
    char secret_key_file[256];     /* CURVE: the portal's key pair (role admin) */
    char subscriber_keys_dir[256]; /* CURVE: <subscriber>.key of each department */
    char ingest_public_key[41];
    char assessment_public_key[41];
    char archive_public_key[41];
    char notification_public_key[41];
    char web_dir[256];
    char vendor_dir[256];
} portal_config;

extern const cfg_spec portal_config_specs[];
extern const size_t portal_config_n_specs;

int portal_config_load(const char *path, const char *const *overrides, size_t n_over, void *cfg,
                       cfg_error *err);

#endif
