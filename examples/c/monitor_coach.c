/*
 * monitor_coach.c: members, a monitor, a coach and background music in one conference.
 *
 * Members A, B, C talk. A monitor M hears the members and the background and is heard by
 * nobody. A coach K hears the conference and only its pupil A hears K. A background source
 * G (an input-only channel) is heard by everybody at -6 dB. Each output is checked sample by
 * sample against a naive mix. Exits non-zero on any mismatch.
 */
#include "common.h"

enum { A, B, C, K, G, M, LEGS };

static const char *const names[LEGS] = {"A", "B", "C", "coach", "background", "monitor"};

/* The Q12 factor of -6 dB, and a term at that gain, as the mixer defines them. */
static int32_t q12_term(int32_t x, int32_t q) { return (x * q + 2048) >> 12; }

int main(void) {
    tutti_processor *p = NULL;
    tutti_conference *conf = NULL;
    tutti_endpoint ep[LEGS];
    tutti_channel ch[LEGS];
    tutti_party party[LEGS];
    size_t len = 0;
    tutti_datafeed feed;

    CHECK(tutti_processor_new(16000, 10, &p));
    CHECK(tutti_processor_frame_len(p, &len));
    ENSURE(len == 160);
    CHECK(tutti_conference_create(p, &conf));

    for (int i = 0; i < LEGS; i++) {
        uint32_t kind = TUTTI_CHANNEL_KIND_FULL_DUPLEX;
        if (i == G) kind = TUTTI_CHANNEL_KIND_INPUT_ONLY;
        if (i == M) kind = TUTTI_CHANNEL_KIND_OUTPUT_ONLY;
        CHECK(tutti_endpoint_create(p, &ep[i]));
        CHECK(tutti_channel_create(p, kind, &ch[i]));
        if (i != M) {
            CHECK(tutti_endpoint_datafeed(p, ep[i], &feed));
            CHECK(tutti_channel_connect_input(p, ch[i], feed));
        }
        if (i != G) {
            CHECK(tutti_channel_datafeed(p, ch[i], &feed));
            CHECK(tutti_endpoint_connect(p, ep[i], feed));
        }
    }
    tutti_party_options opts;
    CHECK(tutti_party_options_default(&opts));
    CHECK(tutti_conference_add_party(conf, ch[A], ch[A], &opts, &party[A]));
    CHECK(tutti_conference_add_party(conf, ch[B], ch[B], &opts, &party[B]));
    CHECK(tutti_conference_add_party(conf, ch[C], ch[C], NULL, &party[C]));
    CHECK(tutti_conference_add_monitor(conf, ch[M], &party[M]));
    CHECK(tutti_conference_add_coach(conf, ch[K], ch[K], party[A], &party[K]));
    CHECK(tutti_conference_add_background(conf, ch[G], -6.0f, &party[G]));

    tutti_party_info info[LEGS];
    size_t n = 0;
    CHECK(tutti_conference_info(conf, info, LEGS, &n));
    ENSURE(n == 6);
    for (size_t i = 0; i < n; i++) {
        if (info[i].party == party[M]) ENSURE(info[i].role == TUTTI_ROLE_MONITOR && !info[i].has_input);
        if (info[i].party == party[G]) ENSURE(info[i].role == TUTTI_ROLE_BACKGROUND && !info[i].has_output);
        if (info[i].party == party[K]) ENSURE(info[i].role == TUTTI_ROLE_COACH && info[i].pupil == party[A]);
    }

    /* The primitive view: the coach's input is in A's set only. */
    bool in_set = false;
    float gain = 1.0f;
    CHECK(tutti_conf_prim_gain(p, ch[A], ch[K], &in_set, &gain));
    ENSURE(in_set && gain == 0.0f);
    CHECK(tutti_conf_prim_gain(p, ch[B], ch[K], &in_set, &gain));
    ENSURE(!in_set);
    CHECK(tutti_conf_prim_gain(p, ch[M], ch[G], &in_set, &gain));
    ENSURE(in_set && gain > -6.1f && gain < -5.9f);

    /* q = round(4096 * 10^(-6/20)) */
    const int32_t q = 2053;
    int16_t *in = (int16_t *)calloc(LEGS * len, sizeof(int16_t));
    int16_t *heard = (int16_t *)calloc(len, sizeof(int16_t));
    int16_t *want = (int16_t *)calloc(len, sizeof(int16_t));
    ENSURE(in && heard && want);
    /* hears[listener][speaker]: who hears whom. */
    static const int hears[LEGS][LEGS] = {
        /*          A  B  C  K  G  M */
        /* A */ {0, 1, 1, 1, 1, 0},
        /* B */ {1, 0, 1, 0, 1, 0},
        /* C */ {1, 1, 0, 0, 1, 0},
        /* K */ {1, 1, 1, 0, 1, 0},
        /* G */ {0, 0, 0, 0, 0, 0},
        /* M */ {1, 1, 1, 0, 1, 0},
    };
    for (unsigned t = 0; t < 40; t++) {
        for (int s = 0; s < LEGS; s++) {
            if (s == M) continue;
            for (size_t i = 0; i < len; i++) in[s * len + i] = talker_sample((unsigned)s, t, i);
            CHECK(tutti_endpoint_write(p, ep[s], &in[s * len], len));
        }
        CHECK(tutti_processor_tick(p));
        for (int l = 0; l < LEGS; l++) {
            if (l == G) continue;
            for (size_t i = 0; i < len; i++) {
                int32_t sum = 0;
                for (int s = 0; s < LEGS; s++) {
                    if (!hears[l][s]) continue;
                    sum += s == G ? q12_term(in[s * len + i], q) : in[s * len + i];
                }
                want[i] = saturate16(sum);
            }
            CHECK(tutti_endpoint_read(p, ep[l], heard, len));
            long bad = frame_mismatch(heard, want, len);
            if (bad >= 0) {
                fprintf(stderr, "tick %u: %s heard %d at sample %ld, wanted %d\n", t, names[l],
                        heard[bad], bad, want[bad]);
                return 1;
            }
        }
    }

    /* Removing the pupil removes its coach too. */
    CHECK(tutti_conference_remove_party(conf, party[A]));
    CHECK(tutti_conference_party_count(conf, &n));
    ENSURE(n == 4);
    EXPECT(tutti_conference_remove_party(conf, party[K]), TUTTI_RESULT_INVALID_STATE);

    free(in);
    free(heard);
    free(want);
    CHECK(tutti_conference_free(conf));
    CHECK(tutti_processor_free(p));
    printf("monitor_coach: ok\n");
    return 0;
}
