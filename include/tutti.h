/*
 * tutti.h: the C API of tutti, a media-processing SDK for audio conferencing.
 *
 * Generated from the tutti-ffi crate by cbindgen; do not edit (run `make header`).
 *
 * Conventions:
 * - Every function returns a tutti_result (a few return static strings); outputs go
 *   through out-pointers and are written only on success. tutti_last_error_message()
 *   describes the last failure on the calling thread.
 * - tutti_processor * and tutti_conference * are opaque handles, not addresses. Freeing one
 *   twice, or passing a freed one, returns TUTTI_RESULT_STALE_HANDLE.
 * - Channels, endpoints, participants, recorders and players are uint64_t handles; 0 is
 *   never a valid handle. A released one returns TUTTI_RESULT_STALE_HANDLE.
 * - Every buffer pointer is followed by its length; a pointer may be NULL only when its
 *   length is 0.
 * - No panic crosses this boundary: an internal bug returns TUTTI_RESULT_PANIC.
 *
 * Threading: a tutti_processor (with its conferences) is used by one thread at a time; a
 * concurrent call returns TUTTI_RESULT_BUSY. Different processors may run on different
 * threads in parallel. A tutti_runtime (the built-in media thread) is thread-safe: any
 * thread may call tutti_runtime_* at any time. A tutti_app_endpoint is used by one thread at
 * a time. Functions marked "callable from any thread" take no object. See docs/c-api.md.
 */

#ifndef TUTTI_H
#define TUTTI_H



#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

// The largest number of entries `tutti_conf_prim_status` reports.
#define TUTTI_CONF_PRIM_STATUS_MAX 4

// Capacity of `tutti_event.message`, including its NUL.
#define TUTTI_EVENT_MESSAGE_CAPACITY 256

// The result of every tutti call. The numbers are stable.
//
// On any result other than `TUTTI_RESULT_OK` (and `TUTTI_RESULT_NO_EVENT`, which is not an
// error), nothing was written through the call's out-pointers, and
// `tutti_last_error_message` describes the problem.
enum tutti_result
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // Success.
    TUTTI_RESULT_OK = 0,
    // A required pointer argument was NULL (or a buffer pointer was NULL with a non-zero
    // length).
    TUTTI_RESULT_NULL_POINTER = 1,
    // A handle names an object that was released or freed, or was never issued. Freeing a
    // processor or conference twice returns this.
    TUTTI_RESULT_STALE_HANDLE = 2,
    // The object exists but the call does not fit its current state (e.g. adding an input
    // that is not attached, starting a conference on a channel without an output side).
    TUTTI_RESULT_INVALID_STATE = 3,
    // An argument is out of range or malformed (a gain outside -96..=24 dB, an unknown enum
    // value, a misaligned pointer, a path that is not valid for the platform, ...).
    TUTTI_RESULT_INVALID_ARGUMENT = 4,
    // The processor configuration is not supported (sample rate or frame duration).
    TUTTI_RESULT_INVALID_CONFIG = 5,
    // A frame buffer's length is not the processor's frame length.
    TUTTI_RESULT_FRAME_SIZE = 6,
    // A media file is malformed or unsupported.
    TUTTI_RESULT_BAD_FILE = 7,
    // An operating-system I/O error on a file.
    TUTTI_RESULT_IO = 8,
    // A fixed-capacity resource is exhausted.
    TUTTI_RESULT_CAPACITY = 9,
    // A caller buffer is too small for the result; query the count first.
    TUTTI_RESULT_BUFFER_TOO_SMALL = 10,
    // The object is in use by a call on another thread (processors and conferences are used
    // by one thread at a time). Nothing was done.
    TUTTI_RESULT_BUSY = 11,
    // `tutti_event_poll`: no event is pending. Not an error.
    TUTTI_RESULT_NO_EVENT = 12,
    // A call panicked inside tutti (a bug). The panic was caught at the boundary; the object
    // it was using is unusable from now on (its calls return `TUTTI_RESULT_PANIC`) and should
    // be freed.
    TUTTI_RESULT_PANIC = 13,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_result tutti_result;
#else
typedef uint32_t tutti_result;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// The role of a party.
enum tutti_role
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // Speaks to and hears the conference.
    TUTTI_ROLE_MEMBER = 0,
    // Hears the conference, is heard by nobody.
    TUTTI_ROLE_MONITOR = 1,
    // Heard by everybody, hears nothing.
    TUTTI_ROLE_BACKGROUND = 2,
    // Hears the conference, heard only by its pupil.
    TUTTI_ROLE_COACH = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_role tutti_role;
#else
typedef uint32_t tutti_role;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What happened (`tutti_event.kind`).
enum tutti_event_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // A conference input started talking: `channel`, `participant`.
    TUTTI_EVENT_TALK_STARTED = 0,
    // A conference input stopped talking (or stopped being heard while talking): `channel`,
    // `participant`.
    TUTTI_EVENT_TALK_STOPPED = 1,
    // The source a sink was connected to was released; the sink now receives silence:
    // `sink_kind`, `sink`.
    TUTTI_EVENT_FEED_RELEASED = 2,
    // A replay reached the end of its file (not looping); the channel's output now plays
    // silence: `player`, `channel`.
    TUTTI_EVENT_REPLAY_FINISHED = 3,
    // A replay ran out of buffered audio before it was refilled (`tutti_service_io` was not
    // called often enough): `player`.
    TUTTI_EVENT_REPLAY_UNDERRUN = 4,
    // Reading a replayed file failed; the replay stops: `player`, `message`.
    TUTTI_EVENT_REPLAY_ERROR = 5,
    // A recorder's queue was full and frames were dropped (once per episode): `recorder`.
    TUTTI_EVENT_RECORDER_OVERFLOW = 6,
    // Writing a recording failed; what was written stays a valid WAV file; the recording
    // stops: `recorder`, `message`.
    TUTTI_EVENT_RECORDER_ERROR = 7,
    // A recording was stopped and its file finalised: `recorder`, `frames`.
    TUTTI_EVENT_RECORDING_STOPPED = 8,
    // A high-level conference lost its last party: `conference` (see
    // `tutti_conference_id`).
    TUTTI_EVENT_CONFERENCE_EMPTY = 9,
    // A tone was recognised on a listening channel input (`tutti_listen_for`): `channel`,
    // `tone`, `tone_digit`, `tone_custom`, `start_ms`, `level_dbm0`.
    TUTTI_EVENT_TONE_STARTED = 10,
    // A recognised tone ended: as `TUTTI_EVENT_TONE_STARTED`, plus `end_ms`.
    TUTTI_EVENT_TONE_ENDED = 11,
    // A tone generator on a channel output finished; the output plays silence: `channel`.
    TUTTI_EVENT_TONES_FINISHED = 12,
    // Runtime: an app endpoint had no frame from the application at a tick and played
    // silence (once per episode): `endpoint`.
    TUTTI_EVENT_ENDPOINT_UNDERRUN = 13,
    // Runtime: frames written to an app endpoint were dropped because its ring was full (once
    // per episode): `endpoint`.
    TUTTI_EVENT_ENDPOINT_OVERRUN = 14,
    // Runtime: the media thread fell so far behind that it skipped frames: `frames`.
    TUTTI_EVENT_FRAMES_SKIPPED = 15,
    // Runtime: real-time priority was asked for and refused; the media thread runs at normal
    // priority: `message`.
    TUTTI_EVENT_REALTIME_UNAVAILABLE = 16,
    // An event this version of the C ABI does not describe; `message` names it.
    TUTTI_EVENT_OTHER = 255,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_event_kind tutti_event_kind;
