/* cli_subscription.c - `jiju subscription ...`: build a SubscriptionRequest
 * from the command line, send it with common/rpc, print the reply. */
#include "cli_subscription.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "clock.h"
#include "err.h"
#include "jiju/v1/subscription.pb-c.h"
#include "pb.h"
#include "pbjson.h"
#include "query_pages.h"
#include "rpc.h"
#include "tz.h"

#define SUB_MAX_FILTERS 64

typedef struct sub_common {
    const char *endpoint;
    int timeout_ms;
    int json;
    size_t limit; /* entries shown at most (dead-letters --limit); 0 = all */
} sub_common;

static int sub_usage(void)
{
    fprintf(cli_usage_out(),
            "usage: jiju subscription add ID [--description TEXT] [--type T]... [--category C]...\n"
            "                             [--county X]... [--cluster ID]... [--or ...]\n"
            "                             [--url URL --secret S] [--replace]\n"
            "       jiju subscription list [ID] [--json]\n"
            "       jiju subscription remove ID\n"
            "       jiju subscription dead-letters ID [--limit N] [--json]\n"
            "       jiju subscription redeliver ID\n"
            "  every form takes --endpoint E (default $JIJU_NOTIFY_ADMIN or %s)\n"
            "  and --timeout-ms MS (default 3000).\n"
            "  add: an event matches a filter when it matches every option given in it;\n"
            "  --or starts another filter; a subscription takes an event if any filter\n"
            "  matches, and every event if it has none. Types: AwardGranted or\n"
            "  jiju.v1.AwardGranted; categories: LOGISTICS ... or 现代物流园 ...\n",
            CLI_DEFAULT_NOTIFY_ADMIN);
    return cli_usage_rc();
}

/* ---- the request ---- */

/* One request and its reply (query_pages_call_fn). */
static int sub_call(void *arg, const ProtobufCMessage *req, ProtobufCMessage **rep)
{
    size_t len = 0, rlen = 0;
    uint8_t *buf = NULL, *reply = NULL;
    int rc = pb_pack(req, &buf, &len);

    if (rc == JIJU_OK)
        rc = rpc_call(arg, buf, len, &reply, &rlen);
    if (rc == JIJU_OK && !(*rep = protobuf_c_message_unpack(
                               &jiju__v1__subscription_reply__descriptor, NULL, rlen, reply)))
        rc = JIJU_ERR_CORRUPT;
    free(reply);
    free(buf);
    return rc;
}

/* Send (every page of a paged answer, at most c->limit entries: 0 = all;
 * query_pages.h); NULL (reported on stderr) if no answer. */
static Jiju__V1__SubscriptionReply *sub_ask(const sub_common *c, Jiju__V1__SubscriptionRequest *req)
{
    void *z = zmq_ctx_new();
    const char *eps[1] = {c->endpoint};
    rpc_t *r = z ? rpc_new(z, eps, 1, c->timeout_ms) : NULL;
    ProtobufCMessage *rep = NULL;
    int rc = r ? JIJU_OK : JIJU_ERR_NOMEM;

    req->request_id = (char *)"cli"; /* before packing: it is packed too */
    if (rc == JIJU_OK && cli_curve_rpc(r, CLI_KEY_NOTIFICATION) != 0)
        rc = JIJU_ERR_CONFIG;
    if (rc == JIJU_OK)
        rc = query_pages_all(sub_call, r, &req->base, c->limit, &rep);
    if (rc != JIJU_OK)
        fprintf(stderr, "jiju subscription: no valid answer from %s: %s\n", c->endpoint,
                jiju_err_str(rc));
    rpc_destroy(&r);
    if (z)
        zmq_ctx_term(z);
    return rc == JIJU_OK ? (Jiju__V1__SubscriptionReply *)rep : NULL;
}

/* Send, and on success hand the reply to show(). Exit status. */
static int sub_run(const sub_common *c, Jiju__V1__SubscriptionRequest *req,
                   void (*show)(const sub_common *c, const Jiju__V1__SubscriptionReply *rep))
{
    Jiju__V1__SubscriptionReply *rep = sub_ask(c, req);
    int status;

    if (!rep)
        return CLI_EXIT_REFUSED;
    if (!rep->ok) {
        fprintf(stderr, "jiju subscription: %s\n", rep->error);
        status = CLI_EXIT_REFUSED;
    } else {
        if (show)
            show(c, rep);
        status = CLI_EXIT_OK;
    }
    jiju__v1__subscription_reply__free_unpacked(rep, NULL);
    return status;
}

