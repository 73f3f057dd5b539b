/*
 * runtime_threads.c: the built-in media thread with four control threads.
 *
 * A runtime ticks a processor in real time. Four application threads each repeatedly bring a
 * call leg into a conference (app endpoint, channel, party), exchange a few frames through the
 * endpoint's rings, and tear the leg down, all concurrently and while the media thread runs.
 * A monitor of the conference is recorded meanwhile. Events arrive through a callback on the
 * runtime's event thread. Run under AddressSanitizer and under ThreadSanitizer by
 * `make c-tests`. Usage: runtime_threads [DIR] (the recording goes to DIR, default ".").
 * Exits non-zero on any error.
 */
#ifndef __cplusplus
#define _POSIX_C_SOURCE 200809L
#endif
#include <pthread.h>
#include <time.h>

#include "common.h"

#define THREADS 4
#define ROUNDS 6

static tutti_runtime *rt;
static uint32_t conf_id;
static size_t frame_len;

static pthread_mutex_t counters_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long events_seen, talk_events, frames_read, recorded_frames;

static void on_event(void *userdata, const tutti_event *ev) {
    (void)userdata;
    pthread_mutex_lock(&counters_lock);
    events_seen++;
    if (ev->kind == TUTTI_EVENT_TALK_STARTED || ev->kind == TUTTI_EVENT_TALK_STOPPED) talk_events++;
    if (ev->kind == TUTTI_EVENT_RECORDING_STOPPED) recorded_frames += (unsigned long)ev->frames;
    pthread_mutex_unlock(&counters_lock);
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void *leg_thread(void *arg) {
    unsigned who = (unsigned)(uintptr_t)arg;
    int16_t *frame = (int16_t *)calloc(frame_len, sizeof(int16_t));
    ENSURE(frame);
    for (unsigned round = 0; round < ROUNDS; round++) {
        tutti_app_endpoint *ep = NULL;
        tutti_endpoint ep_id;
        tutti_channel ch;
        tutti_datafeed feed;
        tutti_party party;
        CHECK(tutti_runtime_app_endpoint_create(rt, 8, &ep));
        CHECK(tutti_app_endpoint_id(ep, &ep_id));
        CHECK(tutti_runtime_channel_create(rt, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch));
        feed.kind = TUTTI_DATAFEED_KIND_ENDPOINT;
        feed.handle = ep_id;
        CHECK(tutti_runtime_channel_connect_input(rt, ch, feed));
        CHECK(tutti_runtime_channel_datafeed(rt, ch, &feed));
        CHECK(tutti_runtime_endpoint_connect(rt, ep_id, feed));
        CHECK(tutti_runtime_conference_add_party(rt, conf_id, ch, ch, NULL, &party));
        for (unsigned t = 0; t < 6; t++) {
            bool accepted = false, got = true;
            for (size_t i = 0; i < frame_len; i++) frame[i] = talker_sample(who, t, i);
            CHECK(tutti_app_endpoint_write(ep, frame, frame_len, &accepted));
            sleep_ms(10);
            while (got) {
                CHECK(tutti_app_endpoint_read(ep, frame, frame_len, &got));
                if (got) {
                    pthread_mutex_lock(&counters_lock);
                    frames_read++;
                    pthread_mutex_unlock(&counters_lock);
                }
            }
        }
        CHECK(tutti_runtime_conference_remove_party(rt, conf_id, party));
        CHECK(tutti_runtime_channel_release(rt, ch));
        CHECK(tutti_app_endpoint_free(ep));
        EXPECT(tutti_app_endpoint_free(ep), TUTTI_RESULT_STALE_HANDLE);
    }
    free(frame);
    return NULL;
}

/* Concurrent use of one processor is detected, not raced: one thread ticks while another
 * asks for statistics until it is told TUTTI_RESULT_BUSY. */
static volatile int ticking_done;
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;

static void *ticker(void *arg) {
    tutti_processor *p = (tutti_processor *)arg;
    for (;;) {
        pthread_mutex_lock(&busy_lock);
        int done = ticking_done;
        pthread_mutex_unlock(&busy_lock);
        if (done) break;
        tutti_result r = tutti_processor_tick(p);
        ENSURE(r == TUTTI_RESULT_OK || r == TUTTI_RESULT_BUSY);
    }
    return NULL;
}

static void check_busy(void) {
    tutti_processor *p = NULL;
    tutti_conference *conf = NULL;
    CHECK(tutti_processor_new(48000, 20, &p));
    CHECK(tutti_conference_create(p, &conf));
    for (int i = 0; i < 64; i++) { /* make each tick take a while */
        tutti_channel ch;
        tutti_party party;
        CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch));
        CHECK(tutti_conference_add_party(conf, ch, ch, NULL, &party));
    }
    pthread_t t;
    ENSURE(pthread_create(&t, NULL, ticker, p) == 0);
    unsigned long busy = 0, ok = 0;
    time_t start = time(NULL);
    while (busy == 0 && time(NULL) - start < 20) {
        tutti_stats st;
        tutti_result r = tutti_processor_stats(p, &st);
        ENSURE(r == TUTTI_RESULT_OK || r == TUTTI_RESULT_BUSY);
        if (r == TUTTI_RESULT_BUSY) busy++; else ok++;
    }
    pthread_mutex_lock(&busy_lock);
    ticking_done = 1;
    pthread_mutex_unlock(&busy_lock);
    ENSURE(pthread_join(t, NULL) == 0);
    ENSURE(busy > 0);
    CHECK(tutti_conference_free(conf));
    CHECK(tutti_processor_free(p));
    printf("runtime_threads: concurrent use of a processor reported TUTTI_RESULT_BUSY\n");
}

