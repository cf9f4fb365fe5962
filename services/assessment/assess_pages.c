/* assess_pages.c - page sizes, page tokens and the rankings held between
 * pages (assess_pages.h). Tokens are this service's own text format, ASCII
 * only, so they travel unchanged in URLs and JSON. */
#include "assess_pages.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "paging.h"

struct assess_pages {
    assess_snapshot *held[ASSESS_SNAPSHOTS];
    char error[1024];
};

uint32_t assess_page_size(uint32_t page_size, const char *field, char *why, size_t cap)
{
    return paging_size(page_size, field, why, cap);
}

/* ---- tokens ---- */

void assess_rank_token_format(const assess_rank_token *t, char *buf, size_t cap)
{
    char hex[2 * ASSESS_DIGEST_LEN + 1];

    hex_encode(t->digest, ASSESS_DIGEST_LEN, hex);
    snprintf(buf, cap, "R1.%s.%c.%u.%s", t->period, t->final ? 'F' : 'P', t->offset, hex);
}

int assess_rank_token_parse(const char *tok, assess_rank_token *out)
{
    assess_rank_token t = {0};
    const char *p, *dot, *hex;
    char *end;
    unsigned long off;

    if (!tok || strncmp(tok, "R1.", 3) != 0 || !(dot = strchr(p = tok + 3, '.')) ||
        (size_t)(dot - p) >= sizeof t.period)
        return -1;
    memcpy(t.period, p, (size_t)(dot - p));
    if (!period_is_valid(t.period) || (dot[1] != 'F' && dot[1] != 'P') || dot[2] != '.')
        return -1;
    t.final = dot[1] == 'F';
    p = dot + 3;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '.'))
        return -1; /* digits only, no sign, no leading zero */
    off = strtoul(p, &end, 10);
    if (*end != '.' || off > UINT32_MAX)
        return -1;
    hex = end + 1;
    if (hex_decode(hex, strlen(hex), t.digest, ASSESS_DIGEST_LEN) != 0)
        return -1;
    t.offset = (uint32_t)off;
    *out = t;
    return 0;
}

void assess_cluster_token_format(const char *id, char *buf, size_t cap)
{
    size_t n = strlen(id);

    paging_key_token_format("C1.", id, n > 32 ? 32 : n, buf, cap);
}

int assess_cluster_token_parse(const char *tok, char *id, size_t cap)
{
    return paging_key_token_parse("C1.", tok, id, cap < 33 ? cap : 33) < 0 ? -1 : 0;
}

/* ---- one ranking, packed ---- */

static int snapshot_digest(assess_snapshot *s)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, s->period, strlen(s->period) + 1) == 1 &&
             EVP_DigestUpdate(ctx, s->final ? "F" : "P", 1) == 1 &&
             EVP_DigestUpdate(ctx, s->off, (s->n + 1) * sizeof *s->off) == 1 &&
             EVP_DigestUpdate(ctx, s->bytes, s->off[s->n]) == 1 &&
             EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;

    EVP_MD_CTX_free(ctx);
    if (ok)
        memcpy(s->digest, md, ASSESS_DIGEST_LEN);
    return ok ? 0 : -1;
}

assess_snapshot *assess_snapshot_new(const char *ptext, bool final,
                                     Jiju__V1__RankEntry *const *entries, size_t n)
{
    assess_snapshot *s = calloc(1, sizeof *s);
    size_t bytes = 0, idbytes = 0;

    if (!s)
        return NULL;
    snprintf(s->period, sizeof s->period, "%s", ptext);
    s->final = final;
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        bytes += jiju__v1__rank_entry__get_packed_size(entries[i]);
        idbytes += strlen(entries[i]->cluster_id) + 1;
    }
    s->bytes = malloc(bytes ? bytes : 1);
    s->ids = malloc(idbytes ? idbytes : 1);
    s->off = malloc((n + 1) * sizeof *s->off);
    s->id_off = malloc((n + 1) * sizeof *s->id_off);
    if (!s->bytes || !s->ids || !s->off || !s->id_off)
        goto out_destroy;
    s->off[0] = s->id_off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t idl = strlen(entries[i]->cluster_id) + 1;
        s->off[i + 1] = s->off[i] + jiju__v1__rank_entry__pack(entries[i], s->bytes + s->off[i]);
        memcpy(s->ids + s->id_off[i], entries[i]->cluster_id, idl);
        s->id_off[i + 1] = s->id_off[i] + idl;
    }
    if (snapshot_digest(s) != 0)
        goto out_destroy;
    return s;