#else
typedef uint32_t tutti_event_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Which kind of sink a `TUTTI_EVENT_FEED_RELEASED` event names.
enum tutti_sink_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // Not a `TUTTI_EVENT_FEED_RELEASED` event.
    TUTTI_SINK_NONE = 0,
    // A channel's input side; `sink` is a `tutti_channel`.
    TUTTI_SINK_CHANNEL_INPUT = 1,
    // A channel's output side in pass-through mode; `sink` is a `tutti_channel`.
    TUTTI_SINK_CHANNEL_OUTPUT = 2,
    // An endpoint's transmitter; `sink` is a `tutti_endpoint`.
    TUTTI_SINK_ENDPOINT = 3,
    // A recorder; `sink` is a `tutti_recorder`.
    TUTTI_SINK_RECORDER = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_sink_kind tutti_sink_kind;
#else
typedef uint32_t tutti_sink_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A tone, as reported by `TUTTI_EVENT_TONE_STARTED` / `TUTTI_EVENT_TONE_ENDED` events
// (`tutti_event.tone`) and as generated by `tutti_channel_output_call_progress`.
enum tutti_tone
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // A DTMF digit; `tutti_event.tone_digit` is `0-9`, `*`, `#` or `A-D`.
    TUTTI_TONE_DTMF = 0,
    // Dial tone.
    TUTTI_TONE_DIAL = 1,
    // Audible ringing.
    TUTTI_TONE_RINGBACK = 2,
    // Busy.
    TUTTI_TONE_BUSY = 3,
    // Reorder (fast busy).
    TUTTI_TONE_REORDER = 4,
    // Special information tone.
    TUTTI_TONE_SIT = 5,
    // Fax calling tone (1100 Hz).
    TUTTI_TONE_CNG = 6,
    // Fax answer tone (2100 Hz).
    TUTTI_TONE_CED = 7,
    // A user-defined tone; `tutti_event.tone_custom` holds its number.
    TUTTI_TONE_CUSTOM = 8,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_tone tutti_tone;
#else
typedef uint32_t tutti_tone;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// Which sides a channel has (`tutti_channel_create`).
enum tutti_channel_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // An input side (a sink) and an output side (a source).
    TUTTI_CHANNEL_KIND_FULL_DUPLEX = 0,
    // An input side only.
    TUTTI_CHANNEL_KIND_INPUT_ONLY = 1,
    // An output side only.
    TUTTI_CHANNEL_KIND_OUTPUT_ONLY = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_channel_kind tutti_channel_kind;
#else
typedef uint32_t tutti_channel_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What a datafeed comes from.
enum tutti_datafeed_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // The output side of a channel; `handle` is a `tutti_channel`.
    TUTTI_DATAFEED_KIND_CHANNEL = 0,
    // The frames the application writes to an endpoint; `handle` is a `tutti_endpoint`.
    TUTTI_DATAFEED_KIND_ENDPOINT = 1,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_datafeed_kind tutti_datafeed_kind;
#else
typedef uint32_t tutti_datafeed_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// What `tutti_listen_for` listens for.
enum tutti_tone_set
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
    // DTMF digits (Q.24 limits).
    TUTTI_TONE_SET_DTMF = 0,
    // The North American call-progress tones (dial, ringback, busy, reorder, SIT).
    TUTTI_TONE_SET_CALL_PROGRESS = 1,
    // The fax tones (CNG, CED).
    TUTTI_TONE_SET_FAX = 2,
    // All of the above.
    TUTTI_TONE_SET_ALL = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum tutti_tone_set tutti_tone_set;
#else
typedef uint32_t tutti_tone_set;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// An application endpoint of a runtime: frames in and out over lock-free rings.
//
// The pointer is an opaque handle, not an address. Create with
// `tutti_runtime_app_endpoint_create`, free with `tutti_app_endpoint_free`.
//
// Thread safety: one thread at a time (typically the leg's RTP thread); a concurrent call
// returns `TUTTI_RESULT_BUSY`. Different endpoints may be used from different threads, while
// the media thread runs.
typedef struct tutti_app_endpoint tutti_app_endpoint;

// A high-level conference on a processor: members hear each other minus themselves;
// monitors, coaches and background sources have their own roles.
//
// The pointer is an opaque handle, not an address. Create with `tutti_conference_create`,
// free with `tutti_conference_free` (or `tutti_conference_delete`).
//
// Thread safety: like its processor, a conference is used by one thread at a time; a call on
// it also uses its processor, so the two must not be used concurrently (a concurrent call
// returns `TUTTI_RESULT_BUSY`).
typedef struct tutti_conference tutti_conference;

// A media processor: one sample rate, one frame duration, and the channels, endpoints,
// conferences, recorders and players on it.
//
// The pointer is an opaque handle, not an address. Create with `tutti_processor_new`, free
// with `tutti_processor_free`.
//
// Thread safety: a processor is not thread-safe. Use it from one thread at a time (any
// thread, e.g. under the application's own mutex); a call made while another thread is inside
// a call on the same processor returns `TUTTI_RESULT_BUSY` and does nothing.
typedef struct tutti_processor tutti_processor;

// A running media thread that owns a processor and ticks it in real time.
//
// The pointer is an opaque handle, not an address. Start with `tutti_runtime_start`, stop with
// `tutti_runtime_stop`.
//
// Thread safety: a runtime is thread-safe. Any number of threads may call `tutti_runtime_*`
// functions on it at once; each call is queued, applied on the media thread at the next tick
// boundary, and its result returned (the caller waits about one frame).
typedef struct tutti_runtime tutti_runtime;

// A channel handle (from `tutti_channel_create`). 0 is never a valid handle.
typedef uint64_t tutti_channel;

// A source of audio that sinks (channel inputs, channel outputs in pass-through, endpoint
// transmitters, recorders) connect to. Obtain one from `tutti_channel_datafeed` or
// `tutti_endpoint_datafeed`; it is a plain value, valid as long as its source lives.
typedef struct tutti_datafeed {
    // A `tutti_datafeed_kind` value.
    uint32_t kind;
    // The channel or endpoint handle.
    uint64_t handle;
} tutti_datafeed;

