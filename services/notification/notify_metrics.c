/* notify_metrics.c - notification's figures for /metrics: each subscriber's
 * backlog (events in its log not yet acknowledged, or for a webhook not yet
 * delivered or dead-lettered), dead letters parked, and webhook attempts by
 * outcome. */
#include "notify_metrics.h"

#include "metrics.h"

static void notify_metrics_webhook_zero(const char *id);

void notify_metrics_collect(void *arg)
{
    notify_subs_t *t = arg;
    store_t *store = notify_subs_store(t);
    metrics_family *backlog = metrics_gauge_collected(
        "jiju_notification_backlog_events", "events routed to a subscriber and not yet delivered");
    metrics_family *last = metrics_gauge_collected("jiju_notification_subscriber_last_seq",
                                                   "last seq in a subscriber's log");
    metrics_family *dead = metrics_gauge_collected("jiju_notification_dead_letters",
                                                   "dead letters parked for a webhook subscriber");
    metrics_family *off = metrics_gauge_collected("jiju_notification_webhook_disabled",
                                                  "1 when a webhook endpoint is disabled");
    char l[METRICS_LABELS_MAX];

    for (size_t i = 0; i < notify_subs_slots(t); i++) {
        const notify_sub *s = notify_subs_slot(t, i);
        uint64_t top, done;
        int hook;

        if (!s || !s->sub)
            continue;
        hook = s->sub->webhook != NULL;
        top = stream_log_last(s->log);
        done = hook ? s->st.hook_cursor : stream_acked(store, stream_log_name(s->log), s->id);
        metrics_labels(l, sizeof l, "subscriber", s->id, "kind", hook ? "webhook" : "zeromq", NULL);
        metrics_set(backlog, l, top > done ? (double)(top - done) : 0);
        metrics_set(last, l, (double)top);
        if (hook) {
            metrics_set(dead, l, (double)s->st.dead_letters);
            metrics_set(off, l, s->st.disabled ? 1 : 0);
            notify_metrics_webhook_zero(s->id);
        }
    }
}

static const char *const outcome[] = {"delivered", "failed", "dead_letter", "disabled"};
static metrics_family *attempts, *dead, *disabled;

static void families(void)
{
    if (!attempts) {
        attempts = metrics_counter("jiju_notification_webhook_attempts_total",
                                   "webhook POSTs finished, by outcome (delivered, failed, "
                                   "dead_letter: the last failed attempt before parking)");
        dead = metrics_counter("jiju_notification_dead_letters_total",
                               "events parked as dead letters after the retry horizon");
        disabled = metrics_counter("jiju_notification_webhook_disabled_total",
                                   "webhook endpoints disabled after consecutive failures");
    }
}

/* Every webhook subscriber's counters exist from its first scrape, at 0, so
 * rate() and increase() see its first failure. */
static void notify_metrics_webhook_zero(const char *id)
{
    char l[METRICS_LABELS_MAX];

    families();
    metrics_labels(l, sizeof l, "subscriber", id, NULL);
    metrics_add(dead, l, 0);
    metrics_add(disabled, l, 0);
    for (int i = 0; i < 3; i++)
        metrics_add(attempts,
                    metrics_labels(l, sizeof l, "subscriber", id, "outcome", outcome[i], NULL), 0);
}

void notify_metrics_webhook(const notify_hook_report *r)
{
    char l[METRICS_LABELS_MAX];

    families();
    metrics_labels(l, sizeof l, "subscriber", r->sub->id, NULL);
    if (r->what == NOTIFY_HOOK_DISABLED) {
        metrics_add(disabled, l, 1);
        return;
    }
    if (r->what == NOTIFY_HOOK_DEAD)
        metrics_add(dead, l, 1);
    metrics_labels(l, sizeof l, "subscriber", r->sub->id, "outcome", outcome[r->what], NULL);
    metrics_add(attempts, l, 1);
}
