/* notify_admin.c - subscription management requests. */
#include "notify_admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_dead.h"
#include "pb.h"
#include "replier.h"
#include "zap.h"

struct notify_admin {
    svc_t *svc;
    replier_t *replier;
    notify_route *route;
    char instance[64];
    notify_admin_fn fn;
    void *arg;
};

/* What a reply owns besides the protobuf structs on the handler's stack. */
typedef struct {
    Jiju__V1__SubscriptionReply rep;
    char error[512];
    Jiju__V1__SubscriptionInfo *infos, **info_ptrs;
    Jiju__V1__Subscription *subs;
    Jiju__V1__Webhook *hooks;
    Jiju__V1__SubscriptionStatus *status;
    Jiju__V1__DeadLetter **dead;
    size_t n_dead;
} reply_buf;

static void reply_free(reply_buf *b)
{
    free(b->infos);
    free(b->info_ptrs);
    free(b->subs);
    free(b->hooks);
    free(b->status);
    for (size_t i = 0; i < b->n_dead; i++)
        jiju__v1__dead_letter__free_unpacked(b->dead[i], NULL);
    free(b->dead);
}

static void fail(reply_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(reply_buf *b, const char *fmt, ...)
{
    va_list ap;

    b->rep.ok = 0;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    b->rep.error = b->error;
}

/* List entries for the given subscribers (secrets blanked). */
static int infos_fill(notify_admin_t *a, reply_buf *b, notify_sub **subs, size_t n)
{
    b->infos = calloc(n ? n : 1, sizeof *b->infos);
    b->info_ptrs = calloc(n ? n : 1, sizeof *b->info_ptrs);
    b->subs = calloc(n ? n : 1, sizeof *b->subs);
    b->hooks = calloc(n ? n : 1, sizeof *b->hooks);
    b->status = calloc(n ? n : 1, sizeof *b->status);
    if (!b->infos || !b->info_ptrs || !b->subs || !b->hooks || !b->status)
        return JIJU_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        jiju__v1__subscription_info__init(&b->infos[i]);
        b->subs[i] = *subs[i]->sub;
        if (b->subs[i].webhook) {
            b->hooks[i] = *b->subs[i].webhook;
            b->hooks[i].secret = (char *)"";
            b->subs[i].webhook = &b->hooks[i];
        }
        notify_subs_status(a->route->subs, subs[i], &b->status[i]);
        b->infos[i].subscription = &b->subs[i];
        b->infos[i].status = &b->status[i];
        b->info_ptrs[i] = &b->infos[i];
    }
    b->rep.n_subscriptions = n;
    b->rep.subscriptions = b->info_ptrs;
    return JIJU_OK;
}

static int do_list(notify_admin_t *a, const Jiju__V1__ListSubscriptions *q, reply_buf *b)
{
    notify_subs_t *t = a->route->subs;
    size_t n = 0, slots = notify_subs_slots(t);
    notify_sub **sel = calloc(slots ? slots : 1, sizeof *sel);
    int rc;

    if (!sel)
        return JIJU_ERR_NOMEM;
    for (size_t i = 0; i < slots; i++) {
        notify_sub *s = notify_subs_slot(t, i);
        if (s->sub && (!q->id || !*q->id || strcmp(q->id, s->id) == 0))
            sel[n++] = s;
    }
    if (q->id && *q->id && n == 0)
        fail(b, "E_SUB_NOT_FOUND: no subscription %s", q->id ? q->id : "");
    rc = infos_fill(a, b, sel, n);
    free(sel);
    return rc;
}

static int do_add(notify_admin_t *a, Jiju__V1__AddSubscription *q, reply_buf *b)
{
    Jiju__V1__Subscription *sub = q->subscription;
    char id[NOTIFY_ID_MAX + 1];
    notify_sub *s;
    int rc;

    if (!sub) {
        fail(b, "E_SUB_MISSING: add needs a subscription");
        return JIJU_OK;
    }
    q->subscription = NULL; /* notify_subs_put takes it */
    snprintf(id, sizeof id, "%s", sub->id ? sub->id : "");
    rc = notify_subs_put(a->route->subs, &sub, 1, q->replace, false, b->error, sizeof b->error);
    if (a->fn)
        a->fn(a->arg, "add", id, rc, rc ? b->error : (q->replace ? "replace" : "new"));
    if (rc != JIJU_OK) {
        b->rep.ok = 0;
        b->rep.error = b->error;
        return JIJU_OK;
    }
    s = notify_subs_find(a->route->subs, id);
    return s ? infos_fill(a, b, &s, 1) : JIJU_OK;
}

