/* A W1-shaped decision benchmark through the C API: get_variation_name over the VISUAL_AB and
 * FEATURE_TEST campaigns of benches/data/settings_bench.json, campaign i % n for call i, users drawn
 * with W1's LCG and pool (user_0..99999, 1 in 100 a qa_user_1..12), NULL per-call options (unlike W1,
 * whose segmented campaigns get custom variables). The call sequence is built before timing.
 *
 *   decide [SETTINGS] [CALLS] [REPS]
 *
 * Prints ns per call (median of REPS) and a digest of the results. The Rust side of the same loop is
 * `cargo run --release --example ffi_decide`. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vwo.h"
#include "../tests/json.h"

static uint32_t lcg_state;
static uint32_t lcg_rand(uint32_t n) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (lcg_state >> 8) % n;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "benches/data/settings_bench.json";
    long calls = argc > 2 ? atol(argv[2]) : 200000;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    char *settings = read_file(path, NULL);
    if (!settings) { fprintf(stderr, "cannot read %s\n", path); return 1; }
    jval *doc = jparse(settings);
    const jval *campaigns = jget(doc, "campaigns");
    const char **keys = calloc(campaigns->len, sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; i < campaigns->len; i++) {
        const char *type = jstr(&campaigns->items[i], "type");
        if (type && (!strcmp(type, "VISUAL_AB") || !strcmp(type, "FEATURE_TEST"))) keys[nkeys++] = jstr(&campaigns->items[i], "key");
    }
    char **users = malloc((size_t)calls * sizeof *users);
    lcg_state = 1;
    for (long i = 0; i < calls; i++) {
        char u[32];
        if (lcg_rand(100) == 0) snprintf(u, sizeof u, "qa_user_%u", lcg_rand(12) + 1);
        else snprintf(u, sizeof u, "user_%u", lcg_rand(100000));
        users[i] = strdup(u);
    }
    vwo_client *client = NULL;
    if (vwo_client_launch(settings, "{\"is_development_mode\": true}", NULL, &client) != VWO_OK) {
        char m[512];
        vwo_last_error_message(m, sizeof m);
        fprintf(stderr, "launch: %s\n", m);
        return 1;
    }
    double *samples = malloc((size_t)reps * sizeof *samples);
    uint64_t digest = 0;
    long decided = 0;
    char buf[128];
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up */
        uint64_t h = 1469598103934665603ULL;
        decided = 0;
        double t0 = now_ns();
        for (long i = 0; i < calls; i++) {
            size_t len;
            bool has;
            vwo_client_get_variation_name(client, keys[(size_t)i % nkeys], users[i], NULL, buf, sizeof buf, &len, &has);
            h = (h ^ (has ? (uint64_t)len + (unsigned char)buf[len - 1] : 0)) * 1099511628211ULL;
            decided += has;
        }
        double dt = now_ns() - t0;
        if (r >= 0) samples[r] = dt / (double)calls;
        digest = h;
    }
    qsort(samples, (size_t)reps, sizeof *samples, cmp_double);
    printf("C API   get_variation_name: %.1f ns/call (median of %d x %ld calls), %ld decided, digest %016llx\n",
           samples[reps / 2], reps, calls, decided, (unsigned long long)digest);
    vwo_client_free(client);
    for (long i = 0; i < calls; i++) free(users[i]);
    free(users);
    free(samples);
    free(keys);
    jfree(doc);
    free(settings);
    return 0;
}
