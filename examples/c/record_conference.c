/*
 * record_conference.c: records a conference to WAV files, reads them back, replays one.
 *
 * Three members talk. The monitor output is recorded to a mono WAV file, two members'
 * outputs to one stereo file, and one member's input to a third file. The files are read back
 * with a small WAV reader and compared with the expected mixes sample by sample; then the
 * mono file is replayed onto a channel and what it plays is compared with the file.
 * Usage: record_conference [DIR] (files are written to DIR, default "."). Exits non-zero on
 * any mismatch.
 */
#include "common.h"

#define TICKS 50
#define MEMBERS 3

typedef struct {
    unsigned channels, rate, bits;
    int16_t *samples; /* interleaved */
    size_t frames;
} wav;

static uint32_t le32(const unsigned char *b) {
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint16_t le16(const unsigned char *b) { return (uint16_t)(b[0] | b[1] << 8); }

/* Reads a 16-bit PCM WAV file; returns 0 on success. */
static int wav_read(const char *path, wav *w) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char hdr[12], ck[8], fmt[40];
    int ok = 0;
    memset(w, 0, sizeof *w);
    if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4)) goto done;
    while (fread(ck, 1, 8, f) == 8) {
        uint32_t size = le32(ck + 4);
        if (!memcmp(ck, "fmt ", 4)) {
            if (size < 16 || size > sizeof fmt || fread(fmt, 1, size, f) != size) goto done;
            uint16_t format = le16(fmt);
            if (format != 1 && format != 0xFFFE) goto done;
            w->channels = le16(fmt + 2);
            w->rate = le32(fmt + 4);
            w->bits = le16(fmt + 14);
            if (size & 1) fseek(f, 1, SEEK_CUR);
        } else if (!memcmp(ck, "data", 4)) {
            if (w->bits != 16 || w->channels == 0) goto done;
            w->samples = (int16_t *)malloc(size ? size : 1);
            if (!w->samples || fread(w->samples, 1, size, f) != size) goto done;
            for (size_t i = 0; i < size / 2; i++) { /* to host order */
                unsigned char *b = (unsigned char *)&w->samples[i];
                w->samples[i] = (int16_t)le16(b);
            }
            w->frames = size / 2 / w->channels;
            ok = 1;
            break;
        } else {
            fseek(f, (long)(size + (size & 1)), SEEK_CUR);
        }
    }
