/* cli_tail.c - `jiju tail`: follow a durable stream (notification's
 * deliveries by default) with common/stream_sub, print each event as one
 * JSON line, and ACK it after printing so that a restart resumes after the
 * last printed event. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "cloudevent.h"
#include "envelope.h"
#include "err.h"
#include "stream_sub.h"

#define TAIL_EXIT_SHORT 3 /* --count not reached before --timeout-ms */

typedef struct tail_opts {
    const char *endpoint;
    const char *stream;
    const char *subscriber;
    uint64_t from;
    long count;     /* 0: unlimited */
    int timeout_ms; /* idle time before exiting; -1: never */
    int heartbeat_ms;
    int dead_ms; /* producer silence before reconnecting */
} tail_opts;

static int tail_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju tail --subscriber ID [--endpoint E] [--stream NAME] [--from SEQ]\n"
            "                 [--count N] [--timeout-ms T] [--heartbeat-ms H]\n"
            "  endpoint defaults to $JIJU_DELIVERIES or %s, stream to \"deliveries\";\n"
            "  --from 0 (default) resumes after the last acknowledged event;\n"
            "  --count exits after N events, --timeout-ms after T ms without one\n"
            "  (exit 3 if fewer than --count arrived).\n",
            CLI_DEFAULT_DELIVERIES);
    return cli_usage_rc();
}

static int parse_num(const char *text, long long min, long long *out)
{
    char *end;
    long long v = strtoll(text, &end, 10);

    if (end == text || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

static int tail_flags(int argc, char **argv, tail_opts *o)
{
    static const struct option opts[] = {
        {"subscriber", required_argument, NULL, 's'},
        {"endpoint", required_argument, NULL, 'e'},
        {"stream", required_argument, NULL, 'S'},
        {"from", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"heartbeat-ms", required_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long long v;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, "s:e:S:f:n:t:H:h", opts, NULL)) != -1) {
        if (c == 's')
            o->subscriber = optarg;
        else if (c == 'e')
            o->endpoint = optarg;
        else if (c == 'S')
            o->stream = optarg;
        else if (c == 'f' && parse_num(optarg, 0, &v) == 0)
            o->from = (uint64_t)v;
        else if (c == 'n' && parse_num(optarg, 1, &v) == 0)
            o->count = (long)v;
        else if (c == 't' && parse_num(optarg, 1, &v) == 0 && v <= INT32_MAX)
            o->timeout_ms = (int)v;
        else if (c == 'H' && parse_num(optarg, 10, &v) == 0 && v <= 600000)
            o->heartbeat_ms = (int)v;
        else
            return -1;
    }
    return optind == argc && o->subscriber && *o->subscriber ? 0 : -1;
}

/* Print one record as a JSON line; an undecodable one is reported on stderr
 * (and still acknowledged: it would never decode on redelivery either). */
static void print_record(uint64_t seq, const uint8_t *data, size_t len)
{
    Jiju__V1__Envelope *env = envelope_decode(data, len);
    char *line = env ? cloudevent_text(env) : NULL;

    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        fprintf(stderr, "jiju tail: seq=%llu: %zu bytes do not decode as an Envelope\n",
                (unsigned long long)seq, len);
    }
    free(line);
    envelope_free(&env);
}

static int tail_loop(stream_sub_t *s, const tail_opts *o)
{
    long printed = 0;

    while (o->count == 0 || printed < o->count) {
        uint64_t seq;
        uint8_t *data;
        size_t len;
        int rc = stream_sub_next(s, o->timeout_ms, &seq, &data, &len);

        if (rc == JIJU_ERR_TIMEOUT)
            return o->count ? TAIL_EXIT_SHORT : CLI_EXIT_OK;
        if (rc == JIJU_ERR_PROTOCOL) {
            fprintf(stderr, "jiju tail: %s refused: %s\n", o->endpoint, stream_sub_last_error(s));
            return CLI_EXIT_REFUSED;
        }
        if (rc != JIJU_OK) {
            fprintf(stderr, "jiju tail: %s\n", jiju_err_str(rc));
            return CLI_EXIT_REFUSED;
        }
        print_record(seq, data, len);
        free(data);
        stream_sub_ack(s, seq);
        printed++;
    }
    return CLI_EXIT_OK;
}

int cli_tail_main(int argc, char **argv)
{
    const char *env_ep = getenv("JIJU_DELIVERIES");
    tail_opts o = {.endpoint = env_ep && *env_ep ? env_ep : CLI_DEFAULT_DELIVERIES,
                   .stream = "deliveries",
                   .timeout_ms = -1,
                   .heartbeat_ms = 1000};
    stream_sub_t *s;
    void *z;
    int rc;

    if (cli_help)
        return tail_usage();

    if (tail_flags(argc, argv, &o) != 0)
        return tail_usage();
    o.dead_ms = o.heartbeat_ms * 5;
    if (!(z = zmq_ctx_new()))
        return CLI_EXIT_REFUSED;
    s = stream_sub_open(z, o.endpoint, o.stream, o.subscriber, o.from, 0, o.heartbeat_ms,
                        o.dead_ms);
    if (!s) {
        fprintf(stderr, "jiju tail: cannot connect to %s\n", o.endpoint);
        zmq_ctx_term(z);
        return CLI_EXIT_USAGE;
    }
    if (cli_curve_sub(s, CLI_KEY_NOTIFICATION) != 0) {
        stream_sub_destroy(&s);
        zmq_ctx_term(z);
        return CLI_EXIT_USAGE;
    }
    rc = tail_loop(s, &o);
    stream_sub_destroy(&s);
    zmq_ctx_term(z);
    return rc;
}
