/* jiju-portal: the monitoring platform over HTTP (seed 四.九, 五.四), a
 * client of ingest, assessment, the archive and notification (portal.h).
 *
 *   jiju-portal [--config FILE] [--set key=value ...]   serve
 *   jiju-portal hash-password          a password on stdin -> crypt(3) hash
 *   jiju-portal new-token              a fresh API token and its SHA-256
 *   jiju-portal signin-link USER [--config FILE] [--set ...]
 *                                      a one-time sign-in path for USER */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "portal_app.h"

static int hash_password(void)
{
    char pw[512], out[256];
    size_t n;

    if (!fgets(pw, sizeof pw, stdin))
        return 2;
    n = strcspn(pw, "\r\n");
    pw[n] = '\0';
    if (!n || portal_hash_password(pw, out, sizeof out) != 0) {
        fprintf(stderr, "jiju-portal: an empty password, or crypt(3) refused it\n");
        return 2;
    }
    explicit_bzero(pw, sizeof pw);
    puts(out);
    return 0;
}

static int new_token(void)
{
    char token[64], hex[65];

    if (portal_new_token(token, hex) != 0)
        return 1;
    printf("token=%s\nsha256=%s\n", token, hex);
    return 0;
}

int main(int argc, char **argv)
{
    static portal_app app;
    int rc;

    if (argc > 1 && strcmp(argv[1], "hash-password") == 0)
        return hash_password();
    if (argc > 1 && strcmp(argv[1], "new-token") == 0)
        return new_token();
    if (argc > 2 && strcmp(argv[1], "signin-link") == 0)
        return portal_app_signin_link(&app, argv[2], argc - 2, argv + 2);
    service_help_specs(portal_config_specs, portal_config_n_specs);
    if (service_start(&app.srv, "portal", argc, argv, NULL, 0, &app.portal.cfg,
                      portal_config_load) != 0)
        return app.srv.exit_code;
    rc = portal_app_start(&app) == 0 ? service_run(&app.srv) : app.srv.exit_code;
    portal_app_stop(&app);
    service_stop(&app.srv);
    return rc;
}