static void do_remove(notify_admin_t *a, const Jiju__V1__RemoveSubscription *q, reply_buf *b)
{
    int rc = notify_subs_remove(a->route->subs, q->id ? q->id : "");

    if (rc == JIJU_ERR_NOT_FOUND)
        fail(b, "E_SUB_NOT_FOUND: no subscription %s", q->id ? q->id : "");
    else if (rc != JIJU_OK)
        fail(b, "E_SUB_STORE: %s", jiju_err_str(rc));
    if (a->fn)
        a->fn(a->arg, "remove", q->id ? q->id : "", rc, rc ? b->error : "");
}

static notify_sub *webhook_sub(notify_admin_t *a, const char *id, reply_buf *b)
{
    notify_sub *s = notify_subs_find(a->route->subs, id ? id : "");

    if (!s)
        fail(b, "E_SUB_NOT_FOUND: no subscription %s", id ? id : "");
    else if (!s->sub->webhook)
        fail(b, "E_SUB_NOT_WEBHOOK: %s is delivered over ZeroMQ; it has no dead letters",
             id ? id : "");
    return s && s->sub->webhook ? s : NULL;
}

static int do_dead(notify_admin_t *a, const Jiju__V1__ListDeadLetters *q, reply_buf *b)
{
    notify_sub *s = webhook_sub(a, q->id, b);
    int rc;

    if (!s)
        return JIJU_OK;
    rc = notify_dead_list(a->route->subs, s, q->limit, &b->dead, &b->n_dead);
    if (rc != JIJU_OK) {
        fail(b, "E_SUB_STORE: %s", jiju_err_str(rc));
        return rc == JIJU_ERR_NOMEM ? rc : JIJU_OK;
    }
    b->rep.n_dead_letters = b->n_dead;
    b->rep.dead_letters = b->dead;
    return JIJU_OK;
}

static void do_redeliver(notify_admin_t *a, const Jiju__V1__Redeliver *q, reply_buf *b)
{
    notify_sub *s = webhook_sub(a, q->id, b);
    char detail[64];
    int rc;

    if (!s)
        return;
    rc = notify_dead_redeliver(a->route, s, &b->rep.redelivered);
    if (rc != JIJU_OK)
        fail(b, "E_SUB_STORE: %s", jiju_err_str(rc));
    snprintf(detail, sizeof detail, "redelivered=%llu", (unsigned long long)b->rep.redelivered);
    if (a->fn)
        a->fn(a->arg, "redeliver", s->id, rc, rc ? b->error : detail);
}

static int dispatch(notify_admin_t *a, Jiju__V1__SubscriptionRequest *q, reply_buf *b)
{
    switch (q->kind_case) {
    case JIJU__V1__SUBSCRIPTION_REQUEST__KIND_ADD:
        return do_add(a, q->add, b);
    case JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST:
        return do_list(a, q->list, b);
    case JIJU__V1__SUBSCRIPTION_REQUEST__KIND_REMOVE:
        do_remove(a, q->remove, b);
        return JIJU_OK;
    case JIJU__V1__SUBSCRIPTION_REQUEST__KIND_DEAD_LETTERS:
        return do_dead(a, q->dead_letters, b);
    case JIJU__V1__SUBSCRIPTION_REQUEST__KIND_REDELIVER:
        do_redeliver(a, q->redeliver, b);
        return JIJU_OK;
    default:
        fail(b, "E_SUB_BAD_REQUEST: no request kind set");
        return JIJU_OK;
    }
}

/* Listing and reading dead letters write nothing; the others do. */
static int changes_store(const Jiju__V1__SubscriptionRequest *q)
{
    return q->kind_case != JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST &&
           q->kind_case != JIJU__V1__SUBSCRIPTION_REQUEST__KIND_DEAD_LETTERS;
}

/* forbidden: NULL, or why the sender may not manage subscriptions (then the
 * request is answered with E_SUB_FORBIDDEN and not carried out). */
