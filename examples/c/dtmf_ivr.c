/*
 * dtmf_ivr.c: a caller keys DTMF digits into a conference.
 *
 * Three parties: the caller C, and two others, B and D, who talk. C's phone is simulated by a
 * tone generator channel whose output feeds C's input. C's input listens for DTMF with
 * suppression (and a 40 ms lookahead, so even the onset of each digit is muted). The digits
 * must arrive as events, in order, and B and D must hear exactly each other: not a sample of
 * the tones. Exits non-zero on any mismatch.
 */
#include "common.h"

#define DIGITS "1234#"

int main(void) {
    tutti_processor *p = NULL;
    tutti_conference *conf = NULL;
    size_t len = 0;
    tutti_datafeed feed;
    CHECK(tutti_processor_new(8000, 20, &p));
    CHECK(tutti_processor_frame_len(p, &len));
    CHECK(tutti_conference_create(p, &conf));

    /* The caller: a full-duplex channel fed by the keypad (a tone generator). */
    tutti_channel keypad, caller;
    tutti_party party;
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &keypad));
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &caller));
    CHECK(tutti_channel_datafeed(p, keypad, &feed));
    CHECK(tutti_channel_connect_input(p, caller, feed));
    tutti_listen_options lopts;
    CHECK(tutti_listen_options_default(&lopts));
    lopts.suppress = true;
    lopts.suppression_lookahead_ms = 40;
    CHECK(tutti_listen_for(p, caller, TUTTI_TONE_SET_DTMF, &lopts));
    CHECK(tutti_conference_add_party(conf, caller, caller, NULL, &party));

    /* B and D: ordinary legs over endpoints. */
    tutti_endpoint ep[2];
    tutti_channel ch[2];
    for (int i = 0; i < 2; i++) {
        CHECK(tutti_endpoint_create(p, &ep[i]));
        CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch[i]));
        CHECK(tutti_endpoint_datafeed(p, ep[i], &feed));
        CHECK(tutti_channel_connect_input(p, ch[i], feed));
        CHECK(tutti_channel_datafeed(p, ch[i], &feed));
        CHECK(tutti_endpoint_connect(p, ep[i], feed));
        CHECK(tutti_conference_add_party(conf, ch[i], ch[i], NULL, &party));
    }

    tutti_dtmf_options dopts;
    CHECK(tutti_dtmf_options_default(&dopts));
    dopts.on_ms = 80.0f;
    dopts.off_ms = 80.0f;
    CHECK(tutti_channel_output_dtmf(p, keypad, DIGITS, &dopts));

    int16_t *in = (int16_t *)calloc(2 * len, sizeof(int16_t));
    int16_t *heard = (int16_t *)calloc(len, sizeof(int16_t));
    ENSURE(in && heard);
    char got[32] = {0};
    size_t n_got = 0, n_ended = 0;
    int finished = 0;
    for (unsigned t = 0; t < 100; t++) {
        for (int i = 0; i < 2; i++) {
            for (size_t s = 0; s < len; s++) in[i * len + s] = talker_sample((unsigned)i, t, s);
            CHECK(tutti_endpoint_write(p, ep[i], &in[i * len], len));
        }
        CHECK(tutti_processor_tick(p));
        for (int i = 0; i < 2; i++) {
            CHECK(tutti_endpoint_read(p, ep[i], heard, len));
            long bad = frame_mismatch(heard, &in[(1 - i) * len], len);
            if (bad >= 0) {
                fprintf(stderr, "tick %u: party %c heard %d at sample %ld: the tones leaked (wanted %d)\n",
                        t, i ? 'D' : 'B', heard[bad], bad, in[(1 - i) * len + bad]);
                return 1;
            }
        }
        tutti_event ev;
        while (tutti_event_poll(p, &ev) == TUTTI_RESULT_OK) {
            if (ev.kind == TUTTI_EVENT_TONE_STARTED) {
                ENSURE(ev.channel == caller && ev.tone == TUTTI_TONE_DTMF);
                ENSURE(n_got + 1 < sizeof got);
                got[n_got++] = ev.tone_digit;
                printf("digit %c at %llu ms (%.1f dBm0)\n", ev.tone_digit,
                       (unsigned long long)ev.start_ms, (double)ev.level_dbm0);
            } else if (ev.kind == TUTTI_EVENT_TONE_ENDED) {
                ENSURE(ev.end_ms > ev.start_ms);
                n_ended++;
            } else if (ev.kind == TUTTI_EVENT_TONES_FINISHED) {
                ENSURE(ev.channel == keypad);
                finished = 1;
            }
        }
    }
    if (strcmp(got, DIGITS) != 0) {
        fprintf(stderr, "digits received: \"%s\", keyed: \"%s\"\n", got, DIGITS);
        return 1;
    }
    ENSURE(n_ended == strlen(DIGITS));
    ENSURE(finished);
    uint64_t muted = 0;
    CHECK(tutti_suppressed_samples(p, caller, &muted));
    ENSURE(muted > 0);
    CHECK(tutti_stop_listening(p, caller));
    EXPECT(tutti_stop_listening(p, caller), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_listen_for(p, caller, 42, NULL), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_channel_output_dtmf(p, keypad, "12x", NULL), TUTTI_RESULT_INVALID_ARGUMENT);

    free(in);
    free(heard);
    CHECK(tutti_conference_delete(conf));
    CHECK(tutti_processor_free(p));
    printf("dtmf_ivr: ok\n");
    return 0;
}