done:
    fclose(f);
    if (!ok) {
        free(w->samples);
        w->samples = NULL;
    }
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : ".";
    char mono[1024], stereo[1024], input[1024];
    snprintf(mono, sizeof mono, "%s/conference-monitor.wav", dir);
    snprintf(stereo, sizeof stereo, "%s/conference-a-b.wav", dir);
    snprintf(input, sizeof input, "%s/conference-c-input.wav", dir);

    tutti_processor *p = NULL;
    tutti_conference *conf = NULL;
    tutti_endpoint ep[MEMBERS];
    tutti_channel ch[MEMBERS], mon;
    tutti_party party;
    tutti_datafeed feed;
    size_t len = 0;
    CHECK(tutti_processor_new(8000, 20, &p));
    CHECK(tutti_processor_frame_len(p, &len));
    CHECK(tutti_conference_create(p, &conf));
    for (int i = 0; i < MEMBERS; i++) {
        CHECK(tutti_endpoint_create(p, &ep[i]));
        CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_FULL_DUPLEX, &ch[i]));
        CHECK(tutti_endpoint_datafeed(p, ep[i], &feed));
        CHECK(tutti_channel_connect_input(p, ch[i], feed));
        CHECK(tutti_channel_datafeed(p, ch[i], &feed));
        CHECK(tutti_endpoint_connect(p, ep[i], feed));
        CHECK(tutti_conference_add_party(conf, ch[i], ch[i], NULL, &party));
    }
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &mon));
    CHECK(tutti_conference_add_monitor(conf, mon, &party));

    tutti_record_options ropts;
    CHECK(tutti_record_options_default(&ropts));
    tutti_recorder rec_mono, rec_stereo, rec_input;
    tutti_datafeed fa, fb;
    CHECK(tutti_channel_datafeed(p, mon, &feed));
    CHECK(tutti_record(p, feed, mono, &ropts, &rec_mono));
    CHECK(tutti_channel_datafeed(p, ch[0], &fa));
    CHECK(tutti_channel_datafeed(p, ch[1], &fb));
    CHECK(tutti_record_stereo(p, fa, fb, stereo, NULL, &rec_stereo));
    CHECK(tutti_record_input(p, ch[2], input, NULL, &rec_input));

    int16_t *in = (int16_t *)calloc(MEMBERS * len * TICKS, sizeof(int16_t));
    ENSURE(in);
    for (unsigned t = 0; t < TICKS; t++) {
        for (int i = 0; i < MEMBERS; i++) {
            int16_t *frame = &in[(t * MEMBERS + (unsigned)i) * len];
            for (size_t s = 0; s < len; s++) frame[s] = talker_sample((unsigned)i, t, s);
            CHECK(tutti_endpoint_write(p, ep[i], frame, len));
        }
        CHECK(tutti_processor_tick(p));
        if (t % 5 == 4) CHECK(tutti_service_io(p));
    }
    CHECK(tutti_recorder_stop(p, rec_mono));
    CHECK(tutti_recorder_stop(p, rec_stereo));
    CHECK(tutti_recorder_stop(p, rec_input));
    EXPECT(tutti_recorder_stop(p, rec_mono), TUTTI_RESULT_STALE_HANDLE);
    CHECK(tutti_service_io(p));

    unsigned stopped = 0;
    tutti_event ev;
    while (tutti_event_poll(p, &ev) == TUTTI_RESULT_OK) {
        if (ev.kind == TUTTI_EVENT_RECORDING_STOPPED) {
            ENSURE(ev.frames == (uint64_t)TICKS * len);
            stopped++;
        }
        ENSURE(ev.kind != TUTTI_EVENT_RECORDER_ERROR && ev.kind != TUTTI_EVENT_RECORDER_OVERFLOW);
    }
    ENSURE(stopped == 3);

    /* Read the files back. */
    wav wm, ws, wi;
    ENSURE(wav_read(mono, &wm) == 0);
    ENSURE(wav_read(stereo, &ws) == 0);
    ENSURE(wav_read(input, &wi) == 0);
    ENSURE(wm.channels == 1 && wm.rate == 8000 && wm.frames == TICKS * len);
    ENSURE(ws.channels == 2 && ws.rate == 8000 && ws.frames == TICKS * len);
    ENSURE(wi.channels == 1 && wi.frames == TICKS * len);
    for (unsigned t = 0; t < TICKS; t++) {
        const int16_t *a = &in[(t * MEMBERS + 0) * len];
        const int16_t *b = &in[(t * MEMBERS + 1) * len];
        const int16_t *c = &in[(t * MEMBERS + 2) * len];
        for (size_t s = 0; s < len; s++) {
            size_t k = t * len + s;
            if (wm.samples[k] != saturate16(a[s] + b[s] + c[s]) ||
                ws.samples[2 * k] != saturate16(b[s] + c[s]) ||
                ws.samples[2 * k + 1] != saturate16(a[s] + c[s]) || wi.samples[k] != c[s]) {
                fprintf(stderr, "recorded sample %zu differs from the mix\n", k);
                return 1;
            }
        }
    }

    /* Replay the monitor recording onto a new channel and listen to it. */
    tutti_channel player_ch;
    tutti_endpoint listener;
    tutti_player player;
    tutti_replay_options popts;
    CHECK(tutti_replay_options_default(&popts));
    CHECK(tutti_channel_create(p, TUTTI_CHANNEL_KIND_OUTPUT_ONLY, &player_ch));
    CHECK(tutti_endpoint_create(p, &listener));
    CHECK(tutti_channel_datafeed(p, player_ch, &feed));
    CHECK(tutti_endpoint_connect(p, listener, feed));
    CHECK(tutti_replay(p, player_ch, mono, &popts, &player));
    int16_t *heard = (int16_t *)calloc(len, sizeof(int16_t));
    ENSURE(heard);
    for (unsigned t = 0; t < TICKS; t++) {
        CHECK(tutti_processor_tick(p));
        CHECK(tutti_service_io(p));
        CHECK(tutti_endpoint_read(p, listener, heard, len));
        ENSURE(frame_mismatch(heard, &wm.samples[t * len], len) < 0);
    }
    CHECK(tutti_processor_tick(p));
    bool finished = false;
    CHECK(tutti_replay_finished(p, player, &finished));
    ENSURE(finished);
    unsigned finished_events = 0;
    while (tutti_event_poll(p, &ev) == TUTTI_RESULT_OK) {
        if (ev.kind == TUTTI_EVENT_REPLAY_FINISHED && ev.player == player && ev.channel == player_ch)
            finished_events++;
    }
    ENSURE(finished_events == 1);

    free(heard);
    free(in);
    free(wm.samples);
    free(ws.samples);
    free(wi.samples);
    CHECK(tutti_conference_free(conf));
    CHECK(tutti_processor_free(p));
    printf("record_conference: ok\n");
    return 0;
}