/* ---- printing ---- */

static void print_list(const char *label, char **v, size_t n, int *first)
{
    if (!n)
        return;
    printf("%s%s=", *first ? "" : " ", label);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? "," : "", v[i]);
    *first = 0;
}

static void print_filter(const Jiju__V1__Filter *f, size_t i)
{
    int first = 1;

    printf("    filter %zu: ", i + 1);
    print_list("types", f->types, f->n_types, &first);
    if (f->n_categories) {
        printf("%scategories=", first ? "" : " ");
        for (size_t k = 0; k < f->n_categories; k++) {
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
                &jiju__v1__category__descriptor, f->categories[k]);
            printf("%s%s(%s)", k ? "," : "", ev ? ev->name : "?",
                   pbjson_category_zh(f->categories[k]));
        }
        first = 0;
    }
    print_list("counties", f->counties, f->n_counties, &first);
    print_list("clusters", f->cluster_ids, f->n_cluster_ids, &first);
    printf("%s\n", first ? "every event" : "");
}

static void print_status(const Jiju__V1__Subscription *s, const Jiju__V1__SubscriptionStatus *st)
{
    char when[40];
    uint64_t from = st->acked_seq + 1 > st->first_seq ? st->acked_seq + 1 : st->first_seq;
    uint64_t backlog = st->last_seq >= from ? st->last_seq - from + 1 : 0; /* retained, unacked */

    printf("    seq %llu..%llu retained, acked %llu, backlog %llu\n",
           (unsigned long long)st->first_seq, (unsigned long long)st->last_seq,
           (unsigned long long)st->acked_seq, (unsigned long long)backlog);
    if (st->dropped_total)
        printf("    DROPPED by retention before acknowledged: %llu events in all; last seq "
               "%llu..%llu at %s\n",
               (unsigned long long)st->dropped_total, (unsigned long long)st->last_dropped_first,
               (unsigned long long)st->last_dropped_last,
               tz_format_ms(st->last_dropped_at_ms, when, sizeof when));
    if (!s->webhook)
        return;
    printf("    webhook %s%s: %u consecutive failures, %llu dead letters%s%s\n", s->webhook->url,
           st->disabled ? " DISABLED" : "", st->consecutive_failures,
           (unsigned long long)st->dead_letters, st->last_error[0] ? ", last error: " : "",
           st->last_error);
}

static void print_json(const ProtobufCMessage *m)
{
    json_t *j = pbjson_from_message(m);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(j);
}

static void show_subs(const sub_common *c, const Jiju__V1__SubscriptionReply *rep)
{
    for (size_t i = 0; i < rep->n_subscriptions; i++) {
        const Jiju__V1__SubscriptionInfo *info = rep->subscriptions[i];
        const Jiju__V1__Subscription *s = info->subscription;
        if (c->json) {
            print_json(&info->base);
            continue;
        }
        if (!s || !info->status)
            continue;
        printf("%s  (%s)  %s\n", s->id, s->webhook ? "webhook" : "zeromq", s->description);
        if (s->n_filters == 0)
            printf("    every event\n");
        for (size_t k = 0; k < s->n_filters; k++)
            print_filter(s->filters[k], k);
        print_status(s, info->status);
    }
}

static void show_dead(const sub_common *c, const Jiju__V1__SubscriptionReply *rep)
{
    size_t n = c->limit && c->limit < rep->n_dead_letters ? c->limit : rep->n_dead_letters;
    char when[40];

    for (size_t i = 0; i < n; i++) {
        const Jiju__V1__DeadLetter *d = rep->dead_letters[i];
        if (c->json) {
            print_json(&d->base);
            continue;
        }
        printf("seq=%llu id=%s type=%s attempts=%u dead_at=%s last_error=\"%s\"\n",
               (unsigned long long)d->seq, d->event_id, d->type, d->attempts,
               tz_format_ms(d->dead_at_ms, when, sizeof when), d->last_error);
    }
    if (c->json)
        return;
    if (n < rep->total_size)
        printf("%zu of %llu dead letters (the oldest)\n", n, (unsigned long long)rep->total_size);
    else
        printf("%zu dead letters\n", n);
}

