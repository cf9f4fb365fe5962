/* archive_reader.c - opening an archive store read-only, refusing anything
 * that is not one. */
#include "archive_reader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

store_t *archive_reader_open(const char *dir, char *errbuf, size_t errcap)
{
    struct stat st;
    char why[512] = "";
    store_t *s;

    if (stat(dir, &st) != 0) {
        snprintf(errbuf, errcap, "no archive store at %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errcap, "no archive store at %s: not a directory", dir);
        return NULL;
    }
    if (!(s = store_open_reader(dir, archive_cf_names, archive_n_cfs, why, sizeof why))) {
        snprintf(errbuf, errcap, "not an archive store: %s", why);
        return NULL;
    }
    return s;
}
