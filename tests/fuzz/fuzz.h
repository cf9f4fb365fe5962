/* fuzz.h - what a fuzz target (tests/fuzz/fuzz_<target>.c) defines and may
 * use. The entry point is libFuzzer's, so a target also links with clang's
 * -fsanitize=fuzzer; fuzz_main.c is the deterministic driver ctest runs. */
#ifndef JIJU_FUZZ_H
#define JIJU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Run one input. Returns 0 (libFuzzer's convention). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Optional: built-in seeds (e.g. valid protobuf messages built in C), so a
 * target needs no binary files in the repository. Returns how many. */
size_t fuzz_seeds(const uint8_t ***data, const size_t **lens);

/* The driver's mutant number (-1: a seed or corpus file, or another engine). */
__attribute__((weak)) long fuzz_iteration = -1;

/* A promise of the code under test that this input broke: say which, abort. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr,                                                                        \
                    "fuzz: %s:%d: broken promise: %s (mutant %ld: rerun with "                     \
                    "--dump %ld FILE to get it)\n",                                                \
                    __FILE__, __LINE__, #cond, fuzz_iteration, fuzz_iteration);                    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
