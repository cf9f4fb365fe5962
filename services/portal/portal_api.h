/* portal_api.h - the JSON API's handlers (routes in portal_routes.c,
 * contract in docs/openapi.yaml). */
#ifndef JIJU_PORTAL_API_H
#define JIJU_PORTAL_API_H

#include "portal.h"
#include "jiju/v1/envelope.pb-c.h"

/* 502/504 naming the service that did not answer. */
enum MHD_Result portal_backend_error(portal_req *r, const char *service, int rc);

/* Walk every page of query q (its cursor is the walk's), calling fn on each
 * reply; fn returns 0 to stop. *failed says whether an error was answered
 * (then return what this returned). */
typedef int (*portal_page_fn)(const Jiju__V1__ArchiveQueryReply *rep, void *arg);
enum MHD_Result portal_archive_pages(portal_req *r, Jiju__V1__ArchiveQueryRequest *q,
                                     portal_page_fn fn, void *arg, int *failed);

/* Every archived event of `type` (and period, cluster when not NULL/""),
 * oldest first, up to 5000, each handed to fn. *failed says whether an
 * error was answered (then return what this returned). */
enum MHD_Result portal_archive_each(portal_req *r, const char *type, const char *period,
                                    const char *cluster,
                                    void (*fn)(const Jiju__V1__Envelope *env, void *arg), void *arg,
                                    int *failed);

/* portal_api.c: reads */
enum MHD_Result api_clusters(portal_req *r);
enum MHD_Result api_ranking(portal_req *r); /* /api/v1/rankings/{period} */
enum MHD_Result api_targets(portal_req *r); /* /api/v1/targets/{year} */
enum MHD_Result api_periods(portal_req *r);
enum MHD_Result api_awards(portal_req *r);
enum MHD_Result api_warnings(portal_req *r);
enum MHD_Result api_eliminations(portal_req *r);
enum MHD_Result api_nominations(portal_req *r);
enum MHD_Result api_overdue(portal_req *r);

/* portal_submit.c: writes through ingest */
enum MHD_Result api_submit_report(portal_req *r);
enum MHD_Result api_command(portal_req *r);      /* generic Command JSON */
enum MHD_Result api_open_period(portal_req *r);  /* POST /api/v1/periods {"period"} */
enum MHD_Result api_close_period(portal_req *r); /* POST /api/v1/periods/{p}/close */
enum MHD_Result api_register_cluster(portal_req *r);

/* portal_export.c: GET /api/v1/export?period=&cluster_id=&format=csv */
enum MHD_Result api_export(portal_req *r);

/* portal_archive_api.c */
enum MHD_Result api_archive(portal_req *r);
enum MHD_Result api_archive_verify(portal_req *r);

/* portal_feed.c: a department's deliveries */
enum MHD_Result api_events_poll(portal_req *r);
enum MHD_Result api_events_sse(portal_req *r);

/* portal_pages.c: health, session, sign-in, static files */
enum MHD_Result page_health(portal_req *r);
enum MHD_Result page_login_form(portal_req *r);
enum MHD_Result page_login(portal_req *r);
enum MHD_Result page_logout(portal_req *r);
enum MHD_Result page_signin_link(portal_req *r);
enum MHD_Result api_session(portal_req *r);
enum MHD_Result page_static(portal_req *r);

#endif
