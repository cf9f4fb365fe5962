/* portal_app.h - the portal process's start and stop: the service loop
 * (signals; SIGHUP re-reads the users file), the users, the backends, the
 * HTTP server. */
#ifndef JIJU_PORTAL_APP_H
#define JIJU_PORTAL_APP_H

#include "portal.h"
#include "service.h"

typedef struct portal_app {
    service_t srv;
    portal_t portal;
} portal_app;

/* After service_start: 0, or -1 with app->srv.exit_code set (logged). */
int portal_app_start(portal_app *app);
void portal_app_stop(portal_app *app);

/* `jiju-portal signin-link USER [--config F] [--set k=v]`: print the path
 * /signin?t=... for USER, signed with the configured session secret.
 * argv[0] is USER. Returns the exit code. */
int portal_app_signin_link(portal_app *app, const char *user, int argc, char **argv);

#endif
