/* notify_admin.c - subscription management requests. */
#include "notify_admin.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notify_dead.h"
#include "paging.h"
#include "pb.h"
#include "replier.h"
#include "zap.h"

struct notify_admin {
    svc_t *svc;
    replier_t *replier;
    notify_route *route;
    char instance[64];
    size_t budget; /* reply bytes a page's entries may take (paging.h) */
    notify_admin_fn fn;
    void *arg;
};

/* What a reply owns besides the protobuf structs on the handler's stack. */
typedef struct {
    Jiju__V1__SubscriptionReply rep;
    char error[512];
    char token[PAGING_TOKEN_CAP];
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

/* Page tokens: subscriptions "S1.<id in hex>" (the next page starts after
 * that id), dead letters "D1.<subscriber id in hex>.<seq>" (after that
 * sequence, for that subscriber only). */
#define SUBS_TOKEN "S1."
#define DEAD_TOKEN "D1."

static const char *const dead_not_this =
    "was made for the dead letters of another subscriber: a token pages only the request it "
    "came from; send \"\" for the first page";

/* A refusal gathered in b->error (all problems in one reply). */
static int refused(reply_buf *b)
{
    if (!*b->error)
        return 0;
    b->rep.ok = 0;
    b->rep.error = b->error;
    return 1;
}

static int id_cmp(const void *x, const void *y)
{
    return strcmp((*(notify_sub *const *)x)->id, (*(notify_sub *const *)y)->id);
}

/* Cut the filled entries to what the budget holds (at least one). */
static size_t infos_within(const notify_admin_t *a, reply_buf *b)
{
    size_t used = 0, k;

    for (k = 0; k < b->rep.n_subscriptions; k++) {
        size_t bytes =
            paging_field_bytes(jiju__v1__subscription_info__get_packed_size(b->info_ptrs[k]));
        if (k && used + bytes > a->budget)
            break;
        used += bytes;
    }
    return b->rep.n_subscriptions = k;
}

/* The page of subscriptions after the token's id, in id order. */
static int list_page(notify_admin_t *a, notify_sub **sel, size_t n, const char *after,
                     uint32_t size, reply_buf *b)
{
    size_t from = 0, take;
    int rc;

    qsort(sel, n, sizeof *sel, id_cmp);
    while (*after && from < n && strcmp(sel[from]->id, after) <= 0)
        from++;
    take = n - from < size ? n - from : size;
    if ((rc = infos_fill(a, b, sel + from, take)) != JIJU_OK)
        return rc;
    take = infos_within(a, b);
    if (from + take < n) {
        const char *last = sel[from + take - 1]->id;
        paging_key_token_format(SUBS_TOKEN, last, strlen(last), b->token, sizeof b->token);
        b->rep.next_page_token = b->token;
    }
    b->rep.total_size = n;
    return JIJU_OK;
}

static int do_list(notify_admin_t *a, const Jiju__V1__ListSubscriptions *q, reply_buf *b)
{
    notify_subs_t *t = a->route->subs;
    const char *id = q->id ? q->id : "", *tok = q->page_token ? q->page_token : "";
    uint32_t size = paging_size(q->page_size, "list.page_size", b->error, sizeof b->error);
    size_t n = 0, slots = notify_subs_slots(t);
    char after[NOTIFY_ID_MAX + 1] = "";
    notify_sub **sel;
    int rc;

    if (*tok && paging_key_token_parse(SUBS_TOKEN, tok, after, sizeof after) < 0)
        paging_token_refusal(b->error, sizeof b->error, "list.page_token", tok, paging_not_issued);
    if (refused(b))
        return JIJU_OK;
    if (!(sel = calloc(slots ? slots : 1, sizeof *sel)))
        return JIJU_ERR_NOMEM;
    for (size_t i = 0; i < slots; i++) {
        notify_sub *s = notify_subs_slot(t, i);
        if (s->sub && (!*id || strcmp(id, s->id) == 0))
            sel[n++] = s;
    }
    if (*id && n == 0)
        fail(b, "E_SUB_NOT_FOUND: no subscription %s", id);
    rc = list_page(a, sel, n, after, size, b);
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

/* The sequence a dead-letter token of subscriber id starts after; -1 and
 * the refusal in b->error when tok is not one. */
static int dead_token_parse(const char *tok, const char *id, uint64_t *after, reply_buf *b)
{
    char key[PAGING_TOKEN_CAP], who[NOTIFY_ID_MAX + 1], *end;
    const char *dot = strrchr(tok, '.');
    size_t klen = dot ? (size_t)(dot - tok) : 0;
    unsigned long long seq;

    if (!dot || klen >= sizeof key || dot[1] < '0' || dot[1] > '9' ||
        (dot[1] == '0' && dot[2] != '\0'))
        goto out_refuse; /* digits only, no sign, no leading zero */
    memcpy(key, tok, klen);
    key[klen] = '\0';
    seq = strtoull(dot + 1, &end, 10);
    if (*end || seq == ULLONG_MAX || paging_key_token_parse(DEAD_TOKEN, key, who, sizeof who) < 0)
        goto out_refuse;
    if (strcmp(who, id) != 0) {
        paging_token_refusal(b->error, sizeof b->error, "dead_letters.page_token", tok,
                             dead_not_this);
        return -1;
    }
    *after = seq;
    return 0;
out_refuse:
    paging_token_refusal(b->error, sizeof b->error, "dead_letters.page_token", tok,
                         paging_not_issued);
    return -1;
}

/* page_size, else limit (the field from before paging: taken, at most
 * PAGING_MAX, never refused), else the default. */
static uint32_t dead_size(const Jiju__V1__ListDeadLetters *q, reply_buf *b)
{
    if (q->page_size || !q->limit)
        return paging_size(q->page_size, "dead_letters.page_size", b->error, sizeof b->error);
    return q->limit < PAGING_MAX ? q->limit : PAGING_MAX;
}

static int do_dead(notify_admin_t *a, const Jiju__V1__ListDeadLetters *q, reply_buf *b)
{
    notify_sub *s = webhook_sub(a, q->id, b);
    const char *tok = q->page_token ? q->page_token : "";
    uint64_t after = 0;
    uint32_t size;
    int rc, more = 0;

    if (!s)
        return JIJU_OK;
    size = dead_size(q, b);
    if (*tok)
        dead_token_parse(tok, s->id, &after, b);
    if (refused(b))
        return JIJU_OK;
    rc = notify_dead_page(a->route->subs, s, after, size, a->budget, &b->dead, &b->n_dead, &more);
    if (rc != JIJU_OK) {
        fail(b, "E_SUB_STORE: %s", jiju_err_str(rc));
        return rc == JIJU_ERR_NOMEM ? rc : JIJU_OK;
    }
    b->rep.n_dead_letters = b->n_dead;
    b->rep.dead_letters = b->dead;
    b->rep.total_size = s->st.dead_letters;
    if (more) {
        paging_key_token_format(DEAD_TOKEN, s->id, strlen(s->id), b->token, sizeof b->token);
        snprintf(b->token + strlen(b->token), sizeof b->token - strlen(b->token), ".%llu",
                 (unsigned long long)b->dead[b->n_dead - 1]->seq);
        b->rep.next_page_token = b->token;
    }
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
    a->budget = paging_budget(svc ? svc_max_frame(svc) : 0);
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
