/* proc_rss.h - the resident set size of a process, VmRSS of
 * /proc/<pid>/status in kB, for the tests and benchmarks that watch memory
 * (test_service's malloc trim, bench_archive_query, bench_e2e's soak). */
#ifndef JIJU_PROC_RSS_H
#define JIJU_PROC_RSS_H

#include <stdio.h>
#include <sys/types.h>

/* VmRSS of the status file at path; 0 if unknown. */
static inline long proc_rss_kb_of(const char *path)
{
    char line[256];
    long kb = 0;
    FILE *f = fopen(path, "r");

    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* This process's. */
static inline long proc_self_rss_kb(void)
{
    return proc_rss_kb_of("/proc/self/status");
}

/* Process pid's; 0 if unknown or pid <= 0 (a service not running). */
static inline long proc_rss_kb(pid_t pid)
{
    char path[64];

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    return proc_rss_kb_of(path);
}

#endif
