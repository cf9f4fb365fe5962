/* jiju-notification: follows assessment's "events" log, appends each event
 * to the log of every subscriber whose filters take it (notify_route.c), and
 * serves those logs on the deliveries endpoint (stream "deliveries", one
 * durable cursor per subscriber) or POSTs them to webhooks
 * (notify_webhook.c). Subscriptions are managed on the admin endpoint
 * (notify_admin.c) and seeded once from subscriptions_file. */
#include <stdlib.h>

#include "notify_app.h"

int main(int argc, char **argv)
{
    static notify_app app;
    int rc = EXIT_FAILURE;

    service_help_specs(notify_config_specs, notify_config_n_specs);
    if (service_start(&app.srv, "notification", argc, argv, NULL, 0, &app.cfg,
                      notify_config_load) != 0)
        return app.srv.exit_code;
    service_limits(&app.srv, &app.cfg.shared);
    if (service_secure(
            &app.srv, app.cfg.shared.secret_key_file, app.cfg.shared.keys_file,
            (service_peer_key[]){{"security.assessment_public_key", app.cfg.assessment_public_key}},
            1) != 0 ||
        service_metrics(&app.srv, &app.cfg.shared) != 0)
        rc = app.srv.exit_code;
    else if (service_open_store(&app.srv, app.cfg.shared.data_dir, notify_cfs, notify_n_cfs) != 0)
        rc = app.srv.exit_code;
    else if (notify_app_start(&app) == 0)
        rc = service_run(&app.srv);
    notify_app_stop(&app);
    service_stop(&app.srv);
    return rc;
}
