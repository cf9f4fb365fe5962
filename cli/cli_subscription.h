/* cli_subscription.h - `jiju subscription add|list|remove|dead-letters|
 * redeliver`: manage notification's subscriptions over its admin endpoint
 * (SubscriptionRequest / SubscriptionReply, proto/jiju/v1/subscription.proto). */
#ifndef JIJU_CLI_SUBSCRIPTION_H
#define JIJU_CLI_SUBSCRIPTION_H

#define CLI_DEFAULT_NOTIFY_ADMIN "tcp://127.0.0.1:7302"

/* argv[0] is "subscription". Returns 0, 1 (refused or no answer), 2 (usage). */
int cli_subscription_main(int argc, char **argv);

#endif
