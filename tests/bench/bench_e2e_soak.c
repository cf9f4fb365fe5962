/* bench_e2e_soak.c - bench_e2e's soak mode: RSS and disk of each service
 * over many reports (issue 14: "memory of each service flat over a run of
 * 10 million reports"). Not a test: run it by hand (docs/benchmarks.md,
 * "Soak").
 *
 *   bench_e2e [build dir] soak [reports (200000)] [steps (20)] [configs (0)]
 *
 * One stack of each configuration named (bench_e2e.c), the reports sent in
 * `steps` saturation phases of reports/steps each; after each phase, once
 * applied, archived and delivered to all 20 subscribers (the webhook is not
 * waited for), VmRSS of every service (/proc/<pid>/status) and the bytes of
 * its data_dir (allocated blocks, as du); at the end the series and the RSS
 * slope per million reports (least squares from the second sample on, and
 * over the second half). $BENCH_SOAK_MAX_S stops it after the step that
 * passes that many seconds.
 *
 * The run may be stopped and continued as a whole (kill -STOP / -CONT of
 * its process group, e.g. to take another benchmark on a quiet machine):
 * the clock leaves the stopped time out (e2e_now_ms) and the benchmark's
 * requests wait up to SOAK_REPLY_MS, so a pause of minutes neither fails a
 * step nor ends one early; the services' own streams time out and resume
 * as they do after any silence. */
#include "bench_e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct soak_sample {
    long reports;          /* sent so far */
    double t_s;            /* since the first send, pauses left out */
    e2e_run run;           /* this step's rates and CPU */
    long rss_kb[N_SVC];    /* after the step, all consumers caught up */
    long heap_kb[N_SVC];   /* of which the main arena ([heap] in smaps) */
    long anon_kb[N_SVC];   /* and other anonymous mappings: thread arenas, large blocks */
    long long disk[N_SVC]; /* bytes of each data_dir */
    long hook_posts;       /* webhook POSTs so far */
} soak_sample;

/* Least-squares slope of y over x. */
static double slope(const double *x, const double *y, int n)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;

    for (int i = 0; i < n; i++) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
    }
    return n > 1 && n * sxx - sx * sx != 0 ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0;
}

/* MB per million reports of service s over samples from..n-1. */
static double soak_slope(const soak_sample *sm, int from, int n, int s)
{
    double x[SOAK_MAX_STEPS], y[SOAK_MAX_STEPS];
    int m = 0;

    for (int k = from; k < n; k++, m++) {
        x[m] = (double)sm[k].reports / 1e6;
        y[m] = (double)sm[k].rss_kb[s] / 1024;
    }
    return slope(x, y, m);
}

static void soak_print_table(const e2e_stack *st, const soak_sample *sm, int n)
{
    int nsvc = SVC_INGEST0 + st->replicas;

    printf("| reports | time s | accepted/s | applied/s | archived/s | delivered/s | CPU µs/report "
           "(all) | RSS MB:");
    for (int s = 0; s < nsvc; s++)
        printf(" %s", e2e_name(s));
    printf(" | disk MB:");
    for (int s = 0; s < nsvc; s++)
        printf(" %s", e2e_name(s));
    printf(" | webhook POSTs |\n|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
    for (int k = 0; k < n; k++) {
        const e2e_run *r = &sm[k].run;

        printf("| %ld | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |", sm[k].reports, sm[k].t_s,
               r->acc, r->app, r->arch, r->deliv,
               r->cpu_us[0] + r->cpu_us[1] + r->cpu_us[2] + r->cpu_us[3]);
        for (int s = 0; s < nsvc; s++)
            printf(" %.1f", (double)sm[k].rss_kb[s] / 1024);
        printf(" |");
        for (int s = 0; s < nsvc; s++)
            printf(" %.0f", (double)sm[k].disk[s] / 1048576);
        printf(" | %ld |\n", sm[k].hook_posts);
    }
}

static void soak_print(const e2e_opts *o, int c, const e2e_stack *st, const soak_sample *sm, int n)
{
    int nsvc = SVC_INGEST0 + st->replicas, half = n / 2 > 1 ? n / 2 : 1;
    long long disk_total = 0;

    printf("\nsoak: %ld of %ld reports, %ld clusters, %d ingest, window %d, %d subscribers + 1 "
           "webhook; a sample after each %ld (every consumer caught up); paused %.0f s\n\n",
           sm[n - 1].reports, o->reports, e2e_conf_clusters(c), st->replicas, o->window, N_SUBS,
           o->reports / o->steps, e2e_paused_ms() / 1e3);
    soak_print_table(st, sm, n);
    /* the trend after the first sample (start-up, caches filling) */
    printf("\nRSS trend, MB per million reports (least squares from the 2nd sample to the last; "
           "[over the second half, from %ld]):",
           sm[half].reports);
    for (int s = 0; s < nsvc; s++)
        printf(" %s %+.2f [%+.2f] (%.1f -> %.1f MB)", e2e_name(s), soak_slope(sm, 1, n, s),
               soak_slope(sm, half, n, s), (double)sm[n > 1 ? 1 : 0].rss_kb[s] / 1024,
               (double)sm[n - 1].rss_kb[s] / 1024);
    for (int s = 0; s < nsvc; s++)
        disk_total += sm[n - 1].disk[s];
    printf("\ndisk at the end: %.2f GB in all, %.0f bytes per report\n", (double)disk_total / 1e9,
           (double)disk_total / (double)sm[n - 1].reports);
}

/* Resident kB of pid's [heap] and of its unnamed mappings (/proc/<pid>/smaps):
 * where RSS that is not code sits, to tell the main malloc arena from the
 * threads' arenas and mmap'd blocks. */
static void soak_smaps(pid_t pid, long *heap_kb, long *anon_kb)
{
    char path[64], line[512];
    FILE *f;
    int in_heap = 0, in_anon = 0;

    *heap_kb = *anon_kb = 0;
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    if (!(f = fopen(path, "r")))
        return;
    while (fgets(line, sizeof line, f)) {
        long kb;
        unsigned long lo, hi;
        int off = 0;

        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &off) == 2 && off > 0) {
            in_heap = strncmp(line + off, "[heap]", 6) == 0;
            in_anon = line[off] == '\n' || line[off] == '\0';
        } else if (sscanf(line, "Rss: %ld kB", &kb) == 1) {
            *heap_kb += in_heap ? kb : 0;
            *anon_kb += in_anon ? kb : 0;
        }
    }
    fclose(f);
}

