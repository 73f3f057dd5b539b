/*
 * bad_input.c: every misuse of the C API returns its documented error, writes nothing
 * through out-pointers, and leaves the processor working.
 * Usage: bad_input [DIR] (scratch files go to DIR, default "."). Exits non-zero on any
 * unexpected result.
 */
#include "common.h"

/* A test hook exported by libtutti but deliberately absent from tutti.h: it panics inside
 * the library's panic boundary. */
#ifdef __cplusplus
extern "C"
#endif
    tutti_result
    tutti_debug_force_panic(tutti_processor *proc);

#define SENTINEL_U64 0xDEADBEEFCAFEF00Dull

static uint64_t channels_of(tutti_processor *p) {
    tutti_stats st;
    CHECK(tutti_processor_stats(p, &st));
    return st.channels;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[1024];
    tutti_processor *p = NULL;
    size_t len = 0;

    /* --- result names and messages */
    ENSURE(strcmp(tutti_result_name(TUTTI_RESULT_OK), "TUTTI_RESULT_OK") == 0);
    ENSURE(strcmp(tutti_result_name(TUTTI_RESULT_PANIC), "TUTTI_RESULT_PANIC") == 0);
    ENSURE(strcmp(tutti_result_name(999), "TUTTI_RESULT_UNKNOWN") == 0);
    for (uint32_t r = 0; r <= 13; r++) ENSURE(strncmp(tutti_result_name(r), "TUTTI_RESULT_", 13) == 0);
    ENSURE(strcmp(tutti_event_kind_name(TUTTI_EVENT_TALK_STARTED), "TUTTI_EVENT_TALK_STARTED") == 0);
    ENSURE(tutti_version() != NULL && tutti_version()[0] != '\0');

    /* --- processor creation */
    EXPECT(tutti_processor_new(44100, 20, &p), TUTTI_RESULT_INVALID_CONFIG);
    EXPECT(tutti_processor_new(8000, 15, &p), TUTTI_RESULT_INVALID_CONFIG);
    ENSURE(p == NULL); /* nothing written on failure */
    EXPECT(tutti_processor_new(8000, 20, NULL), TUTTI_RESULT_NULL_POINTER);

    /* --- the last error message: snprintf-like, per thread, unchanged by itself */
    char msg[256];
    size_t full = 0;
    CHECK(tutti_last_error_message(NULL, 0, &full));
    ENSURE(full > 0); /* the NULL out-pointer above */
    char tiny[8];
    CHECK(tutti_last_error_message(tiny, sizeof tiny, &full));
    ENSURE(strlen(tiny) == sizeof tiny - 1 && full > sizeof tiny);
    CHECK(tutti_last_error_message(msg, sizeof msg, NULL));
    ENSURE(strstr(msg, "out") != NULL);
    EXPECT(tutti_last_error_message(NULL, 10, &full), TUTTI_RESULT_NULL_POINTER);

    CHECK(tutti_processor_new(8000, 20, &p));
    CHECK(tutti_processor_frame_len(p, &len));
    EXPECT(tutti_processor_config(p, NULL, NULL), TUTTI_RESULT_NULL_POINTER);

    /* --- NULL and forged processors */
    EXPECT(tutti_processor_tick(NULL), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_processor_tick((tutti_processor *)(uintptr_t)0x1234), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_processor_tick((tutti_processor *)msg), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_processor_free((tutti_processor *)(uintptr_t)0x1234), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_processor_free(NULL)); /* a no-op, like free(NULL) */

    /* --- double free and use after free of a processor are detected */
    tutti_processor *q = NULL;
    CHECK(tutti_processor_new(16000, 10, &q));
    CHECK(tutti_processor_free(q));
    EXPECT(tutti_processor_free(q), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_processor_tick(q), TUTTI_RESULT_STALE_HANDLE);
    tutti_processor *q2 = NULL; /* a new processor may reuse the slot; the old pointer stays stale */
    CHECK(tutti_processor_new(16000, 10, &q2));
    EXPECT(tutti_processor_tick(q), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_processor_tick(q2));
    CHECK(tutti_processor_free(q2));

    /* --- channels */
    tutti_channel ch = SENTINEL_U64;
    EXPECT(tutti_channel_create(p, 7, &ch), TUTTI_RESULT_INVALID_ARGUMENT);
    ENSURE(ch == SENTINEL_U64);
    EXPECT(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, NULL), TUTTI_RESULT_NULL_POINTER);
    ENSURE(channels_of(p) == 0); /* a failed call changed nothing */
    EXPECT(tutti_channel_release(p, 0), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_channel_release(p, SENTINEL_U64), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch));
    ENSURE(ch != 0);
    CHECK(tutti_channel_release(p, ch));
    EXPECT(tutti_channel_release(p, ch), TUTTI_RESULT_STALE_HANDLE);
    tutti_channel ch2;
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch2)); /* reuses the slot */
    EXPECT(tutti_channel_set_input_gain(p, ch, 0.0f), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_channel_set_input_gain(p, ch2, 100.0f), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_channel_set_output_gain(p, ch2, -1000.0f), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_channel_set_output_gain(p, ch2, 0.0f / 0.0f), TUTTI_RESULT_INVALID_ARGUMENT);
    tutti_agc_config agc;
    CHECK(tutti_agc_config_default(&agc));
    CHECK(tutti_channel_enable_input_agc(p, ch2, &agc));
    CHECK(tutti_channel_enable_output_agc(p, ch2, NULL));
    CHECK(tutti_channel_disable_input_agc(p, ch2));
    CHECK(tutti_channel_disable_output_agc(p, ch2));
    agc.target_dbm0 = 1e300;
    EXPECT(tutti_channel_enable_input_agc(p, ch2, &agc), TUTTI_RESULT_INVALID_ARGUMENT);
    CHECK(tutti_agc_config_default(&agc));
    agc.attack_ms = 0;
    EXPECT(tutti_channel_enable_output_agc(p, ch2, &agc), TUTTI_RESULT_INVALID_ARGUMENT);

    tutti_channel in_only, out_only;
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_INPUT_ONLY, &in_only));
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &out_only));
    tutti_datafeed feed = {99, 0};
    EXPECT(tutti_channel_datafeed(p, in_only, &feed), TUTTI_RESULT_INVALID_STATE);
    ENSURE(feed.kind == 99);
    EXPECT(tutti_channel_connect_input(p, out_only, feed), TUTTI_RESULT_INVALID_ARGUMENT);
    CHECK(tutti_channel_datafeed(p, out_only, &feed));
    EXPECT(tutti_channel_connect_input(p, out_only, feed), TUTTI_RESULT_INVALID_STATE);
    tutti_datafeed bad_feed = {TUTTI_DATAFEED_KIND_ENDPOINT, ch2};
    EXPECT(tutti_channel_connect_input(p, in_only, bad_feed), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_channel_connect_input(p, in_only, feed));

    /* --- endpoints and frames */
    tutti_endpoint ep;
    CHECK(tutti_endpoint_create(p, &ep));
    int16_t frame[320];
    for (size_t i = 0; i < 320; i++) frame[i] = 777;
    EXPECT(tutti_endpoint_write(p, ep, frame, len - 1), TUTTI_RESULT_FRAME_SIZE);
    EXPECT(tutti_endpoint_write(p, ep, frame, len + 1), TUTTI_RESULT_FRAME_SIZE);
    EXPECT(tutti_endpoint_write(p, ep, NULL, len), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_endpoint_write(p, ep, NULL, 0), TUTTI_RESULT_FRAME_SIZE);
    EXPECT(tutti_endpoint_read(p, ep, frame, 10), TUTTI_RESULT_FRAME_SIZE);
    ENSURE(frame[0] == 777 && frame[9] == 777); /* nothing written */
    EXPECT(tutti_endpoint_read(p, ep + 1, frame, len), TUTTI_RESULT_STALE_HANDLE);
    ENSURE(frame[0] == 777);
    uint64_t missing = SENTINEL_U64;
    EXPECT(tutti_endpoint_missing_frames(p, 0, &missing), TUTTI_RESULT_STALE_HANDLE);
    ENSURE(missing == SENTINEL_U64);
    bad_feed.kind = 5;
    EXPECT(tutti_endpoint_connect(p, ep, bad_feed), TUTTI_RESULT_INVALID_ARGUMENT);

    /* --- conference primitives */
    tutti_participant part = SENTINEL_U64;
    EXPECT(tutti_conf_prim_add(p, ch2, in_only, 0.0f), TUTTI_RESULT_INVALID_STATE); /* not started */
    CHECK(tutti_conf_prim_start(p, ch2));
    EXPECT(tutti_conf_prim_start(p, ch2), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_conf_prim_start(p, in_only), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_conf_prim_add(p, ch2, in_only, 0.0f), TUTTI_RESULT_INVALID_STATE); /* not attached */
    EXPECT(tutti_conf_prim_attach(p, out_only, &part), TUTTI_RESULT_INVALID_STATE);
    ENSURE(part == SENTINEL_U64);
    CHECK(tutti_conf_prim_attach(p, in_only, &part));
    EXPECT(tutti_conf_prim_attach(p, in_only, &part), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_conf_prim_add(p, ch2, in_only, 30.0f), TUTTI_RESULT_INVALID_ARGUMENT);
    CHECK(tutti_conf_prim_add(p, ch2, in_only, -3.0f));
    EXPECT(tutti_channel_output_silence(p, ch2), TUTTI_RESULT_INVALID_STATE); /* a conference */
    size_t count = 12345;
    tutti_conf_member members[1];
    EXPECT(tutti_conf_prim_members(p, ch2, members, 0, &count), TUTTI_RESULT_BUFFER_TOO_SMALL);
    ENSURE(count == 12345);
    EXPECT(tutti_conf_prim_members(p, ch2, NULL, 1, &count), TUTTI_RESULT_NULL_POINTER);
    CHECK(tutti_conf_prim_member_count(p, ch2, &count));
    ENSURE(count == 1);
    CHECK(tutti_conf_prim_members(p, ch2, members, 1, &count));
    ENSURE(count == 1 && members[0].participant == part && members[0].channel == in_only);
    CHECK(tutti_conf_prim_status(p, ch2, NULL, 0, &count)); /* nothing talking, zero room */
    ENSURE(count == 0);
    CHECK(tutti_conf_prim_leave(p, ch2, in_only));
    EXPECT(tutti_conf_prim_leave(p, ch2, in_only), TUTTI_RESULT_INVALID_STATE);
    CHECK(tutti_conf_prim_detach(p, in_only));
    EXPECT(tutti_conf_prim_detach(p, in_only), TUTTI_RESULT_INVALID_STATE);
    CHECK(tutti_conf_prim_stop(p, ch2));
    EXPECT(tutti_conf_prim_stop(p, ch2), TUTTI_RESULT_INVALID_STATE);

    /* --- the high-level layer */
    tutti_conference *conf = NULL;
    tutti_party party = 4242, party2;
    EXPECT(tutti_conference_create(NULL, &conf), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_conference_create(p, NULL), TUTTI_RESULT_NULL_POINTER);
    CHECK(tutti_conference_create(p, &conf));
    EXPECT(tutti_conference_add_party(NULL, ch2, ch2, NULL, &party), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_conference_add_party(conf, ch2, ch2, NULL, NULL), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_conference_add_party(conf, 0, ch2, NULL, &party), TUTTI_RESULT_STALE_HANDLE);
    ENSURE(party == 4242);
    tutti_party_options opts;
    CHECK(tutti_party_options_default(&opts));
    opts.in_volume_db = 50.0f;
    EXPECT(tutti_conference_add_party(conf, ch2, ch2, &opts, &party), TUTTI_RESULT_INVALID_ARGUMENT);
    opts.in_volume_db = 0.0f;
    opts.out_agc = true;
    opts.out_agc_config.release_ms = 0;
    EXPECT(tutti_conference_add_party(conf, ch2, ch2, &opts, &party), TUTTI_RESULT_INVALID_ARGUMENT);
    CHECK(tutti_conference_add_party(conf, ch2, ch2, NULL, &party));
    EXPECT(tutti_conference_add_party(conf, ch2, ch2, NULL, &party2), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_conference_add_monitor(conf, in_only, &party2), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_conference_add_coach(conf, in_only, out_only, 999, &party2), TUTTI_RESULT_INVALID_STATE);
    tutti_party mon;
    CHECK(tutti_conference_add_monitor(conf, out_only, &mon));
    tutti_channel coach;
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &coach));
    EXPECT(tutti_conference_add_coach(conf, coach, coach, mon, &party2), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_conference_add_background(conf, in_only, 99.0f, &party2), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_conference_remove_party(conf, 999), TUTTI_RESULT_INVALID_STATE);
    tutti_party_info info[1];
    count = 777;
    EXPECT(tutti_conference_info(conf, info, 1, &count), TUTTI_RESULT_BUFFER_TOO_SMALL);
    ENSURE(count == 777);
    EXPECT(tutti_conference_info(conf, info, 1, NULL), TUTTI_RESULT_NULL_POINTER);
    /* A channel released under the conference: removing its party still works. */
    CHECK(tutti_channel_release(p, ch2));
    CHECK(tutti_conference_remove_party(conf, party));
    CHECK(tutti_conference_free(conf));
    EXPECT(tutti_conference_free(conf), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_conference_add_monitor(conf, out_only, &party2), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_conference_delete(conf), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_conference_free(NULL));

    /* --- record and replay */
    tutti_recorder rec = SENTINEL_U64;
    tutti_player player = SENTINEL_U64;
    tutti_record_options ropts;
    CHECK(tutti_record_options_default(&ropts));
    CHECK(tutti_channel_datafeed(p, out_only, &feed));
    EXPECT(tutti_record(p, feed, NULL, NULL, &rec), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_record(p, feed, "", NULL, &rec), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_record(p, feed, "/nonexistent-dir/x.wav", NULL, &rec), TUTTI_RESULT_IO);
    snprintf(path, sizeof path, "%s/bad-input-rec.wav", dir);
    ropts.queue_ms = 1;
    EXPECT(tutti_record(p, feed, path, &ropts, &rec), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_record_input(p, out_only, path, NULL, &rec), TUTTI_RESULT_INVALID_STATE);
    ENSURE(rec == SENTINEL_U64);
    EXPECT(tutti_recorder_stop(p, 0), TUTTI_RESULT_STALE_HANDLE);
    /* A file that is not a WAV file. */
    snprintf(path, sizeof path, "%s/bad-input-garbage.wav", dir);
    FILE *f = fopen(path, "wb");
    ENSURE(f != NULL);
    fputs("this is not a RIFF file at all, just text", f);
    fclose(f);
    tutti_channel player_ch;
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &player_ch));
    EXPECT(tutti_replay(p, player_ch, path, NULL, &player), TUTTI_RESULT_BAD_FILE);
    snprintf(path, sizeof path, "%s/does-not-exist.wav", dir);
    tutti_result r = tutti_replay(p, player_ch, path, NULL, &player);
    ENSURE(r == TUTTI_RESULT_IO || r == TUTTI_RESULT_BAD_FILE);
    ENSURE(player == SENTINEL_U64);
    EXPECT(tutti_replay_stop(p, 0), TUTTI_RESULT_STALE_HANDLE);
    bool fin = true;
    EXPECT(tutti_replay_finished(p, 0, &fin), TUTTI_RESULT_STALE_HANDLE);
    ENSURE(fin);

    /* --- events: drain, then the queue is empty */
    tutti_event ev;
    EXPECT(tutti_event_poll(p, NULL), TUTTI_RESULT_NULL_POINTER);
    while (tutti_event_poll(p, &ev) == TUTTI_RESULT_OK) {
    }
    memset(&ev, 0xAB, sizeof ev);
    EXPECT(tutti_event_poll(p, &ev), TUTTI_RESULT_NO_EVENT);
    ENSURE(((unsigned char *)&ev)[0] == 0xAB);

    /* The processor still works after all that. */
    CHECK(tutti_endpoint_write(p, ep, frame, len));
    CHECK(tutti_processor_tick(p));

    /* --- a conference outliving its processor */
    tutti_processor *p2 = NULL;
    tutti_conference *orphan = NULL;
    CHECK(tutti_processor_new(8000, 10, &p2));
    CHECK(tutti_conference_create(p2, &orphan));
    CHECK(tutti_processor_free(p2));
    EXPECT(tutti_conference_party_count(orphan, &count), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_conference_delete(orphan), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_conference_free(orphan));

    /* --- talk detector settings */
    tutti_talk_config talk;
    CHECK(tutti_talk_config_default(&talk));
    CHECK(tutti_processor_set_talk_config(p, &talk));
    EXPECT(tutti_processor_set_talk_config(p, NULL), TUTTI_RESULT_NULL_POINTER);
    talk.off_dbm0 = talk.on_dbm0 + 1.0;
    EXPECT(tutti_processor_set_talk_config(p, &talk), TUTTI_RESULT_INVALID_ARGUMENT);

    /* --- the runtime */
    tutti_runtime *rt = NULL;
    tutti_runtime_options rto;
    CHECK(tutti_runtime_options_default(&rto));
    rto.realtime_priority = 0;
    EXPECT(tutti_runtime_start(NULL, &rto, NULL, NULL, &rt), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_runtime_start(q, &rto, NULL, NULL, &rt), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_runtime_start(p, &rto, NULL, NULL, NULL), TUTTI_RESULT_NULL_POINTER);
    rto.event_queue = 0;
    EXPECT(tutti_runtime_start(p, &rto, NULL, NULL, &rt), TUTTI_RESULT_INVALID_ARGUMENT);
    rto.event_queue = 64;
    rto.realtime_priority = 200;
    EXPECT(tutti_runtime_start(p, &rto, NULL, NULL, &rt), TUTTI_RESULT_INVALID_ARGUMENT);
    ENSURE(rt == NULL);
    CHECK(tutti_processor_tick(p)); /* a failed start does not consume the processor */
    tutti_processor *rp = NULL;
    CHECK(tutti_processor_new(8000, 20, &rp));
    rto.realtime_priority = 0;
    CHECK(tutti_runtime_start(rp, &rto, NULL, NULL, &rt));
    EXPECT(tutti_processor_free(rp), TUTTI_RESULT_STALE_HANDLE); /* owned by the runtime now */
    tutti_app_endpoint *aep = NULL;
    EXPECT(tutti_runtime_app_endpoint_create(rt, 0, &aep), TUTTI_RESULT_INVALID_ARGUMENT);
    CHECK(tutti_runtime_app_endpoint_create(rt, 4, &aep));
    bool flag = false;
    EXPECT(tutti_app_endpoint_write(aep, frame, 3, &flag), TUTTI_RESULT_FRAME_SIZE);
    EXPECT(tutti_app_endpoint_read(aep, frame, 3, &flag), TUTTI_RESULT_FRAME_SIZE);
    EXPECT(tutti_app_endpoint_write(aep, frame, len, NULL), TUTTI_RESULT_NULL_POINTER);
    EXPECT(tutti_runtime_channel_create(rt, 9, &ch), TUTTI_RESULT_INVALID_ARGUMENT);
    EXPECT(tutti_runtime_channel_release(rt, 0), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_runtime_conference_remove_party(rt, 12345, 1), TUTTI_RESULT_INVALID_STATE);
    EXPECT(tutti_runtime_event_poll(NULL, &ev), TUTTI_RESULT_NULL_POINTER);
    CHECK(tutti_runtime_stop(rt, NULL));
    EXPECT(tutti_runtime_stop(rt, NULL), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_runtime_channel_create(rt, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_app_endpoint_free(aep)); /* outlives its runtime; freed on its own */
    EXPECT(tutti_app_endpoint_free(aep), TUTTI_RESULT_STALE_HANDLE);
    EXPECT(tutti_runtime_stop(NULL, NULL), TUTTI_RESULT_NULL_POINTER);

    /* --- a panic inside the library is caught at the boundary */
    tutti_processor *doomed = NULL;
    CHECK(tutti_processor_new(8000, 20, &doomed));
    fprintf(stderr, "bad_input: a panic message is expected next\n");
    EXPECT(tutti_debug_force_panic(doomed), TUTTI_RESULT_PANIC);
    CHECK(tutti_last_error_message(msg, sizeof msg, NULL));
    ENSURE(strstr(msg, "panic") != NULL);
    EXPECT(tutti_processor_tick(doomed), TUTTI_RESULT_PANIC); /* unusable from now on */
    CHECK(tutti_processor_free(doomed));                      /* but it can be freed */
    EXPECT(tutti_debug_force_panic(NULL), TUTTI_RESULT_NULL_POINTER);

    CHECK(tutti_processor_free(p));
    EXPECT(tutti_processor_free(p), TUTTI_RESULT_STALE_HANDLE);
    printf("bad_input: ok\n");
    return 0;
}
