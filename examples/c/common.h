/* Helpers shared by the C examples: check a call's result, compare frames. */
#ifndef TUTTI_EXAMPLE_COMMON_H
#define TUTTI_EXAMPLE_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tutti.h"

static inline void example_fail(const char *what, tutti_result got, tutti_result want,
                                const char *file, int line) {
    char msg[512];
    size_t n = 0;
    tutti_last_error_message(msg, sizeof msg, &n);
    fprintf(stderr, "%s:%d: %s returned %s (wanted %s): %s\n", file, line, what,
            tutti_result_name(got), tutti_result_name(want), msg);
    exit(1);
}

/* Aborts the example unless `call` returns TUTTI_RESULT_OK. */
#define CHECK(call) EXPECT(call, TUTTI_RESULT_OK)

/* Aborts the example unless `call` returns `want`. */
#define EXPECT(call, want)                                                        \
    do {                                                                          \
        tutti_result got_ = (call);                                               \
        if (got_ != (tutti_result)(want)) {                                       \
            example_fail(#call, got_, (tutti_result)(want), __FILE__, __LINE__);  \
        }                                                                         \
    } while (0)

/* Aborts the example unless `cond` holds. */
#define ENSURE(cond)                                                              \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

/* Saturates a 32-bit sum to 16 bits, as the mixer does once per output. */
static inline int16_t saturate16(int32_t x) {
    if (x > 32767) return 32767;
    if (x < -32768) return -32768;
    return (int16_t)x;
}

/* Index of the first sample where two frames differ, or -1. */
static inline long frame_mismatch(const int16_t *a, const int16_t *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (a[i] != b[i]) return (long)i;
    }
    return -1;
}

/* A deterministic test signal for talker `who` at frame `tick`, sample `i`. */
static inline int16_t talker_sample(unsigned who, unsigned tick, size_t i) {
    return (int16_t)((int)(who + 1) * 300 + (int)((i * (who + 3) + tick * 7) % 97) - 48);
}

#endif