static void show_redelivered(const sub_common *c, const Jiju__V1__SubscriptionReply *rep)
{
    (void)c;
    printf("%llu dead letters queued again; endpoint enabled\n",
           (unsigned long long)rep->redelivered);
}

static void show_removed(const sub_common *c, const Jiju__V1__SubscriptionReply *rep)
{
    (void)c;
    (void)rep;
    printf("removed\n");
}

/* ---- flags ---- */

typedef struct sub_add {
    Jiju__V1__Subscription sub;
    Jiju__V1__Webhook hook;
    Jiju__V1__Filter filters[SUB_MAX_FILTERS], *fptr[SUB_MAX_FILTERS];
    int replace;
    uint32_t limit;
} sub_add;

static int grow_str(char ***arr, size_t *n, char *v)
{
    char **a = realloc(*arr, (*n + 1) * sizeof *a);

    if (!a)
        return -1;
    a[(*n)++] = v;
    *arr = a;
    return 0;
}

static int add_category(Jiju__V1__Filter *f, const char *text)
{
    int v = 0;
    Jiju__V1__Category *a;

    if (pbjson_enum_parse(&jiju__v1__category__descriptor, text, &v) != JIJU_OK || v == 0) {
        fprintf(stderr, "jiju subscription: unknown category \"%s\"\n", text);
        return -1;
    }
    if (!(a = realloc(f->categories, (f->n_categories + 1) * sizeof *a)))
        return -1;
    a[f->n_categories++] = (Jiju__V1__Category)v;
    f->categories = a;
    return 0;
}

/* One add-only option into the filter being built (the last one). */
static int add_option(sub_add *a, int c, char *arg)
{
    Jiju__V1__Filter *f;

    if (c == 'O') { /* --or: start another filter */
        if (a->sub.n_filters == 0 || a->sub.n_filters == SUB_MAX_FILTERS)
            return -1;
        jiju__v1__filter__init(&a->filters[a->sub.n_filters]);
        a->sub.n_filters++;
        return 0;
    }
    if (c == 'd' || c == 'u' || c == 'k' || c == 'r') {
        if (c == 'd')
            a->sub.description = arg;
        else if (c == 'u')
            a->hook.url = arg;
        else if (c == 'k')
            a->hook.secret = arg;
        else
            a->replace = 1;
        return 0;
    }
    if (a->sub.n_filters == 0) {
        jiju__v1__filter__init(&a->filters[0]);
        a->sub.n_filters = 1;
    }
    f = &a->filters[a->sub.n_filters - 1];
    switch (c) {
    case 'T':
        return grow_str(&f->types, &f->n_types, arg);
    case 'C':
        return add_category(f, arg);
    case 'X':
        return grow_str(&f->counties, &f->n_counties, arg);
    case 'L':
        return grow_str(&f->cluster_ids, &f->n_cluster_ids, arg);
    }
    return -1;
}

static void add_free(sub_add *a)
{
    for (size_t i = 0; i < a->sub.n_filters; i++) {
        free(a->filters[i].types);
        free(a->filters[i].categories);
        free(a->filters[i].counties);
        free(a->filters[i].cluster_ids);
    }
}

