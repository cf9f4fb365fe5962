/* portal_routes.c - every URL the portal answers, with the roles that may
 * ask (docs/api.md, docs/openapi.yaml). First match wins; a path ending in
 * '/' is a prefix. */
#include "portal_api.h"

#define ADMIN ROLE_BIT(KEY_ROLE_ADMIN)
#define REPORTER ROLE_BIT(KEY_ROLE_REPORTER)
#define SUBSCRIBER ROLE_BIT(KEY_ROLE_SUBSCRIBER)

const portal_route portal_routes[] = {
    {"GET", "/healthz", 0, page_health},
    {"GET", "/login", 0, page_login_form},
    {"POST", "/login", 0, page_login},
    {"GET", "/signin", 0, page_signin_link},
    {"POST", "/logout", ROLES_ANY, page_logout},
    {"GET", "/api/v1/session", ROLES_ANY, api_session},
    {"GET", "/api/v1/clusters", ROLES_ANY, api_clusters},
    {"POST", "/api/v1/clusters", ADMIN, api_register_cluster},
    {"GET", "/api/v1/periods", ROLES_ANY, api_periods},
    {"POST", "/api/v1/periods", ADMIN, api_open_period},
    {"POST", "/api/v1/periods/", ADMIN, api_close_period},
    {"GET", "/api/v1/rankings/", ROLES_ANY, api_ranking},
    {"GET", "/api/v1/targets/", ROLES_ANY, api_targets},
    {"GET", "/api/v1/awards", ROLES_ANY, api_awards},
    {"GET", "/api/v1/warnings", ROLES_ANY, api_warnings},
    {"GET", "/api/v1/eliminations", ROLES_ANY, api_eliminations},
    {"GET", "/api/v1/nominations", ROLES_ANY, api_nominations},
    {"GET", "/api/v1/overdue", ROLES_ANY, api_overdue},
    {"POST", "/api/v1/reports", ADMIN | REPORTER, api_submit_report},
    {"POST", "/api/v1/commands", ADMIN, api_command},
    {"GET", "/api/v1/export", ADMIN | REPORTER, api_export},
    {"GET", "/api/v1/archive/verify", ADMIN, api_archive_verify},
    {"GET", "/api/v1/archive", ADMIN | REPORTER, api_archive},
    {"GET", "/api/v1/events/stream", SUBSCRIBER, api_events_sse},
    {"GET", "/api/v1/events", SUBSCRIBER, api_events_poll},
    {"GET", "/", ROLES_ANY, page_static},
};
const size_t portal_n_routes = sizeof portal_routes / sizeof portal_routes[0];
