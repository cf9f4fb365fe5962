/* fuzz_main.c - a small, deterministic driver for the fuzz targets of
 * tests/fuzz/fuzz_<target>.c, so they run in every ctest (and under ASan and
 * UBSan in deploy/test-sanitizers.sh) without a fuzzing engine.
 *
 * Each target has libFuzzer's entry point, LLVMFuzzerTestOneInput, and may
 * offer built-in seeds (fuzz_seeds); the same file links with clang's
 * -fsanitize=fuzzer for open-ended runs (docs/architecture.md "Testing").
 *
 *   fuzz_<target> [--runs N] [--seed S] [--dump I FILE] [CORPUS_FILE_OR_DIR]...
 *
 * Runs every seed and corpus file as it is, then N mutants (default 20000):
 * a seed or corpus entry with 1-6 mutations (bit flips, byte sets,
 * "interesting" bytes, inserts, deletes, duplicated ranges, splices,
 * truncation). The mutants come from a xorshift generator seeded with S
 * (default 1), so a failure is reproduced by running again with the same
 * arguments; --dump I FILE writes mutant I to FILE instead of running. A
 * target reports a broken promise with FUZZ_CHECK (fuzz.h), which prints it
 * and aborts; a memory error is the sanitizers' to report. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define FUZZ_MAX_INPUT (256 * 1024)

typedef struct blob {
    uint8_t *data;
    size_t len;
} blob;

typedef struct corpus {
    blob *items;
    size_t n, cap;
} corpus;

/* Targets without built-in seeds get none. */
__attribute__((weak)) size_t fuzz_seeds(const uint8_t ***data, const size_t **lens)
{
    *data = NULL;
    *lens = NULL;
    return 0;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t x = rng_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t below(size_t n)
{
    return n ? (size_t)(rng() % n) : 0;
}

static void corpus_add(corpus *c, const uint8_t *data, size_t len)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->items = realloc(c->items, c->cap * sizeof *c->items);
        if (!c->items) {
            perror("fuzz: realloc");
            exit(2);
        }
    }
    c->items[c->n].data = malloc(len ? len : 1);
    if (!c->items[c->n].data) {
        perror("fuzz: malloc");
        exit(2);
    }
    memcpy(c->items[c->n].data, data, len);
    c->items[c->n++].len = len;
}

static void corpus_add_file(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    size_t n;

    if (!f || !buf) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    n = fread(buf, 1, FUZZ_MAX_INPUT, f);
    fclose(f);
    corpus_add(c, buf, n);
    free(buf);
}

static void corpus_add_path(corpus *c, const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char p[4096];

    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        corpus_add_file(c, path);
        return;
    }
    if (!(d = opendir(path))) {
        fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            corpus_add_file(c, p);
    }
    closedir(d);
}

/* One mutation of buf[0..*len) in place; cap is buf's size. */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap, const corpus *c)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x08, 0x0a, 0x10,
                                          0x12, 0x1a, 0x22, 0x2c, 0x22, 0x5c, 0x7b, 0x7d, 0x5b,
                                          0x5d, 0x3a, 0xe4, 0xb8, 0xc0, 0xed, 0xf4};
    size_t n = *len, at = below(n + 1), k;

    switch (below(9)) {
    case 0: /* flip a bit */
        if (n)
            buf[below(n)] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* any byte */
        if (n)
            buf[below(n)] = (uint8_t)rng();
        break;
    case 2: /* a byte that means something in protobuf, JSON, CSV or UTF-8 */
        if (n)
            buf[below(n)] = interesting[below(sizeof interesting)];
        break;
    case 3: /* insert 1-8 random bytes */
        k = 1 + below(8);
        if (n + k <= cap) {
            memmove(buf + at + k, buf + at, n - at);
            for (size_t i = 0; i < k; i++)
                buf[at + i] = (uint8_t)rng();
            *len = n + k;
        }
        break;
    case 4: /* delete a range */
        if (n) {
            at = below(n);
            k = 1 + below(n - at < 16 ? n - at : 16);
            memmove(buf + at, buf + at + k, n - at - k);
            *len = n - k;
        }
        break;
    case 5: /* duplicate a range */
        if (n) {
            size_t from = below(n);
            k = 1 + below(n - from < 32 ? n - from : 32);
            if (n + k <= cap) {
                memmove(buf + at + k, buf + at, n - at);
                memmove(buf + at, buf + from + (from >= at ? k : 0), k);
                *len = n + k;
            }
        }
        break;
    case 6: /* truncate */
        *len = below(n + 1);
        break;
    case 7: { /* splice: the tail of another entry from here on */
        const blob *o = &c->items[below(c->n)];
        size_t from = below(o->len + 1), m = o->len - from;
        if (at + m > cap)
            m = cap - at;
        memcpy(buf + at, o->data + from, m);
        *len = at + m;
        break;
    }
    default: /* a varint-sized field value: 0, 1, 127, 128, max */
        if (n >= 2) {
            at = below(n - 1);
            buf[at] = (uint8_t)(rng() & 1 ? 0xff : 0x80);
            buf[at + 1] = (uint8_t)(rng() & 1 ? 0x7f : 0x01);
        }
        break;
    }
}

static size_t make_mutant(const corpus *c, uint8_t *buf, size_t cap)
{
    const blob *b = &c->items[below(c->n)];
    size_t len = b->len < cap ? b->len : cap, rounds = 1 + below(6);

    memcpy(buf, b->data, len);
    for (size_t i = 0; i < rounds; i++)
        mutate_once(buf, &len, cap, c);
    return len;
}

int main(int argc, char **argv)
{
    corpus c = {0};
    const uint8_t **seed_data;
    const size_t *seed_lens;
    size_t n_seeds = fuzz_seeds(&seed_data, &seed_lens);
    long runs = 20000;
    unsigned long long seed = 1;
    long dump = -1;
    const char *dump_file = NULL;
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);

    for (size_t i = 0; i < n_seeds; i++)
        corpus_add(&c, seed_data[i], seed_lens[i]);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dump") == 0 && i + 2 < argc) {
            dump = strtol(argv[++i], NULL, 10);
            dump_file = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--runs N] [--seed S] [--dump I FILE] [CORPUS]...\n",
                    argv[0]);
            return 2;
        } else
            corpus_add_path(&c, argv[i]);
    }
    if (!c.n || !buf) {
        fprintf(stderr, "fuzz: no seeds and no corpus: nothing to mutate\n");
        return 2;
    }
    rng_state = seed ? seed * 0x9E3779B97F4A7C15ull : 1;
    if (dump < 0)
        for (size_t i = 0; i < c.n; i++)
            LLVMFuzzerTestOneInput(c.items[i].data, c.items[i].len);
    for (long i = 0; i < runs; i++) {
        size_t len = make_mutant(&c, buf, FUZZ_MAX_INPUT);

        if (i == dump) {
            FILE *f = fopen(dump_file, "wb");
            if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "fuzz: %s: %s\n", dump_file, strerror(errno));
                return 2;
            }
            printf("fuzz: mutant %ld (%zu bytes) written to %s\n", i, len, dump_file);
            return 0;
        }
        fuzz_iteration = i;
        LLVMFuzzerTestOneInput(buf, len);
    }
    printf("fuzz: target=%s corpus=%zu mutants=%ld seed=%llu ok\n", argv[0], c.n, runs, seed);
    for (size_t i = 0; i < c.n; i++)
        free(c.items[i].data);
    free(c.items);
    free(buf);
    return 0;
}