// Automatic gain control settings. Fill with `tutti_agc_config_default` and adjust.
typedef struct tutti_agc_config {
    // Average speech level to reach, in dBm0 (-60..=0; default -12).
    double target_dbm0;
    // Largest gain applied, in dB (0..=40; default 15).
    double max_gain_db;
    // Smallest gain (largest attenuation) applied, in dB (-40..=0; default -15).
    double min_gain_db;
    // Time constant of the speech-level estimate, in ms (1..=60000; default 1000).
    uint32_t level_time_ms;
    // Time constant with which the gain falls, in ms (1..=60000; default 300).
    uint32_t attack_ms;
    // Time constant with which the gain rises, in ms (1..=60000; default 2000).
    uint32_t release_ms;
    // Frames below this level are never speech, in dBm0 (-96..=0; default -45).
    double speech_threshold_dbm0;
} tutti_agc_config;

// An application endpoint handle (from `tutti_endpoint_create`). 0 is never a valid handle.
typedef uint64_t tutti_endpoint;

// A conference participant handle (from `tutti_conf_prim_attach`). 0 is never a valid
// handle.
typedef uint64_t tutti_participant;

// An input of a primitive conference output's set.
typedef struct tutti_conf_member {
    // Its participant handle.
    tutti_participant participant;
    // Its input channel.
    tutti_channel channel;
} tutti_conf_member;

// An active (talking) input of a conference output, as reported by
// `tutti_conf_prim_status`.
typedef struct tutti_active_input {
    // Its participant handle.
    tutti_participant participant;
    // Its input channel.
    tutti_channel channel;
    // Its recent power in dBm0.
    double power_dbm0;
} tutti_active_input;

// Settings of a member party. Fill with `tutti_party_options_default` and adjust.
typedef struct tutti_party_options {
    // Gain applied to what the party says, in dB (-96..=24).
    float in_volume_db;
    // Gain applied to what the party hears, in dB (-96..=24).
    float out_volume_db;
    // AGC on what the party says.
    bool in_agc;
    // AGC on what the party hears.
    bool out_agc;
    // AGC settings for `in_agc`.
    struct tutti_agc_config in_agc_config;
    // AGC settings for `out_agc`.
    struct tutti_agc_config out_agc_config;
} tutti_party_options;

// A party of a high-level conference. Party numbers start at 1 within each conference.
typedef uint32_t tutti_party;

// One party, as reported by `tutti_conference_info`.
typedef struct tutti_party_info {
    // The party's number.
    tutti_party party;
    // Its role.
    tutti_role role;
    // For a coach, the member it speaks to; 0 otherwise.
    tutti_party pupil;
    // Whether it speaks (has an input channel).
    bool has_input;
    // Its input channel, if `has_input`; 0 otherwise.
    tutti_channel input;
    // Whether it hears (has an output channel).
    bool has_output;
    // Its output channel, if `has_output`; 0 otherwise.
    tutti_channel output;
    // Whether it is talking now (a lone member, heard by nobody, never is).
    bool talking;
} tutti_party_info;

// One event. `kind` says which of the other fields are meaningful (see
// `tutti_event_kind`); the others are zero.
typedef struct tutti_event {
    // What happened.
    tutti_event_kind kind;
    // The tick count when it happened (ticks completed before it).
    uint64_t tick;
    // A channel handle.
    uint64_t channel;
    // A participant handle.
    uint64_t participant;
    // A player handle.
    uint64_t player;
    // A recorder handle.
    uint64_t recorder;
    // An endpoint handle.
    uint64_t endpoint;
    // The kind of `sink`.
    tutti_sink_kind sink_kind;
    // The sink left on silence (a channel, endpoint or recorder handle, per `sink_kind`).
    uint64_t sink;
    // A conference number.
    uint32_t conference;
    // Sample frames written to a recording.
    uint64_t frames;
    // The tone of a tone event.
    tutti_tone tone;
    // For `TUTTI_TONE_DTMF`, the digit (`0-9`, `*`, `#`, `A-D`); 0 otherwise.
    char tone_digit;
    // For `TUTTI_TONE_CUSTOM`, the tone's number; 0 otherwise.
    uint32_t tone_custom;
    // Estimated start of the tone, in ms of processor time (ticks times frame duration).
    uint64_t start_ms;
    // For `TUTTI_EVENT_TONE_ENDED`, the end of the tone in ms of processor time.
    uint64_t end_ms;
    // Level of the tone in dBm0.
    float level_dbm0;
    // A NUL-terminated description (errors), truncated to fit; empty otherwise.
    char message[TUTTI_EVENT_MESSAGE_CAPACITY];
} tutti_event;

// Options of a recording. Fill with `tutti_record_options_default` and adjust.
typedef struct tutti_record_options {
    // Capacity of the queue between the tick and the file writer, in ms of audio: at least
    // two frames, at most 60000 (default 4000). When `tutti_service_io` falls this far
    // behind, frames are dropped and counted.
    uint32_t queue_ms;
} tutti_record_options;

// Options of a replay. Fill with `tutti_replay_options_default` and adjust.
typedef struct tutti_replay_options {
    // Start again from the beginning at the end of the file.
    bool looping;
    // Gain applied to the replayed audio, in dB (-96..=24).
    float gain_db;
    // Audio read ahead of the tick, in ms (raised to at least 100; at most 60000; default
    // 1000).
    uint32_t buffer_ms;
} tutti_replay_options;

// A recorder handle (from `tutti_record*`). 0 is never a valid handle.
typedef uint64_t tutti_recorder;

// A player handle (from `tutti_replay`). 0 is never a valid handle.
typedef uint64_t tutti_player;

// Counters describing a processor (see `tutti_processor_stats`).
typedef struct tutti_stats {
    // Ticks run.
    uint64_t ticks;
    // Live channels.
    uint64_t channels;
    // Live endpoints.
    uint64_t endpoints;
    // Attached conference participants.
    uint64_t participants;
    // Channels whose output is a primitive conference.
    uint64_t conference_outputs;
    // Times the mix was planned.
    uint64_t plans;
    // Totals computed per tick by the current plan.
    uint64_t plan_totals;
    // Per-output add/subtract operations per tick in the current plan.
    uint64_t plan_output_ops;
    // Outputs served by another output's identical mix.
    uint64_t plan_shared_outputs;
    // Datafeed edges delayed by one frame to break cycles.
    uint64_t plan_delayed_edges;
    // Endpoint input frames the application did not supply in time (played as silence).
    uint64_t missing_input_frames;
    // Frames dropped because a recorder's queue was full.
    uint64_t recorder_dropped_frames;
    // Frames of silence played because a replay buffer was empty.
    uint64_t replay_underrun_frames;
    // Events dropped because the event queue was full.
    uint64_t events_dropped;
} tutti_stats;

// Talk detector settings (see `tutti_processor_set_talk_config`).
typedef struct tutti_talk_config {
    // A frame at or above this level (dBm0) counts towards the start of talking (default
    // -36).
    double on_dbm0;
    // A frame below this level (dBm0, at most `on_dbm0`) counts towards the end of talking
    // (default -42).
    double off_dbm0;
    // Loud frames needed, in ms, before talking is reported (0..=10000; default 40).
    uint32_t attack_ms;
    // Quiet time, in ms, after which talking is reported to have stopped (0..=60000;
    // default 500).
    uint32_t hang_ms;
} tutti_talk_config;

