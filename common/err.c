/* err.c - names for the error enum. */
#include "err.h"

static const char *const names[JIJU_ERR__COUNT] = {
    [JIJU_OK] = "ok",
    [JIJU_ERR_NOMEM] = "out of memory",
    [JIJU_ERR_INVALID] = "invalid argument",
    [JIJU_ERR_IO] = "i/o error",
    [JIJU_ERR_STORE] = "store error",
    [JIJU_ERR_NOT_FOUND] = "not found",
    [JIJU_ERR_CORRUPT] = "corrupt data",
    [JIJU_ERR_CONFIG] = "configuration error",
    [JIJU_ERR_ZMQ] = "zeromq error",
    [JIJU_ERR_TIMEOUT] = "timeout",
    [JIJU_ERR_PROTOCOL] = "protocol error",
    [JIJU_ERR_EXISTS] = "already exists",
    [JIJU_ERR_CONFLICT] = "conflict",
    [JIJU_ERR_REJECTED] = "rejected",
    [JIJU_ERR_AGAIN] = "try again",
    [JIJU_ERR_UNAVAILABLE] = "unavailable (disk full)",
    [JIJU_ERR_TRIMMED] = "records trimmed from the producer's log",
    [JIJU_ERR_INCARNATION] = "producer incarnation contradicts the consumer's history",
    [JIJU_ERR_TOO_LARGE] = "reply larger than this client takes (4 MiB by default, as the "
                           "services' limits.max_frame_bytes; raised with `jiju "
                           "--max-reply-bytes N` or the portal's rpc.max_reply_bytes): ZeroMQ "
                           "dropped the connection on every attempt",
};

const char *jiju_err_str(int err)
{
    if (err < 0 || err >= JIJU_ERR__COUNT || !names[err])
        return "unknown error";
    return names[err];
}
