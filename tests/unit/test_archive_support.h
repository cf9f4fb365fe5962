/* test_archive_support.h - shared by the archive's unit tests: a temporary
 * archive store and envelopes to put in it. Header-only so that each test
 * executable stays one file. */
#ifndef TEST_ARCHIVE_SUPPORT_H
#define TEST_ARCHIVE_SUPPORT_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_chain.h"
#include "archive_store.h"
#include "err.h"
#include "jiju/v1/envelope.pb-c.h"

static int tas_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void tas_rm_rf(const char *dir)
{
    nftw(dir, tas_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline store_t *tas_open_tmp(char dir[64])
{
    strcpy(dir, "/tmp/jiju-archive-XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    return archive_store_open(dir, NULL, 0);
}

/* A ReportAccepted envelope (as ingest logs it) packed into a malloc'd
 * buffer. Money in fen. */
static inline uint8_t *tas_report_env(const char *report_id, const char *cluster,
                                      const char *period, uint32_t revision, int64_t revenue_fen,
                                      int64_t time_ms, size_t *len)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__ReportAccepted ra = JIJU__V1__REPORT_ACCEPTED__INIT;
    Jiju__V1__Report rep = JIJU__V1__REPORT__INIT;
    uint8_t *buf;

    rep.report_id = (char *)report_id;
    rep.cluster_id = (char *)cluster;
    rep.period = (char *)period;
    rep.revision = revision;
    rep.revenue_present_case = JIJU__V1__REPORT__REVENUE_PRESENT_REVENUE_FEN;
    rep.revenue_fen = revenue_fen;
    rep.tax_present_case = JIJU__V1__REPORT__TAX_PRESENT_TAX_FEN;
    rep.tax_fen = revenue_fen / 10;
    rep.enterprises_present_case = JIJU__V1__REPORT__ENTERPRISES_PRESENT_ENTERPRISES;
    rep.enterprises = 42;
    ra.report = &rep;
    ra.ingest_instance = (char *)"ingest-1";
    env.type = (char *)"jiju.v1.ReportAccepted";
    env.subject = (char *)cluster;
    env.period = (char *)period;
    env.time_ms = time_ms;
    env.body_case = JIJU__V1__ENVELOPE__BODY_REPORT_ACCEPTED;
    env.report_accepted = &ra;
    *len = jiju__v1__envelope__get_packed_size(&env);
    buf = malloc(*len);
    jiju__v1__envelope__pack(&env, buf);
    return buf;
}

/* A RankingUpdated event envelope (as assessment logs it). */
static inline uint8_t *tas_ranking_env(const char *period, int64_t time_ms, size_t *len)
{
    Jiju__V1__Envelope env = JIJU__V1__ENVELOPE__INIT;
    Jiju__V1__RankingUpdated ru = JIJU__V1__RANKING_UPDATED__INIT;
    uint8_t *buf;

    ru.period = (char *)period;
    env.type = (char *)"jiju.v1.RankingUpdated";
    env.period = (char *)period;
    env.time_ms = time_ms;
    env.body_case = JIJU__V1__ENVELOPE__BODY_RANKING_UPDATED;
    env.ranking_updated = &ru;
    *len = jiju__v1__envelope__get_packed_size(&env);
    buf = malloc(*len);
    jiju__v1__envelope__pack(&env, buf);
    return buf;
}

#endif