// Settings of a runtime. Fill with `tutti_runtime_options_default` and adjust.
typedef struct tutti_runtime_options {
    // Calls that may wait in the control queue; a caller blocks while it is full (1..=65536;
    // default 1024).
    uint32_t command_queue;
    // Events that may wait for the application; beyond that they are dropped and counted
    // (1..=1048576; default 8192).
    uint32_t event_queue;
    // `SCHED_FIFO` priority asked for the media thread (1..=99), or 0 not to ask (default 10;
    // when refused, the thread runs at normal priority and an event says so).
    int32_t realtime_priority;
    // A wake-up this many frames late or more skips frames instead of catching up (default 5).
    uint32_t max_catch_up_frames;
    // Application endpoints the media thread has room for (1..=1048576; default 4096).
    uint32_t max_app_endpoints;
} tutti_runtime_options;

// Called with every event of a runtime, on the runtime's event thread (never on the media
// thread, and never while tutti holds a lock the callback could need: it may call any
// `tutti_runtime_*` function). `event` is valid for the duration of the call.
typedef void (*tutti_event_callback)(void *userdata, const struct tutti_event *event);

// Counters and timings of a runtime (see `tutti_runtime_stats`).
typedef struct tutti_runtime_counters {
    // Ticks run.
    uint64_t ticks;
    // Ticks that started more than half a frame after their deadline.
    uint64_t late_ticks;
    // Frames skipped by the catch-up policy.
    uint64_t skipped_frames;
    // Median work per frame, in µs.
    double tick_p50_us;
    // 99th percentile of the work per frame, in µs.
    double tick_p99_us;
    // Longest work per frame, in µs.
    double tick_max_us;
    // 99th percentile of a tick's lateness after its deadline, in µs.
    double lateness_p99_us;
    // Calls applied.
    uint64_t commands;
    // Events dropped because the event queue was full.
    uint64_t events_dropped;
    // Underruns of all application endpoints.
    uint64_t endpoint_underruns;
    // Overruns of all application endpoints.
    uint64_t endpoint_overruns;
    // Whether the media thread runs with real-time priority.
    bool realtime;
} tutti_runtime_counters;

// Options of `tutti_listen_for`. Fill with `tutti_listen_options_default` and adjust.
typedef struct tutti_listen_options {
    // Mute detected tones before the input reaches any conference or recorder (default true).
    bool suppress;
    // Delay the input by this many ms (0 to 40) so that suppression starts before the tone
    // reaches the mix (default 0: the tone's first few ms may be heard).
    uint32_t suppression_lookahead_ms;
} tutti_listen_options;

// Timing and levels of generated DTMF. Fill with `tutti_dtmf_options_default` and adjust.
typedef struct tutti_dtmf_options {
    // Duration of each digit's tone in ms (default 100).
    float on_ms;
    // Silence after each digit in ms (default 100).
    float off_ms;
    // Level of the low-group tone in dBm0 (default -10).
    float low_dbm0;
    // Level of the high-group tone relative to the low-group tone in dB (default 2).
    float twist_db;
} tutti_dtmf_options;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// The version of the tutti library, as a static NUL-terminated string such as `"0.1.0"`.
//
// Thread safety: callable from any thread.
const char *tutti_version(void);

// Creates a channel with the sides given by `kind` (a `tutti_channel_kind` value). A new
// output plays silence; a new input is connected to nothing.
//
// Errors: `TUTTI_RESULT_NULL_POINTER`, `TUTTI_RESULT_STALE_HANDLE` (proc),
// `TUTTI_RESULT_INVALID_ARGUMENT` (kind).
tutti_result tutti_channel_create(struct tutti_processor *proc, uint32_t kind, tutti_channel *out);

// Releases a channel: it leaves every conference (as input and as output), its replay
// stops, and sinks connected to its output are left on silence (each raising a
// `TUTTI_EVENT_FEED_RELEASED` event). Releasing it again returns
// `TUTTI_RESULT_STALE_HANDLE`.
tutti_result tutti_channel_release(struct tutti_processor *proc, tutti_channel channel);

// Writes the datafeed of a channel's output side to `*out`.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the channel has no output side.
tutti_result tutti_channel_datafeed(const struct tutti_processor *proc,
                                    tutti_channel channel,
                                    struct tutti_datafeed *out);

// Connects a channel's input side to a datafeed, replacing any previous connection.
tutti_result tutti_channel_connect_input(struct tutti_processor *proc,
                                         tutti_channel channel,
                                         struct tutti_datafeed feed);

// Disconnects a channel's input side; it then receives silence.
tutti_result tutti_channel_disconnect_input(struct tutti_processor *proc, tutti_channel channel);

