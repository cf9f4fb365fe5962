/* notify_metrics.h - notification's figures for /metrics (notify_metrics.c). */
#ifndef JIJU_NOTIFY_METRICS_H
#define JIJU_NOTIFY_METRICS_H

#include "notify_subs.h"
#include "notify_webhook.h"

/* metrics collector (arg: the notify_subs_t): backlog per subscriber. */
void notify_metrics_collect(void *arg);
/* Count one webhook outcome. */
void notify_metrics_webhook(const notify_hook_report *r);

#endif
