/* service_settings.h - the settings every service has, declared once with
 * their bounds: its instance id, its store directory, the stream timing
 * and the CURVE key pair and allow-list. Each service's config struct
 * embeds a service_settings and its table starts with
 * SERVICE_SETTINGS_SPECS(...), then adds only its own settings (endpoints,
 * peer public keys, its rules). Its whole-config check calls
 * service_settings_check(). */
#ifndef JIJU_SERVICE_SETTINGS_H
#define JIJU_SERVICE_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "tz.h"

typedef struct service_settings {
    char instance[64];         /* peer id in HELLO, producer id, replies' instance */
    char data_dir[256];        /* RocksDB directory */
    int64_t heartbeat_ms;      /* stream.heartbeat_ms */
    int64_t timeout_ms;        /* stream.timeout_ms: silence before a peer is dead */
    char secret_key_file[256]; /* CURVE key pair; "" = plain TCP (local demo) */
    char keys_file[256];       /* allow-list of client keys and roles */
    int64_t store_min_free_mb; /* store.min_free_mb: take no work below it (store.h) */
    int64_t store_memtable_mb, store_memtables_mb, store_block_cache_mb; /* store_memory */
    int64_t store_index_in_cache, store_max_open_files;
    int64_t memory_trim_ms;  /* memory.trim_ms: freed memory back to the system */
    int64_t max_frame_bytes; /* limits.max_frame_bytes: ZMQ_MAXMSGSIZE of every socket */
    char time_zone[64];      /* the jurisdiction's tz database zone (tz.h) */
    int64_t metrics_port;    /* GET /metrics (metrics_http.h); 0 = off */
    char metrics_bind[64];   /* its address */
} service_settings;

#define SERVICE_SETTINGS_SPEC_STR(type, m, key, field, def, help)                                  \
    {                                                                                              \
        key, CFG_STRING, def, 0, sizeof(((type *)0)->m.field), offsetof(type, m.field), NULL, help \
    }
#define SERVICE_SETTINGS_SPEC_INT(type, m, key, field, def, lo, hi, help)                          \
    {                                                                                              \
        key, CFG_INT, def, lo, hi, offsetof(type, m.field), NULL, help                             \
    }

/* The shared entries of a cfg_spec table, for the service_settings member
 * m of config struct type; instance and data_dir defaults differ per
 * service. Bounds: heartbeat 10 ms .. 10 min, timeout 50 ms .. 1 h (and
 * above the heartbeat: service_settings_check). */
#define SERVICE_SETTINGS_SPECS(type, m, instance_def, data_dir_def)                                \
    SERVICE_SETTINGS_SPEC_STR(type, m, "instance", instance, instance_def,                         \
                              "peer id on streams, in events and in replies"),                     \
        SERVICE_SETTINGS_SPEC_STR(type, m, "data_dir", data_dir, data_dir_def,                     \
                                  "RocksDB directory (one process per directory)"),                \
        SERVICE_SETTINGS_SPEC_INT(type, m, "stream.heartbeat_ms", heartbeat_ms, "1000", 10,        \
                                  600000, "stream heartbeat interval"),                            \
        SERVICE_SETTINGS_SPEC_INT(type, m, "stream.timeout_ms", timeout_ms, "5000", 50, 3600000,   \
                                  "peer silence before it is dead; above stream.heartbeat_ms"),    \
        SERVICE_SETTINGS_SPEC_STR(type, m, "security.secret_key_file", secret_key_file, "",        \
                                  "CURVE key pair of this service (\"\" = plain TCP, local demo "  \
                                  "only)"),                                                        \
        SERVICE_SETTINGS_SPEC_STR(type, m, "security.keys_file", keys_file, "",                    \
                                  "allow-list of client public keys and roles"),                   \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.min_free_mb", store_min_free_mb, "64", 0,        \
                                  1048576,                                                         \
                                  "take no work (E_UNAVAILABLE) while the store's file system "    \
                                  "has fewer MiB free; wait at start (0 = never)"),                \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.memtable_mb", store_memtable_mb, "4", 1, 1024,   \
                                  "MiB of one column family's RocksDB write buffer"),              \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.memtables_mb", store_memtables_mb, "32", 1,      \
                                  65536,                                                           \
                                  "MiB of all write buffers together (at least "                   \
                                  "store.memtable_mb): beyond it the largest is flushed"),         \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.block_cache_mb", store_block_cache_mb, "16", 1,  \
                                  65536,                                                           \
                                  "MiB of the one LRU block cache all column families share"),     \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.index_in_cache", store_index_in_cache, "0", 0,   \
                                  1,                                                               \
                                  "1: SST index and filter blocks charged to the block cache "     \
                                  "(bounded by it) instead of held by each open table"),           \
        SERVICE_SETTINGS_SPEC_INT(type, m, "store.max_open_files", store_max_open_files, "256",    \
                                  16, 1000000, "SST files RocksDB keeps open (table readers)"),    \
        SERVICE_SETTINGS_SPEC_INT(type, m, "memory.trim_ms", memory_trim_ms, "10000", 0, 3600000,  \
                                  "interval of returning freed heap memory to the system "         \
                                  "(malloc_trim); 0 = never"),                                     \
        SERVICE_SETTINGS_SPEC_INT(type, m, "limits.max_frame_bytes", max_frame_bytes, "4194304",   \
                                  4096, 1073741824,                                                \
                                  "largest ZeroMQ message any socket takes (ZMQ_MAXMSGSIZE); a "   \
                                  "peer that sends more is disconnected"),                         \
        SERVICE_SETTINGS_SPEC_STR(type, m, "time_zone", time_zone, TZ_DEFAULT,                     \
                                  "tz database zone of the jurisdiction: period bounds, "          \
                                  "deadlines, times for people"),                                  \
        SERVICE_SETTINGS_SPEC_INT(type, m, "metrics.port", metrics_port, "0", 0, 65535,            \
                                  "HTTP port of GET /metrics (Prometheus text format); 0 = off"),  \
        SERVICE_SETTINGS_SPEC_STR(type, m, "metrics.bind", metrics_bind, "127.0.0.1",              \
                                  "IPv4 or IPv6 address /metrics listens on")

/* The rules across shared settings, for a service's cfg_check_fn: instance
 * and data_dir not empty, stream.timeout_ms above stream.heartbeat_ms (a
 * peer would be declared dead between two heartbeats, forever), time_zone
 * a zone of the tz database, then put in force for the process (tz_use:
 * config checks run at start-up, before any thread). 0, or -1
 * with err->key and err->reason set (cfg_load adds the file). */
int service_settings_check(const service_settings *s, cfg_error *err);

#endif