static int parse_flags(int argc, char **argv, sub_common *c, sub_add *a, int is_add)
{
    static const struct option opts[] = {{"endpoint", required_argument, NULL, 'e'},
                                         {"timeout-ms", required_argument, NULL, 't'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"limit", required_argument, NULL, 'n'},
                                         {"description", required_argument, NULL, 'd'},
                                         {"type", required_argument, NULL, 'T'},
                                         {"category", required_argument, NULL, 'C'},
                                         {"county", required_argument, NULL, 'X'},
                                         {"cluster", required_argument, NULL, 'L'},
                                         {"or", no_argument, NULL, 'O'},
                                         {"url", required_argument, NULL, 'u'},
                                         {"secret", required_argument, NULL, 'k'},
                                         {"replace", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;

    optind = 0; /* GNU: full reset, as other subcommands may have parsed before */
    while ((ch = getopt_long(argc, argv, "e:t:jn:h", opts, NULL)) != -1) {
        if (ch == 'e')
            c->endpoint = optarg;
        else if (ch == 't')
            c->timeout_ms = atoi(optarg);
        else if (ch == 'j')
            c->json = 1;
        else if (ch == 'n')
            a->limit = (uint32_t)strtoul(optarg, NULL, 10);
        else if (!is_add || ch == 'h' || ch == '?' || add_option(a, ch, optarg) < 0)
            return -1;
    }
    if (c->timeout_ms <= 0)
        return -1;
    if (!c->endpoint) {
        const char *env = getenv("JIJU_NOTIFY_ADMIN");
        c->endpoint = env && *env ? env : CLI_DEFAULT_NOTIFY_ADMIN;
    }
    return 0;
}

/* ---- actions ---- */

static int do_add(const sub_common *c, sub_add *a, const char *id)
{
    Jiju__V1__SubscriptionRequest req = JIJU__V1__SUBSCRIPTION_REQUEST__INIT;
    Jiju__V1__AddSubscription add = JIJU__V1__ADD_SUBSCRIPTION__INIT;

    if ((a->hook.url && *a->hook.url) != (a->hook.secret && *a->hook.secret)) {
        fprintf(stderr, "jiju subscription: --url and --secret go together\n");
        return CLI_EXIT_USAGE;
    }
    a->sub.id = (char *)id;
    for (size_t i = 0; i < a->sub.n_filters; i++)
        a->fptr[i] = &a->filters[i];
    a->sub.filters = a->fptr;
    if (a->hook.url && *a->hook.url)
        a->sub.webhook = &a->hook;
    add.subscription = &a->sub;
    add.replace = a->replace;
    req.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_ADD;
    req.add = &add;
    return sub_run(c, &req, show_subs);
}

static int do_simple(const sub_common *c, const char *action, const char *id, uint32_t limit)
{
    Jiju__V1__SubscriptionRequest req = JIJU__V1__SUBSCRIPTION_REQUEST__INIT;
    Jiju__V1__ListSubscriptions list = JIJU__V1__LIST_SUBSCRIPTIONS__INIT;
    Jiju__V1__RemoveSubscription rm = JIJU__V1__REMOVE_SUBSCRIPTION__INIT;
    Jiju__V1__ListDeadLetters dead = JIJU__V1__LIST_DEAD_LETTERS__INIT;
    Jiju__V1__Redeliver again = JIJU__V1__REDELIVER__INIT;
    sub_common cc = *c;

    if (strcmp(action, "list") == 0) {
        list.id = (char *)(id ? id : "");
        req.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST;
        req.list = &list;
        return sub_run(c, &req, show_subs);
    }
    if (!id)
        return sub_usage();
    if (strcmp(action, "remove") == 0) {
        rm.id = (char *)id;
        req.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_REMOVE;
        req.remove = &rm;
        return sub_run(c, &req, show_removed);
    }
    if (strcmp(action, "dead-letters") == 0) {
        dead.id = (char *)id;
        cc.limit = limit;
        req.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_DEAD_LETTERS;
        req.dead_letters = &dead;
        return sub_run(&cc, &req, show_dead);
    }
    if (strcmp(action, "redeliver") == 0) {
        again.id = (char *)id;
        req.kind_case = JIJU__V1__SUBSCRIPTION_REQUEST__KIND_REDELIVER;
        req.redeliver = &again;
        return sub_run(c, &req, show_redelivered);
    }
    return sub_usage();
}

int cli_subscription_main(int argc, char **argv)
{
    static const char *const actions[] = {"add", "list", "remove", "dead-letters", "redeliver"};
    sub_common c = {NULL, 3000, 0, 0};
    sub_add a;
    const char *action = argc > 1 ? argv[1] : NULL, *id;
    int is_add, known = 0, status;

    if (cli_help)
        return sub_usage();

    for (size_t i = 0; action && i < sizeof actions / sizeof *actions; i++)
        known |= strcmp(action, actions[i]) == 0;
    if (!known)
        return sub_usage();
    memset(&a, 0, sizeof a);
    jiju__v1__subscription__init(&a.sub);
    jiju__v1__webhook__init(&a.hook);
    is_add = strcmp(action, "add") == 0;
    if (parse_flags(argc - 1, argv + 1, &c, &a, is_add) < 0 || argc - 1 - optind > 1) {
        add_free(&a);
        return sub_usage();
    }
    id = optind < argc - 1 ? argv[1 + optind] : NULL;
    if (is_add)
        status = id ? do_add(&c, &a, id) : sub_usage();
    else
        status = do_simple(&c, action, id, a.limit);
    add_free(&a);
    return status;
}
