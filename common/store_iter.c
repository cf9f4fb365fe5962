/* store_iter.c - iterators over one column family, of the store or of a
 * txn (its own writes over the store's). */
#include <rocksdb/c.h>
#include <stdlib.h>

#include "err.h"
#include "store_int.h"

store_iter_t *store_iter_new(store_t *s, int cf)
{
    store_iter_t *it;

    if (cf < 0 || cf >= s->n_cf)
        return NULL;
    it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->it = rocksdb_create_iterator_cf(s->db, s->ropts, s->cf[cf]);
    return it;
}

store_iter_t *store_txn_iter_new(store_txn_t *t, int cf)
{
    store_iter_t *it;
    rocksdb_iterator_t *base;

    if (cf < 0 || cf >= t->s->n_cf)
        return NULL;
    if (!t->wb)
        return store_iter_new(t->s, cf);
    it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    base = rocksdb_create_iterator_cf(t->s->db, t->s->ropts, t->s->cf[cf]);
    /* takes ownership of base */
    it->it = rocksdb_writebatch_wi_create_iterator_with_base_cf(t->wb, base, t->s->cf[cf]);
    return it;
}

void store_iter_destroy(store_iter_t **itp)
{
    if (!itp || !*itp)
        return;
    rocksdb_iter_destroy((*itp)->it);
    free(*itp);
    *itp = NULL;
}

void store_iter_seek(store_iter_t *it, const void *key, size_t klen)
{
    rocksdb_iter_seek(it->it, key, klen);
}

void store_iter_seek_prev(store_iter_t *it, const void *key, size_t klen)
{
    rocksdb_iter_seek_for_prev(it->it, key, klen);
}

void store_iter_seek_first(store_iter_t *it)
{
    rocksdb_iter_seek_to_first(it->it);
}

void store_iter_seek_last(store_iter_t *it)
{
    rocksdb_iter_seek_to_last(it->it);
}

bool store_iter_valid(const store_iter_t *it)
{
    return rocksdb_iter_valid(it->it) != 0;
}

void store_iter_next(store_iter_t *it)
{
    rocksdb_iter_next(it->it);
}

void store_iter_prev(store_iter_t *it)
{
    rocksdb_iter_prev(it->it);
}

const void *store_iter_key(const store_iter_t *it, size_t *klen)
{
    return rocksdb_iter_key(it->it, klen);
}

const void *store_iter_value(const store_iter_t *it, size_t *vlen)
{
    return rocksdb_iter_value(it->it, vlen);
}

int store_iter_status(const store_iter_t *it)
{
    char *err = NULL;

    rocksdb_iter_get_error(it->it, &err);
    if (!err)
        return JIJU_OK;
    free(err);
    return JIJU_ERR_STORE;
}