/* After step k: every service's RSS and disk into sm[k], one line out. */
static void soak_sample_take(e2e_live *l, soak_sample *smk, int k)
{
    const e2e_stack *st = e2e_live_stack(l);

    smk->hook_posts = e2e_live_hook_posts(l);
    for (int s = 0; s < SVC_INGEST0 + st->replicas; s++) {
        char dir[300];

        smk->rss_kb[s] = proc_rss_kb(st->pid[s]);
        soak_smaps(st->pid[s], &smk->heap_kb[s], &smk->anon_kb[s]);
        e2e_data_dir(st, s, dir, sizeof dir);
        smk->disk[s] = e2e_du(dir);
    }
    printf("step %d: %ld reports, %.0f s, acc=%.0f app=%.0f arch=%.0f del=%.0f;", k + 1,
           smk->reports, smk->t_s, smk->run.acc, smk->run.app, smk->run.arch, smk->run.deliv);
    for (int s = 0; s < SVC_INGEST0 + st->replicas; s++)
        printf(" %s rss=%.1f MB (heap %.1f, anon %.1f) disk=%.0f MB;", e2e_name(s),
               (double)smk->rss_kb[s] / 1024, (double)smk->heap_kb[s] / 1024,
               (double)smk->anon_kb[s] / 1024, (double)smk->disk[s] / 1048576);
    printf(" webhook POSTs %ld; paused %.0f s\n", smk->hook_posts, e2e_paused_ms() / 1e3);
    fflush(stdout);
}

int e2e_soak_run(const e2e_opts *o, int c)
{
    static soak_sample sm[SOAK_MAX_STEPS];
    e2e_live *l = NULL;
    long step = o->reports / o->steps;
    const char *max_s = getenv("BENCH_SOAK_MAX_S"); /* stop after the step that passes it */
    double t_first = 0, limit = max_s && atof(max_s) > 0 ? atof(max_s) : 0;
    int rc = -1, k = 0;

    if (e2e_pause_watch() != 0 || e2e_live_up(&l, o, c) != 0)
        goto out;
    for (k = 0; k < o->steps; k++) {
        e2e_phase ph = {.m = step, .g0 = (long)k * step, .hook_grace_ms = 0};
        double t0 = e2e_now_ms();

        snprintf(ph.prefix, sizeof ph.prefix, "k%d-", k);
        memset(&sm[k], 0, sizeof sm[k]);
        if (e2e_live_saturate(l, o, c, &sm[k].run, &ph) != 0)
            goto out;
        if (k == 0)
            t_first = t0;
        sm[k].reports = (long)(k + 1) * step;
        sm[k].t_s = (e2e_now_ms() - t_first) / 1e3;
        soak_sample_take(l, &sm[k], k);
        if (limit > 0 && sm[k].t_s > limit && k + 1 < o->steps) {
            printf("BENCH_SOAK_MAX_S=%.0f passed: stopping after %ld of %ld reports\n", limit,
                   sm[k].reports, o->reports);
            k++;
            break;
        }
    }
    rc = 0;
out:
    if (k > 0 && l)
        soak_print(o, c, e2e_live_stack(l), sm, k);
    if (rc != 0)
        fprintf(stderr, "soak of config %d stopped at step %d; logs kept in %s\n", c, k + 1,
                l ? e2e_live_stack(l)->dir : "?");
    e2e_live_down(&l, rc != 0);
    return rc;
}