static int admin_answer(notify_admin_t *a, const uint8_t *req, size_t len, const char *forbidden,
                        uint8_t **reply, size_t *rlen)
{
    Jiju__V1__SubscriptionRequest *q = jiju__v1__subscription_request__unpack(NULL, len, req);
    reply_buf b;
    char why[256];
    int rc = JIJU_OK;

    memset(&b, 0, sizeof b);
    jiju__v1__subscription_reply__init(&b.rep);
    b.rep.ok = 1;
    b.rep.instance = a->instance;
    if (q)
        b.rep.request_id = (char *)replier_request_id_echo(q->request_id);
    if (!q)
        fail(&b, "E_SUB_BAD_REQUEST: not a SubscriptionRequest");
    else if (replier_request_id_refusal(q->request_id, why, sizeof why))
        fail(&b, "%s", why);
    else if (forbidden)
        fail(&b, "E_SUB_FORBIDDEN: %s", forbidden);
    else if (changes_store(q) && store_writable(notify_subs_store(a->route->subs)) != JIJU_OK)
        fail(&b, "E_UNAVAILABLE: the disk of notification is short of space; nothing was "
                 "changed, send the request again later");
    else
        rc = dispatch(a, q, &b);
    if (rc == JIJU_OK) {
        rc = pb_pack(&b.rep.base, reply, rlen);
    }
    reply_free(&b);
    if (q)
        jiju__v1__subscription_request__free_unpacked(q, NULL);
    return rc;
}

int notify_admin_handle(notify_admin_t *a, const uint8_t *req, size_t len, uint8_t **reply,
                        size_t *rlen)
{
    return admin_answer(a, req, len, NULL, reply, rlen);
}

/* Is the request a ListSubscriptions? The one thing a service key may ask. */
static int is_list_request(const uint8_t *req, size_t len)
{
    Jiju__V1__SubscriptionRequest *q = jiju__v1__subscription_request__unpack(NULL, len, req);
    int list = q && q->kind_case == JIJU__V1__SUBSCRIPTION_REQUEST__KIND_LIST;

    if (q)
        jiju__v1__subscription_request__free_unpacked(q, NULL);
    return list;
}

/* With CURVE only an admin key manages subscriptions (DESIGN.md
 * "Security"): a department's subscriber key must not add, remove or
 * redeliver, nor list others' webhooks. A service key may list them (never
 * their secrets): that is the container health probe, which runs with the
 * service's own key. NULL if the sender (its key's name: user_id) may. */
static const char *admin_refusal(notify_admin_t *a, const char *user_id, const uint8_t *req,
                                 size_t len, char *why, size_t cap)
{
    const zap_t *z = svc_zap(a->svc);
    const key_entry *k;

    if (!z)
        return NULL;
    if ((k = keys_by_name(zap_keys(z), user_id)) && k->role == KEY_ROLE_ADMIN)
        return NULL;
    if (k && k->role == KEY_ROLE_SERVICE && is_list_request(req, len))
        return NULL;
    snprintf(why, cap, "key %s (role %s) may not manage subscriptions: an admin key is needed",
             k ? k->name : "-", k ? key_role_name(k->role) : "-");
    return why;
}

static int admin_on_request(void *arg, const replier_route *route, const uint8_t *req, size_t len,
                            uint8_t **reply, size_t *rlen)
{
    notify_admin_t *a = arg;
    char why[256];
    const char *forbidden = admin_refusal(a, route->user_id, req, len, why, sizeof why);

    if (forbidden && a->fn)
        a->fn(a->arg, "forbidden", "-", JIJU_ERR_REJECTED, forbidden);
    return admin_answer(a, req, len, forbidden, reply, rlen) == JIJU_OK ? REPLIER_SEND
                                                                        : REPLIER_DROP;
}

notify_admin_t *notify_admin_new(svc_t *svc, const char *endpoint, notify_route *route,
                                 const char *instance, notify_admin_fn fn, void *arg)
{
    notify_admin_t *a = calloc(1, sizeof *a);

    if (!a)
        return NULL;
    a->svc = svc;
    a->route = route;
    a->fn = fn;
    a->arg = arg;
    snprintf(a->instance, sizeof a->instance, "%s", instance);
    if (!svc || !endpoint) /* tests drive notify_admin_handle directly */
        return a;
    if (!(a->replier = replier_new(svc, endpoint, NULL, admin_on_request, a)))
        notify_admin_destroy(&a);
    return a;
}

void notify_admin_destroy(notify_admin_t **ap)
{
    notify_admin_t *a = ap ? *ap : NULL;

    if (!a)
        return;
    replier_destroy(&a->replier);
    free(a);
    *ap = NULL;
}
