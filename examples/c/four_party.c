/*
 * four_party.c: a high-level conference of four parties over application endpoints.
 *
 * Each party is a call leg: an endpoint (the application's frames in and out) and a
 * full-duplex channel. Every party talks; each must hear exactly the sum of the other three
 * (mix-minus). Then one party leaves and the other three must hear each other only.
 * Exits non-zero on any mismatch.
 */
#include "common.h"

#define PARTIES 4
#define TICKS 50

typedef struct {
    tutti_endpoint ep;
    tutti_channel ch;
    tutti_party party;
    int present;
} leg;

static void leg_open(tutti_processor *p, tutti_conference *conf, leg *l) {
    tutti_datafeed feed;
    CHECK(tutti_endpoint_create(p, &l->ep));
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &l->ch));
    CHECK(tutti_endpoint_datafeed(p, l->ep, &feed));
    CHECK(tutti_channel_connect_input(p, l->ch, feed));
    CHECK(tutti_channel_datafeed(p, l->ch, &feed));
    CHECK(tutti_endpoint_connect(p, l->ep, feed));
    CHECK(tutti_conference_add_party(conf, l->ch, l->ch, NULL, &l->party));
    l->present = 1;
}

static void run(tutti_processor *p, leg *legs, size_t frame_len, unsigned first_tick) {
    int16_t *in = (int16_t *)calloc(PARTIES * frame_len, sizeof(int16_t));
    int16_t *want = (int16_t *)calloc(frame_len, sizeof(int16_t));
    int16_t *heard = (int16_t *)calloc(frame_len, sizeof(int16_t));
    ENSURE(in && want && heard);
    for (unsigned t = first_tick; t < first_tick + TICKS; t++) {
        for (unsigned k = 0; k < PARTIES; k++) {
            for (size_t i = 0; i < frame_len; i++) in[k * frame_len + i] = talker_sample(k, t, i);
            if (legs[k].present) {
                CHECK(tutti_endpoint_write(p, legs[k].ep, &in[k * frame_len], frame_len));
            }
        }
        CHECK(tutti_processor_tick(p));
        for (unsigned k = 0; k < PARTIES; k++) {
            if (!legs[k].present) continue;
            for (size_t i = 0; i < frame_len; i++) {
                int32_t sum = 0;
                for (unsigned o = 0; o < PARTIES; o++) {
                    if (o != k && legs[o].present) sum += in[o * frame_len + i];
                }
                want[i] = saturate16(sum);
            }
            CHECK(tutti_endpoint_read(p, legs[k].ep, heard, frame_len));
            long bad = frame_mismatch(heard, want, frame_len);
            if (bad >= 0) {
                fprintf(stderr, "tick %u: party %u heard %d at sample %ld, wanted %d\n", t, k,
                        heard[bad], bad, want[bad]);
                exit(1);
            }
        }
    }
    free(in);
    free(want);
    free(heard);
}

int main(void) {
    tutti_processor *p = NULL;
    tutti_conference *conf = NULL;
    leg legs[PARTIES];
    size_t frame_len = 0;

    printf("tutti %s\n", tutti_version());
    CHECK(tutti_processor_new(8000, 20, &p));
    CHECK(tutti_processor_frame_len(p, &frame_len));
    ENSURE(frame_len == 160);
    CHECK(tutti_conference_create(p, &conf));
    for (unsigned k = 0; k < PARTIES; k++) leg_open(p, conf, &legs[k]);
    CHECK(tutti_processor_commit(p));

    size_t count = 0;
    tutti_party_info info[PARTIES];
    CHECK(tutti_conference_party_count(conf, &count));
    ENSURE(count == PARTIES);
    CHECK(tutti_conference_info(conf, info, PARTIES, &count));
    ENSURE(count == PARTIES);
    for (unsigned k = 0; k < PARTIES; k++) {
        ENSURE(info[k].party == legs[k].party);
        ENSURE(info[k].role == TUTTI_ROLE_MEMBER);
        ENSURE(info[k].has_input && info[k].input == legs[k].ch);
        ENSURE(info[k].has_output && info[k].output == legs[k].ch);
    }

    run(p, legs, frame_len, 0);

    /* Everybody talks loudly enough to be detected as talking. */
    tutti_active_input active[TUTTI_CONF_PRIM_STATUS_MAX];
    size_t n_active = 0;
    CHECK(tutti_conf_prim_status(p, legs[0].ch, active, TUTTI_CONF_PRIM_STATUS_MAX, &n_active));
    ENSURE(n_active == PARTIES - 1); /* party 0's output holds the three others */
    for (size_t i = 0; i < n_active; i++) ENSURE(active[i].channel != legs[0].ch);

    /* Party 2 hangs up. */
    CHECK(tutti_conference_remove_party(conf, legs[2].party));
    legs[2].present = 0;
    CHECK(tutti_conference_party_count(conf, &count));
    ENSURE(count == PARTIES - 1);
    run(p, legs, frame_len, TICKS);

    tutti_stats st;
    CHECK(tutti_processor_stats(p, &st));
    ENSURE(st.ticks == 2 * TICKS);
    ENSURE(st.participants == PARTIES - 1);
    ENSURE(st.missing_input_frames == TICKS); /* party 2's endpoint, silent after hanging up */

    /* Events: talk started for every party; the deletion empties the conference. */
    uint32_t conf_id = 0;
    CHECK(tutti_conference_id(conf, &conf_id));
    CHECK(tutti_conference_delete(conf));
    unsigned talk_started = 0, empty = 0;
    tutti_event ev;
    tutti_result r;
    while ((r = tutti_event_poll(p, &ev)) == TUTTI_RESULT_OK) {
        if (ev.kind == TUTTI_EVENT_TALK_STARTED) talk_started++;
        if (ev.kind == TUTTI_EVENT_CONFERENCE_EMPTY && ev.conference == conf_id) empty++;
    }
    EXPECT(r, TUTTI_RESULT_NO_EVENT);
    ENSURE(talk_started == PARTIES);
    ENSURE(empty == 1);

    for (unsigned k = 0; k < PARTIES; k++) {
        CHECK(tutti_channel_release(p, legs[k].ch));
        CHECK(tutti_endpoint_release(p, legs[k].ep));
    }
    CHECK(tutti_processor_free(p));
    printf("four_party: ok\n");
    return 0;
}
