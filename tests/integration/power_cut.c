/* power_cut.c - LD_PRELOAD'ed into a service by test_power_cut.py: after
 * every successful fsync or fdatasync of a RocksDB WAL file (NNNNNN.log),
 * the file's size then is appended to $JIJU_POWER_CUT_JOURNAL as "path
 * size". After kill -9 the test truncates each WAL to its last synced size
 * (0 if it never was), which is what a power cut may leave of a file whose
 * tail was written but not synced: the worst case, taken every time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void note_synced(int fd)
{
    static int journal = -1;
    const char *path = getenv("JIJU_POWER_CUT_JOURNAL");
    char link[64], file[1024], line[1100];
    struct stat st;
    ssize_t n;
    size_t len;
    int k;

    if (!path)
        return;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if ((n = readlink(link, file, sizeof file - 1)) <= 4 || fstat(fd, &st) != 0)
        return;
    file[n] = '\0';
    len = (size_t)n;
    if (strcmp(file + len - 4, ".log") != 0)
        return;
    if (journal < 0 && (journal = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
        return;
    /* one write per line (O_APPEND): whole lines even if the process dies */
    k = snprintf(line, sizeof line, "%s %lld\n", file, (long long)st.st_size);
    if (k > 0 && (size_t)k < sizeof line && write(journal, line, (size_t)k) != k)
        return;
}

int fdatasync(int fd)
{
    static int (*real)(int);
    int rc;

    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if ((rc = real(fd)) == 0)
        note_synced(fd);
    return rc;
}

int fsync(int fd)
{
    static int (*real)(int);
    int rc;

    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if ((rc = real(fd)) == 0)
        note_synced(fd);
    return rc;
}
