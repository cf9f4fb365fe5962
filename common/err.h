/* err.h - the one error enum of Jiju. Only ever appended to. */
#ifndef JIJU_ERR_H
#define JIJU_ERR_H

typedef enum {
    JIJU_OK = 0,
    JIJU_ERR_NOMEM,       /* allocation failed */
    JIJU_ERR_INVALID,     /* invalid argument (programmer or user input) */
    JIJU_ERR_IO,          /* file or socket I/O failed */
    JIJU_ERR_STORE,       /* RocksDB reported an error */
    JIJU_ERR_NOT_FOUND,   /* key or item absent */
    JIJU_ERR_CORRUPT,     /* stored or received bytes do not decode */
    JIJU_ERR_CONFIG,      /* configuration refused */
    JIJU_ERR_ZMQ,         /* ZeroMQ reported an error */
    JIJU_ERR_TIMEOUT,     /* no answer in time */
    JIJU_ERR_PROTOCOL,    /* peer broke the stream protocol */
    JIJU_ERR_EXISTS,      /* already present */
    JIJU_ERR_CONFLICT,    /* present with different content */
    JIJU_ERR_REJECTED,    /* refused by validation */
    JIJU_ERR_AGAIN,       /* try again later (back-pressure) */
    JIJU_ERR_UNAVAILABLE, /* cannot take work now (disk full): nothing done, retry later */
    JIJU_ERR_TRIMMED,     /* records a consumer needs were trimmed from the producer's log */
    JIJU_ERR_INCARNATION, /* a producer's incarnation contradicts what its consumer holds */
    JIJU_ERR_TOO_LARGE,   /* a message above the size limit (a reply above the client's) */
    JIJU_ERR__COUNT
} jiju_err;

/* Human-readable, static string for an error code. */
const char *jiju_err_str(int err);

#endif