// Makes a channel's output pass a datafeed through (stopping a replay).
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is a conference (stop it with
// `tutti_conf_prim_stop` first) or the channel has no output side.
tutti_result tutti_channel_output_feed(struct tutti_processor *proc,
                                       tutti_channel channel,
                                       struct tutti_datafeed feed);

// Makes a channel's output play silence (stopping a replay or pass-through).
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is a conference.
tutti_result tutti_channel_output_silence(struct tutti_processor *proc, tutti_channel channel);

// Sets the gain (dB, -96..=24) applied to a channel's input before any conference or
// recorder.
tutti_result tutti_channel_set_input_gain(struct tutti_processor *proc,
                                          tutti_channel channel,
                                          float gain_db);

// Sets the gain (dB, -96..=24) applied to a channel's output (for a conference output: to
// the sum, before its single saturation).
tutti_result tutti_channel_set_output_gain(struct tutti_processor *proc,
                                           tutti_channel channel,
                                           float gain_db);

// Writes the default AGC settings (target -12 dBm0) to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_agc_config_default(struct tutti_agc_config *out);

// Turns AGC on for a channel's input, with `config` (NULL: the defaults).
tutti_result tutti_channel_enable_input_agc(struct tutti_processor *proc,
                                            tutti_channel channel,
                                            const struct tutti_agc_config *config);

// Turns AGC off for a channel's input.
tutti_result tutti_channel_disable_input_agc(struct tutti_processor *proc, tutti_channel channel);

// Turns AGC on for a channel's output, with `config` (NULL: the defaults).
tutti_result tutti_channel_enable_output_agc(struct tutti_processor *proc,
                                             tutti_channel channel,
                                             const struct tutti_agc_config *config);

// Turns AGC off for a channel's output.
tutti_result tutti_channel_disable_output_agc(struct tutti_processor *proc, tutti_channel channel);

// Creates an application endpoint: its datafeed carries the frames the application writes
// with `tutti_endpoint_write`; what it transmits (read with `tutti_endpoint_read`) is the
// datafeed connected with `tutti_endpoint_connect`.
tutti_result tutti_endpoint_create(struct tutti_processor *proc, tutti_endpoint *out);

// Releases an endpoint; sinks of its datafeed are left on silence.
tutti_result tutti_endpoint_release(struct tutti_processor *proc, tutti_endpoint endpoint);

// Writes the datafeed of an endpoint (the frames the application writes) to `*out`.
tutti_result tutti_endpoint_datafeed(const struct tutti_processor *proc,
                                     tutti_endpoint endpoint,
                                     struct tutti_datafeed *out);

// Connects what an endpoint transmits to a datafeed.
tutti_result tutti_endpoint_connect(struct tutti_processor *proc,
                                    tutti_endpoint endpoint,
                                    struct tutti_datafeed feed);

// Supplies the endpoint's input frame for the next tick: `len` samples of 16-bit PCM, which
// must equal the processor's frame length. A frame not written before a tick is played as
// silence and counted as missing.
//
// Errors: `TUTTI_RESULT_FRAME_SIZE` when `len` is not the frame length.
tutti_result tutti_endpoint_write(struct tutti_processor *proc,
                                  tutti_endpoint endpoint,
                                  const int16_t *samples,
                                  size_t len);

// Copies the frame the endpoint transmitted at the last tick into `buf` (`len` samples,
// which must equal the processor's frame length).
//
// Errors: `TUTTI_RESULT_FRAME_SIZE` when `len` is not the frame length (nothing written).
tutti_result tutti_endpoint_read(struct tutti_processor *proc,
                                 tutti_endpoint endpoint,
                                 int16_t *buf,
                                 size_t len);

// Writes the number of ticks at which this endpoint had no input frame to `*out`.
tutti_result tutti_endpoint_missing_frames(const struct tutti_processor *proc,
                                           tutti_endpoint endpoint,
                                           uint64_t *out);

// Makes a channel's output the output of a primitive conference with an empty set.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is already a conference or the channel
// has no output side.
tutti_result tutti_conf_prim_start(struct tutti_processor *proc, tutti_channel out_channel);

// Stops a primitive conference output: its set is emptied and the output plays silence.
tutti_result tutti_conf_prim_stop(struct tutti_processor *proc, tutti_channel out_channel);

// Readies a channel's input as a conference input and writes its participant handle.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the input is already attached or the channel has
// no input side.
tutti_result tutti_conf_prim_attach(struct tutti_processor *proc,
                                    tutti_channel in_channel,
                                    tutti_participant *out);

// Writes the participant handle of an attached input.
tutti_result tutti_conf_prim_participant(const struct tutti_processor *proc,
                                         tutti_channel in_channel,
                                         tutti_participant *out);

// Adds an attached input to a conference output's set with a gain (dB, -96..=24). Adding an
// input already in the set changes its gain.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` (output not a conference, input not attached),
// `TUTTI_RESULT_INVALID_ARGUMENT` (gain), `TUTTI_RESULT_CAPACITY` (the set's gains would
// exceed the mixer's range).
tutti_result tutti_conf_prim_add(struct tutti_processor *proc,
                                 tutti_channel out_channel,
                                 tutti_channel in_channel,
                                 float gain_db);

// Removes an input from a conference output's set.
tutti_result tutti_conf_prim_leave(struct tutti_processor *proc,
                                   tutti_channel out_channel,
                                   tutti_channel in_channel);

// Releases a conference input: it leaves every output's set and loses its participant
// handle.
tutti_result tutti_conf_prim_detach(struct tutti_processor *proc, tutti_channel in_channel);

// Whether an input is in a conference output's set (`*out_in_set`), and with what gain in
// dB (`*out_gain_db`, 0 when not in the set).
tutti_result tutti_conf_prim_gain(const struct tutti_processor *proc,
                                  tutti_channel out_channel,
                                  tutti_channel in_channel,
                                  bool *out_in_set,
                                  float *out_gain_db);

// Whether an attached input is currently reported as talking.
tutti_result tutti_conf_prim_is_talking(const struct tutti_processor *proc,
                                        tutti_channel in_channel,
                                        bool *out);

// Writes the number of inputs in a conference output's set to `*out`.
tutti_result tutti_conf_prim_member_count(const struct tutti_processor *proc,
                                          tutti_channel out_channel,
                                          size_t *out);

// Copies the inputs of a conference output's set into `buf` (room for `len` entries) and
// writes their number to `*out_count`.
//
// Errors: `TUTTI_RESULT_BUFFER_TOO_SMALL` when the set has more than `len` inputs (nothing
// written; ask `tutti_conf_prim_member_count` first).
tutti_result tutti_conf_prim_members(const struct tutti_processor *proc,
                                     tutti_channel out_channel,
                                     struct tutti_conf_member *buf,
                                     size_t len,
                                     size_t *out_count);

// Copies the most significant talking inputs of a conference output, loudest first, into
// `buf` (at most `len` of them, and at most `TUTTI_CONF_PRIM_STATUS_MAX`) and writes how
// many were copied to `*out_count`. A shorter buffer receives the loudest ones.
tutti_result tutti_conf_prim_status(const struct tutti_processor *proc,
                                    tutti_channel out_channel,
                                    struct tutti_active_input *buf,
                                    size_t len,
                                    size_t *out_count);

// Creates an empty conference on a processor and writes it to `*out`.
tutti_result tutti_conference_create(struct tutti_processor *proc, struct tutti_conference **out);

// Removes every party (raising `TUTTI_EVENT_CONFERENCE_EMPTY` if there were any) and frees
// the conference. The pointer is stale afterwards.
//
// Errors: `TUTTI_RESULT_STALE_HANDLE` if the conference or its processor was freed (the
// conference then stays allocated: free it with `tutti_conference_free`).
tutti_result tutti_conference_delete(struct tutti_conference *conf);

// Frees a conference. If its processor is still alive, its parties are removed first, as by
// `tutti_conference_delete`.
//
// `tutti_conference_free(NULL)` does nothing and returns `TUTTI_RESULT_OK`. Freeing a
// conference twice returns `TUTTI_RESULT_STALE_HANDLE` and does nothing.
//
// Thread safety: callable from any thread; waits for a call in progress on the conference or
// its processor to return.
tutti_result tutti_conference_free(struct tutti_conference *conf);

// Writes the conference's number (unique within the process; it is the `conference` field of
// `TUTTI_EVENT_CONFERENCE_EMPTY` events).
tutti_result tutti_conference_id(const struct tutti_conference *conf, uint32_t *out);

// Writes the default party options (0 dB both ways, no AGC, default AGC settings) to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_party_options_default(struct tutti_party_options *out);

// Adds a member: `in_channel`'s input is what it says, `out_channel`'s output what it hears
// (the conference minus itself). For a full-duplex leg both are the same channel. `options`
// may be NULL (defaults). Writes the new party's number to `*out`.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` (a channel is already a party, or lacks the side),
// `TUTTI_RESULT_INVALID_ARGUMENT` (volumes, AGC settings), `TUTTI_RESULT_STALE_HANDLE`.
tutti_result tutti_conference_add_party(struct tutti_conference *conf,
                                        tutti_channel in_channel,
                                        tutti_channel out_channel,
                                        const struct tutti_party_options *options,
                                        tutti_party *out);

// Adds a monitor: `out_channel`'s output hears every member and background source; nobody
// hears the monitor.
tutti_result tutti_conference_add_monitor(struct tutti_conference *conf,
                                          tutti_channel out_channel,
                                          tutti_party *out);

// Adds a coach: the coach hears the conference through `out_channel`; only `pupil` (a
// member) hears the coach's `in_channel`.
//
// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` if `pupil` is not a member,
// `TUTTI_RESULT_INVALID_STATE` if it is not a party.
tutti_result tutti_conference_add_coach(struct tutti_conference *conf,
                                        tutti_channel in_channel,
                                        tutti_channel out_channel,
                                        tutti_party pupil,
                                        tutti_party *out);

// Adds a background source (music, announcements): every member, monitor and coach hears
// `in_channel`'s input at `gain_db` (-96..=24); it hears nothing.
tutti_result tutti_conference_add_background(struct tutti_conference *conf,
                                             tutti_channel in_channel,
                                             float gain_db,
                                             tutti_party *out);

// Removes a party: its output stops (plays silence) and its input is detached. Coaches of a
// removed member are removed with it. Raises `TUTTI_EVENT_CONFERENCE_EMPTY` when the last
// party leaves. The channels stay allocated: release them separately.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the conference has no such party.
tutti_result tutti_conference_remove_party(struct tutti_conference *conf, tutti_party party);

// Writes the number of parties (of every role) to `*out`.
tutti_result tutti_conference_party_count(const struct tutti_conference *conf, size_t *out);

// Copies every party into `buf` (room for `len` entries), in the order they joined, and
// writes their number to `*out_count`.
//
// Errors: `TUTTI_RESULT_BUFFER_TOO_SMALL` when there are more than `len` parties (nothing
// written; ask `tutti_conference_party_count` first).
tutti_result tutti_conference_info(const struct tutti_conference *conf,
                                   struct tutti_party_info *buf,
                                   size_t len,
                                   size_t *out_count);

// The name of a result code, such as `"TUTTI_RESULT_STALE_HANDLE"`, as a static
// NUL-terminated string; `"TUTTI_RESULT_UNKNOWN"` for a value that is not a result code.
//
// Takes the code as a plain integer so that any value is safe to pass.
//
// Thread safety: callable from any thread.
const char *tutti_result_name(uint32_t result);

// Copies the message of the most recent failed call on the calling thread into `buf`, as a
// NUL-terminated string, truncated to `len - 1` bytes, like `snprintf`. `*out_len` (if
// `out_len` is not NULL) receives the full length of the message without its NUL, so a
// value `>= len` means the message was truncated. The message is empty if no call on this
// thread has failed. A successful call does not clear the message.
//
// `buf` may be NULL only when `len` is 0 (to ask for the length). This call never changes
// the last error message.
//
// Thread safety: callable from any thread; each thread has its own last error.
tutti_result tutti_last_error_message(char *buf, size_t len, size_t *out_len);

// Takes the oldest pending event of a processor, without blocking: writes it to `*out` and
// returns `TUTTI_RESULT_OK`, or returns `TUTTI_RESULT_NO_EVENT` (not an error; nothing
// written) when none is pending.
//
// Events are queued by the calls that cause them (ticks, releases, `tutti_service_io`, ...)
// and only ever delivered by this call, on the caller's thread: tutti never calls back into
// the application while it holds a lock. The queue holds 8192 events; older ones are dropped
// (and counted in `tutti_stats.events_dropped`) beyond that.
tutti_result tutti_event_poll(struct tutti_processor *proc, struct tutti_event *out);

// The name of an event kind, such as `"TUTTI_EVENT_TALK_STARTED"`, as a static
// NUL-terminated string; `"TUTTI_EVENT_UNKNOWN"` for other values.
//
// Thread safety: callable from any thread.
const char *tutti_event_kind_name(uint32_t kind);

// Writes the default recording options to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_record_options_default(struct tutti_record_options *out);

// Writes the default replay options to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_replay_options_default(struct tutti_replay_options *out);

// Starts recording a datafeed to a mono 16-bit WAV file at the processor's rate, and writes
// the recorder handle to `*out`. `path` is a NUL-terminated file name (bytes, as the platform
// takes them); `options` may be NULL (defaults). Call `tutti_service_io` regularly: it writes
// the queued audio; the file's header is kept valid as it grows.
//
// Errors: `TUTTI_RESULT_IO` (the file cannot be created), `TUTTI_RESULT_INVALID_ARGUMENT`
// (queue_ms), `TUTTI_RESULT_STALE_HANDLE` (the datafeed's source).
tutti_result tutti_record(struct tutti_processor *proc,
                          struct tutti_datafeed feed,
                          const char *path,
                          const struct tutti_record_options *options,
                          tutti_recorder *out);

// Starts recording two datafeeds to a stereo WAV file (left, right); as `tutti_record`.
tutti_result tutti_record_stereo(struct tutti_processor *proc,
                                 struct tutti_datafeed left,
                                 struct tutti_datafeed right,
                                 const char *path,
                                 const struct tutti_record_options *options,
                                 tutti_recorder *out);

// Starts recording what enters the conferences through a channel's input (after its input
// gain and AGC) to a mono WAV file; as `tutti_record`.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the channel has no input side.
tutti_result tutti_record_input(struct tutti_processor *proc,
                                tutti_channel channel,
                                const char *path,
                                const struct tutti_record_options *options,
                                tutti_recorder *out);

// Stops a recorder. Queued frames are written and the file finalised at the next
// `tutti_service_io`, which raises `TUTTI_EVENT_RECORDING_STOPPED`. Stopping it again
// returns `TUTTI_RESULT_STALE_HANDLE`.
tutti_result tutti_recorder_stop(struct tutti_processor *proc, tutti_recorder recorder);

// Writes the number of frames a recorder dropped because its queue was full.
tutti_result tutti_recorder_dropped_frames(const struct tutti_processor *proc,
                                           tutti_recorder recorder,
                                           uint64_t *out);

// Starts replaying a WAV file (any PCM or float format and rate; converted to mono at the
// processor's rate) onto a channel's output, and writes the player handle to `*out`. The
// file is opened and checked first: a bad file leaves the output unchanged. `options` may be
// NULL (defaults).
//
// Errors: `TUTTI_RESULT_BAD_FILE`, `TUTTI_RESULT_IO`, `TUTTI_RESULT_INVALID_STATE` (the output
// is a conference), `TUTTI_RESULT_INVALID_ARGUMENT` (gain, buffer).
tutti_result tutti_replay(struct tutti_processor *proc,
                          tutti_channel channel,
                          const char *path,
                          const struct tutti_replay_options *options,
                          tutti_player *out);

// Stops a replay; the channel's output plays silence. Stopping it again returns
// `TUTTI_RESULT_STALE_HANDLE`.
tutti_result tutti_replay_stop(struct tutti_processor *proc, tutti_player player);

// Writes whether a replay has reached the end of its file.
tutti_result tutti_replay_finished(const struct tutti_processor *proc,
                                   tutti_player player,
                                   bool *out);

// Creates a processor running at `sample_rate` Hz (8000, 16000, 32000 or 48000) with frames
// of `frame_ms` ms (10 or 20), and writes it to `*out`.
//
// Errors: `TUTTI_RESULT_NULL_POINTER` (out), `TUTTI_RESULT_INVALID_CONFIG`.
//
// Thread safety: callable from any thread.
tutti_result tutti_processor_new(uint32_t sample_rate,
                                 uint32_t frame_ms,
                                 struct tutti_processor **out);

// Frees a processor: every recording is stopped and its file finalised, every replay
// stopped, and every object on the processor released. Conferences created on it stay
// allocated until freed, but their calls return `TUTTI_RESULT_STALE_HANDLE`.
//
// `tutti_processor_free(NULL)` does nothing and returns `TUTTI_RESULT_OK`. Freeing a
// processor twice (or any pointer that is not a live processor) returns
// `TUTTI_RESULT_STALE_HANDLE` and does nothing: the pointer is a generation-tagged handle, so
// this is detected, never undefined behaviour.
//
// Thread safety: callable from any thread. If another thread is inside a call on the
// processor, the free waits for that call to return.
tutti_result tutti_processor_free(struct tutti_processor *proc);

// Writes the processor's samples per frame (sample rate × frame duration) to `*out`. Every
// frame passed to or read from tutti has exactly this many samples.
tutti_result tutti_processor_frame_len(const struct tutti_processor *proc, size_t *out);

// Writes the processor's sample rate (Hz) and frame duration (ms).
tutti_result tutti_processor_config(const struct tutti_processor *proc,
                                    uint32_t *out_sample_rate,
                                    uint32_t *out_frame_ms);

// Runs one frame: endpoint inputs are taken, channel inputs processed, conferences mixed,
// outputs produced, recorders fed. Changes made since the last tick take effect now.
tutti_result tutti_processor_tick(struct tutti_processor *proc);

// Re-plans the mix now if the topology changed, so that the next tick does not allocate.
tutti_result tutti_processor_commit(struct tutti_processor *proc);

// Services file I/O outside the tick: writes queued recorder frames, finalises stopped
// recordings, reads replayed files ahead. Call it every few ticks.
tutti_result tutti_service_io(struct tutti_processor *proc);

// Stops every recorder and replay and services I/O until every file is finalised.
tutti_result tutti_finish_io(struct tutti_processor *proc);

// Writes the processor's counters to `*out`.
tutti_result tutti_processor_stats(const struct tutti_processor *proc, struct tutti_stats *out);

// Writes the default talk detector settings to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_talk_config_default(struct tutti_talk_config *out);

// Sets the talk detector settings used for conference inputs attached from now on (inputs
// already attached keep theirs).
//
// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (levels outside -96..=3 dBm0 or `off_dbm0` above
// `on_dbm0`, times out of range).
tutti_result tutti_processor_set_talk_config(struct tutti_processor *proc,
                                             const struct tutti_talk_config *config);

// Writes the default runtime settings to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_runtime_options_default(struct tutti_runtime_options *out);

// Moves a processor onto a new media thread, which ticks it in real time, and writes the
// runtime to `*out`. `options` may be NULL (defaults). With a `callback`, every event is
// passed to it (with `userdata`) on the runtime's event thread and
// `tutti_runtime_event_poll` stays empty; without one (NULL), events are polled.
//
// The processor handle is consumed: from now on it is stale, and the processor is used only
// through the runtime (`tutti_runtime_stop` gives it back). Conferences made with
// `tutti_conference_create` on it become stale too; use `tutti_runtime_conference_*`.
//
// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (options), `TUTTI_RESULT_STALE_HANDLE`,
// `TUTTI_RESULT_BUSY` (the processor is in use by another thread; it is not consumed),
// `TUTTI_RESULT_INVALID_STATE` (a thread could not be started; the processor is lost).
tutti_result tutti_runtime_start(struct tutti_processor *proc,
                                 const struct tutti_runtime_options *options,
                                 tutti_event_callback callback,
                                 void *userdata,
                                 struct tutti_runtime **out);

// Stops the media thread at the next tick boundary, finalises every recording, and frees
// the runtime. With `out_proc` non-NULL, the processor is handed back as a new processor
// handle (to drive by hand, or to start again); with NULL, it is freed.
//
// Stopping a runtime twice returns `TUTTI_RESULT_STALE_HANDLE`. Calls in progress on other
// threads fail with `TUTTI_RESULT_INVALID_STATE`; app endpoints stay allocated until freed
// (their calls then fail or report nothing to read).
//
// Thread safety: callable from any thread except the runtime's own event callback.
tutti_result tutti_runtime_stop(struct tutti_runtime *rt, struct tutti_processor **out_proc);

// Takes the oldest pending event of a runtime started without a callback: writes it to
// `*out` and returns `TUTTI_RESULT_OK`, or returns `TUTTI_RESULT_NO_EVENT` without blocking.
tutti_result tutti_runtime_event_poll(const struct tutti_runtime *rt, struct tutti_event *out);

// Writes a runtime's counters to `*out`. Does not wait for the media thread.
tutti_result tutti_runtime_stats(const struct tutti_runtime *rt,
                                 struct tutti_runtime_counters *out);

// `tutti_channel_create` on the runtime's processor.
tutti_result tutti_runtime_channel_create(const struct tutti_runtime *rt,
                                          uint32_t kind,
                                          tutti_channel *out);

// `tutti_channel_release` on the runtime's processor.
tutti_result tutti_runtime_channel_release(const struct tutti_runtime *rt, tutti_channel channel);

// `tutti_channel_datafeed` on the runtime's processor.
tutti_result tutti_runtime_channel_datafeed(const struct tutti_runtime *rt,
                                            tutti_channel channel,
                                            struct tutti_datafeed *out);

// `tutti_channel_connect_input` on the runtime's processor.
tutti_result tutti_runtime_channel_connect_input(const struct tutti_runtime *rt,
                                                 tutti_channel channel,
                                                 struct tutti_datafeed feed);

// `tutti_endpoint_connect` on the runtime's processor (for the endpoint of an app
// endpoint, see `tutti_app_endpoint_id`).
tutti_result tutti_runtime_endpoint_connect(const struct tutti_runtime *rt,
                                            tutti_endpoint endpoint,
                                            struct tutti_datafeed feed);

// Creates an application endpoint on the runtime's processor, whose frames travel over
// lock-free rings holding at most `depth` frames each way (1..=1000), and writes it to
// `*out`. Its engine handle (`tutti_app_endpoint_id`) names it in datafeeds.
tutti_result tutti_runtime_app_endpoint_create(const struct tutti_runtime *rt,
                                               uint32_t depth,
                                               struct tutti_app_endpoint **out);

// Writes the engine handle of an app endpoint (for `tutti_datafeed`s and
// `tutti_runtime_endpoint_connect`).
tutti_result tutti_app_endpoint_id(const struct tutti_app_endpoint *ep, tutti_endpoint *out);

// Queues one frame (`len` samples, the processor's frame length) for the media thread.
// `*out_accepted` is false when the ring already held `depth` frames and the frame was
// dropped (counted as an overrun).
tutti_result tutti_app_endpoint_write(struct tutti_app_endpoint *ep,
                                      const int16_t *samples,
                                      size_t len,
                                      bool *out_accepted);

// Takes the oldest frame the media thread produced for this endpoint into `buf` (`len`
// samples). `*out_got` is false (and `buf` untouched) when none is waiting.
tutti_result tutti_app_endpoint_read(struct tutti_app_endpoint *ep,
                                     int16_t *buf,
                                     size_t len,
                                     bool *out_got);

// Frees an app endpoint; the media thread releases its engine endpoint at the next tick.
// `tutti_app_endpoint_free(NULL)` does nothing; freeing twice returns
// `TUTTI_RESULT_STALE_HANDLE`.
tutti_result tutti_app_endpoint_free(struct tutti_app_endpoint *ep);

// Creates a conference kept on the media thread and writes its number to `*out` (runtime
// conferences are named by number, not by `tutti_conference *`).
tutti_result tutti_runtime_conference_create(const struct tutti_runtime *rt, uint32_t *out);

// `tutti_conference_add_party` on a runtime conference.
tutti_result tutti_runtime_conference_add_party(const struct tutti_runtime *rt,
                                                uint32_t conference,
                                                tutti_channel in_channel,
                                                tutti_channel out_channel,
                                                const struct tutti_party_options *options,
                                                tutti_party *out);

// `tutti_conference_remove_party` on a runtime conference.
tutti_result tutti_runtime_conference_remove_party(const struct tutti_runtime *rt,
                                                   uint32_t conference,
                                                   tutti_party party);

// Writes the number of parties of a runtime conference to `*out`.
tutti_result tutti_runtime_conference_party_count(const struct tutti_runtime *rt,
                                                  uint32_t conference,
                                                  size_t *out);

// `tutti_conference_delete` on a runtime conference: removes every party and forgets the
// conference's number.
tutti_result tutti_runtime_conference_delete(const struct tutti_runtime *rt, uint32_t conference);

// `tutti_conference_add_monitor` on a runtime conference.
tutti_result tutti_runtime_conference_add_monitor(const struct tutti_runtime *rt,
                                                  uint32_t conference,
                                                  tutti_channel out_channel,
                                                  tutti_party *out);

// `tutti_conference_add_coach` on a runtime conference.
tutti_result tutti_runtime_conference_add_coach(const struct tutti_runtime *rt,
                                                uint32_t conference,
                                                tutti_channel in_channel,
                                                tutti_channel out_channel,
                                                tutti_party pupil,
                                                tutti_party *out);

// `tutti_conference_add_background` on a runtime conference.
tutti_result tutti_runtime_conference_add_background(const struct tutti_runtime *rt,
                                                     uint32_t conference,
                                                     tutti_channel in_channel,
                                                     float gain_db,
                                                     tutti_party *out);

// `tutti_record` on the runtime's processor. The file is created on the calling thread and
// written by the runtime's I/O thread; there is no `tutti_service_io` to call.
tutti_result tutti_runtime_record(const struct tutti_runtime *rt,
                                  struct tutti_datafeed feed,
                                  const char *path,
                                  const struct tutti_record_options *options,
                                  tutti_recorder *out);

// `tutti_recorder_stop` on the runtime's processor; the I/O thread finalises the file.
tutti_result tutti_runtime_recorder_stop(const struct tutti_runtime *rt, tutti_recorder recorder);

// `tutti_replay` on the runtime's processor. The file is opened and read ahead on the
// calling thread, then by the runtime's I/O thread.
tutti_result tutti_runtime_replay(const struct tutti_runtime *rt,
                                  tutti_channel channel,
                                  const char *path,
                                  const struct tutti_replay_options *options,
                                  tutti_player *out);

// `tutti_replay_stop` on the runtime's processor.
tutti_result tutti_runtime_replay_stop(const struct tutti_runtime *rt, tutti_player player);

// Writes the default listen options to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_listen_options_default(struct tutti_listen_options *out);

// Starts tone detection on a channel's input: `tone_set` is a `tutti_tone_set` value,
// `options` may be NULL (defaults). Recognised tones arrive as `TUTTI_EVENT_TONE_STARTED` and
// `TUTTI_EVENT_TONE_ENDED` events; with `options.suppress`, they are muted before the input
// reaches any conference, so the other parties do not hear them. Listening again replaces the
// settings.
//
// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (tone_set, lookahead above 40 ms),
// `TUTTI_RESULT_INVALID_STATE` (no input side).
tutti_result tutti_listen_for(struct tutti_processor *proc,
                              tutti_channel channel,
                              uint32_t tone_set,
                              const struct tutti_listen_options *options);

// Stops tone detection on a channel's input.
//
// Errors: `TUTTI_RESULT_INVALID_STATE` if the input is not listening.
tutti_result tutti_stop_listening(struct tutti_processor *proc, tutti_channel channel);

// Writes the number of input samples muted so far by tone suppression on a listening
// channel input.
tutti_result tutti_suppressed_samples(const struct tutti_processor *proc,
                                      tutti_channel channel,
                                      uint64_t *out);

// Writes the default DTMF generation options to `*out`.
//
// Thread safety: callable from any thread.
tutti_result tutti_dtmf_options_default(struct tutti_dtmf_options *out);

// Makes a channel's output play a DTMF string (`0-9 * # A-D`; spaces ignored), then
// silence; `TUTTI_EVENT_TONES_FINISHED` is raised at the end. `options` may be NULL
// (defaults).
//
// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (digits, levels, durations),
// `TUTTI_RESULT_INVALID_STATE` (the output is a conference).
tutti_result tutti_channel_output_dtmf(struct tutti_processor *proc,
                                       tutti_channel channel,
                                       const char *digits,
                                       const struct tutti_dtmf_options *options);

// Makes a channel's output play a continuous dual tone (`f2_hz` 0 for a single tone): levels
// in dBm0. It never finishes: replace it with `tutti_channel_output_silence`.
tutti_result tutti_channel_output_dual_tone(struct tutti_processor *proc,
                                            tutti_channel channel,
                                            float f1_hz,
                                            float level1_dbm0,
                                            float f2_hz,
                                            float level2_dbm0);

// Makes a channel's output play a call-progress or fax tone with its standard cadence
// (`tone` a `tutti_tone` value other than `TUTTI_TONE_DTMF` and `TUTTI_TONE_CUSTOM`) at
// `level_dbm0`, for `cycles` cadence cycles (0: until replaced).
// `TUTTI_EVENT_TONES_FINISHED` is raised when a limited cadence ends.
tutti_result tutti_channel_output_call_progress(struct tutti_processor *proc,
                                                tutti_channel channel,
                                                uint32_t tone,
                                                float level_dbm0,
                                                uint32_t cycles);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* TUTTI_H */
