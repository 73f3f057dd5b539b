/* Reference runner for comparing tutti's DTMF detector with spandsp's dtmf_rx (dev-only; never
 * linked into the library).
 *
 * Usage: dtmf_spandsp trials FILE   -- FILE holds records [u32 n][n x i16]; prints the digits
 *                                      reported for each record on its own line ("-" if none).
 *        dtmf_spandsp bench FILE REPS -- runs one detector over the samples of the first record
 *                                      REPS times and prints channel-seconds per CPU-second.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp.h>

static int16_t *read_record(FILE *f, uint32_t *n)
{
    if (fread(n, 4, 1, f) != 1)
        return NULL;
    int16_t *buf = malloc(sizeof(int16_t) * (*n ? *n : 1));
    if (fread(buf, 2, *n, f) != *n) {
        free(buf);
        return NULL;
    }
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    FILE *f = fopen(argv[2], "rb");
    if (!f)
        return 2;
    uint32_t n;
    int16_t *buf;
    if (strcmp(argv[1], "trials") == 0) {
        while ((buf = read_record(f, &n)) != NULL) {
            dtmf_rx_state_t *s = dtmf_rx_init(NULL, NULL, NULL);
            char digits[256];
            size_t got = 0;
            for (uint32_t i = 0; i < n; i += 160) {
                int len = (n - i < 160) ? (int)(n - i) : 160;
                dtmf_rx(s, buf + i, len);
            }
            int16_t silence[1600] = {0};
            dtmf_rx(s, silence, 1600);
            got = dtmf_rx_get(s, digits, sizeof(digits) - 1);
            digits[got] = 0;
            printf("%s\n", got ? digits : "-");
            dtmf_rx_free(s);
            free(buf);
        }
    } else if (strcmp(argv[1], "bench") == 0 && argc >= 4) {
        int reps = atoi(argv[3]);
        buf = read_record(f, &n);
        if (!buf)
            return 2;
        dtmf_rx_state_t *s = dtmf_rx_init(NULL, NULL, NULL);
        char digits[256];
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
            for (uint32_t i = 0; i < n; i += 160)
                dtmf_rx(s, buf + i, (n - i < 160) ? (int)(n - i) : 160);
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
            while (dtmf_rx_get(s, digits, sizeof(digits)) > 0)
                ;
            double dt = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
            if (dt < best)
                best = dt;
        }
        printf("%.0f\n", (n / 8000.0) / best);
    }
    fclose(f);
    return 0;
}