int main(int argc, char **argv) {
    check_busy();
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[1024];
    snprintf(path, sizeof path, "%s/runtime-monitor.wav", dir);
    tutti_processor *p = NULL;
    CHECK(tutti_processor_new(8000, 20, &p));
    CHECK(tutti_processor_frame_len(p, &frame_len));
    tutti_runtime_options opts;
    CHECK(tutti_runtime_options_default(&opts));
    opts.realtime_priority = 0; /* do not ask for SCHED_FIFO in tests */
    CHECK(tutti_runtime_start(p, &opts, on_event, NULL, &rt));
    EXPECT(tutti_processor_tick(p), TUTTI_RESULT_STALE_HANDLE); /* moved into the runtime */
    CHECK(tutti_runtime_conference_create(rt, &conf_id));

    /* A monitor, recorded while the legs come and go. */
    tutti_channel mon;
    tutti_party mon_party;
    tutti_datafeed mon_feed;
    tutti_recorder rec;
    CHECK(tutti_runtime_channel_create(rt, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &mon));
    CHECK(tutti_runtime_conference_add_monitor(rt, conf_id, mon, &mon_party));
    CHECK(tutti_runtime_channel_datafeed(rt, mon, &mon_feed));
    CHECK(tutti_runtime_record(rt, mon_feed, path, NULL, &rec));

    pthread_t threads[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        ENSURE(pthread_create(&threads[i], NULL, leg_thread, (void *)(uintptr_t)i) == 0);
    }
    for (unsigned i = 0; i < THREADS; i++) ENSURE(pthread_join(threads[i], NULL) == 0);

    size_t parties = 99;
    CHECK(tutti_runtime_conference_party_count(rt, conf_id, &parties));
    ENSURE(parties == 1); /* the monitor */
    CHECK(tutti_runtime_recorder_stop(rt, rec));
    EXPECT(tutti_runtime_recorder_stop(rt, rec), TUTTI_RESULT_STALE_HANDLE);
    tutti_runtime_counters st;
    CHECK(tutti_runtime_stats(rt, &st));
    ENSURE(st.ticks > 0 && st.commands > 0);
    CHECK(tutti_runtime_conference_delete(rt, conf_id));

    tutti_processor *back = NULL;
    CHECK(tutti_runtime_stop(rt, &back));
    EXPECT(tutti_runtime_stop(rt, NULL), TUTTI_RESULT_STALE_HANDLE);
    tutti_stats ps;
    CHECK(tutti_processor_stats(back, &ps));
    ENSURE(ps.channels == 1 && ps.participants == 0); /* the monitor's channel */
    CHECK(tutti_processor_free(back));

    pthread_mutex_lock(&counters_lock);
    printf("runtime_threads: %lu ticks, %lu events (%lu talk), %lu frames read, %lu recorded\n",
           (unsigned long)st.ticks, events_seen, talk_events, frames_read, recorded_frames);
    ENSURE(frames_read > 0);
    ENSURE(recorded_frames > 0);
    pthread_mutex_unlock(&counters_lock);
    printf("runtime_threads: ok\n");
    return 0;
}
