/* pb.c - pack a message into its own buffer (pb.h). */
#include "pb.h"

#include <stdlib.h>

#include "err.h"

int pb_pack(const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1); /* malloc(0) may be NULL */

    if (!buf)
        return JIJU_ERR_NOMEM;
    protobuf_c_message_pack(msg, buf);
    *out = buf;
    *len = n;
    return JIJU_OK;
}

int pb_txn_put(store_txn_t *txn, int cf, const void *key, size_t klen, const ProtobufCMessage *msg)
{
    uint8_t *buf;
    size_t len;
    int rc = pb_pack(msg, &buf, &len);

    if (rc != JIJU_OK)
        return rc;
    rc = store_txn_put(txn, cf, key, klen, buf, len);
    free(buf);
    return rc;
}