out_destroy:
    assess_snapshot_destroy(&s);
    return NULL;
}

void assess_snapshot_destroy(assess_snapshot **sp)
{
    assess_snapshot *s = sp ? *sp : NULL;

    if (!s)
        return;
    free(s->bytes);
    free(s->ids);
    free(s->off);
    free(s->id_off);
    free(s);
    *sp = NULL;
}

size_t assess_snapshot_bytes(const assess_snapshot *s)
{
    return s->off[s->n] + s->id_off[s->n] + 2 * (s->n + 1) * sizeof *s->off + sizeof *s;
}

/* ---- the rankings held ---- */

assess_pages *assess_pages_new(void)
{
    return calloc(1, sizeof(assess_pages));
}

void assess_pages_destroy(assess_pages **pp)
{
    assess_pages *p = pp ? *pp : NULL;

    if (!p)
        return;
    for (int i = 0; i < ASSESS_SNAPSHOTS; i++)
        assess_snapshot_destroy(&p->held[i]);
    free(p);
    *pp = NULL;
}

static void pages_expire(assess_pages *p, int64_t now_ms)
{
    for (int i = 0; i < ASSESS_SNAPSHOTS; i++)
        if (p->held[i] && now_ms - p->held[i]->used_ms >= ASSESS_SNAPSHOT_IDLE_MS)
            assess_snapshot_destroy(&p->held[i]);
}

const assess_snapshot *assess_pages_find(assess_pages *p, const char *ptext, bool final,
                                         const uint8_t *digest, int64_t now_ms)
{
    pages_expire(p, now_ms);
    for (int i = 0; i < ASSESS_SNAPSHOTS; i++) {
        assess_snapshot *s = p->held[i];
        if (s && s->final == final && strcmp(s->period, ptext) == 0 &&
            memcmp(s->digest, digest, ASSESS_DIGEST_LEN) == 0) {
            s->used_ms = now_ms;
            return s;
        }
    }
    return NULL;
}

size_t assess_pages_held(const assess_pages *p, size_t *bytes)
{
    size_t n = 0, b = 0;

    for (int i = 0; i < ASSESS_SNAPSHOTS; i++)
        if (p->held[i]) {
            n++;
            b += assess_snapshot_bytes(p->held[i]);
        }
    if (bytes)
        *bytes = b;
    return n;
}

/* Index of the least recently used held ranking, -1 if none. */
static int pages_lru(const assess_pages *p)
{
    int lru = -1;

    for (int i = 0; i < ASSESS_SNAPSHOTS; i++)
        if (p->held[i] && (lru < 0 || p->held[i]->used_ms < p->held[lru]->used_ms))
            lru = i;
    return lru;
}

const assess_snapshot *assess_pages_keep(assess_pages *p, assess_snapshot **sp, int64_t now_ms)
{
    assess_snapshot *s = *sp;
    size_t bytes, need = assess_snapshot_bytes(s);
    int slot = -1;

    const assess_snapshot *old;

    /* the same ranking held already (two readers, or a recomputed token) */
    if ((old = assess_pages_find(p, s->period, s->final, s->digest, now_ms))) {
        assess_snapshot_destroy(sp);
        return old;
    }
    if (need > ASSESS_SNAPSHOT_BYTES)
        return s; /* the caller serves it and destroys it */
    *sp = NULL;
    while (assess_pages_held(p, &bytes) == ASSESS_SNAPSHOTS || bytes + need > ASSESS_SNAPSHOT_BYTES)
        assess_snapshot_destroy(&p->held[pages_lru(p)]);
    for (int i = 0; i < ASSESS_SNAPSHOTS && slot < 0; i++)
        if (!p->held[i])
            slot = i;
    s->used_ms = now_ms;
    p->held[slot] = s;
    return s;
}

char *assess_pages_error(assess_pages *p, size_t *cap)
{
    *cap = sizeof p->error;
    p->error[0] = '\0';
    return p->error;
}
