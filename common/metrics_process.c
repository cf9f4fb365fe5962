/* metrics_process.c - the process's resources, read from /proc/self when a
 * scrape asks (Linux only, as the services are). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

/* Open descriptors, and how many of them are sockets. */
static void count_fds(double *fds, double *sockets)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char path[300], target[64];

    *fds = *sockets = 0;
    if (!d)
        return;
    while ((e = readdir(d))) {
        ssize_t n;

        if (e->d_name[0] == '.')
            continue;
        (*fds)++;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        n = readlink(path, target, sizeof target - 1);
        if (n > 7 && strncmp(target, "socket:", 7) == 0)
            (*sockets)++;
    }
    closedir(d);
    (*fds)--; /* the directory stream's own descriptor */
}

/* utime and stime (clock ticks) and starttime (ticks since boot) from
 * /proc/self/stat, whose second field (comm) may hold spaces: parse after ')'. */
static int read_stat(double *cpu_s, double *start_ticks)
{
    char buf[1024], *p;
    unsigned long utime, stime;
    unsigned long long start;
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n;

    if (!f)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (!(p = strrchr(buf, ')')))
        return -1;
    /* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime priority nice threads
     * itrealvalue starttime */
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
               "%*d %llu",
               &utime, &stime, &start) != 3)
        return -1;
    *cpu_s = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    *start_ticks = (double)start;
    return 0;
}

static double boot_time(void)
{
    char line[256];
    double bt = 0;
    FILE *f = fopen("/proc/stat", "r");

    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lf", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

void metrics_process_collect(void *arg)
{
    long pages = 0, resident = 0;
    double fds, sockets, cpu, start;
    struct rlimit rl;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) == 2)
            metrics_set(metrics_gauge("process_resident_memory_bytes", "resident set size"), "",
                        (double)resident * (double)sysconf(_SC_PAGESIZE));
        fclose(f);
    }
    count_fds(&fds, &sockets);
    metrics_set(metrics_gauge("process_open_fds", "open file descriptors"), "", fds);
    metrics_set(metrics_gauge("jiju_process_open_sockets",
                              "open file descriptors that are sockets (TCP, IPC, eventfd pairs)"),
                "", sockets);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        metrics_set(metrics_gauge("process_max_fds", "open file descriptor limit"), "",
                    (double)rl.rlim_cur);
    if (read_stat(&cpu, &start) == 0) {
        /* a counter the kernel keeps: set it through a gauge-free path */
        metrics_family *c =
            metrics_counter("process_cpu_seconds_total", "user and system CPU time");
        double now = metrics_value(c, "");

        if (cpu > now)
            metrics_add(c, "", cpu - now);
        metrics_set(metrics_gauge("process_start_time_seconds", "start time since the epoch"), "",
                    boot_time() + start / (double)sysconf(_SC_CLK_TCK));
    }
}
