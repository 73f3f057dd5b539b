//! Events: polled, never delivered from inside tutti.

use std::ffi::c_char;

use sdk::engine::{Sink, ToneEventKind};
use sdk::Event;

use crate::error::{boundary, Out};
use crate::processor::{tutti_processor, with_proc};
use crate::tones::{tone_to_c, tutti_tone};
use crate::tutti_result;

/// Capacity of `tutti_event.message`, including its NUL.
pub const TUTTI_EVENT_MESSAGE_CAPACITY: usize = 256;

/// What happened (`tutti_event.kind`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_event_kind {
    /// A conference input started talking: `channel`, `participant`.
    TUTTI_EVENT_TALK_STARTED = 0,
    /// A conference input stopped talking (or stopped being heard while talking): `channel`,
    /// `participant`.
    TUTTI_EVENT_TALK_STOPPED = 1,
    /// The source a sink was connected to was released; the sink now receives silence:
    /// `sink_kind`, `sink`.
    TUTTI_EVENT_FEED_RELEASED = 2,
    /// A replay reached the end of its file (not looping); the channel's output now plays
    /// silence: `player`, `channel`.
    TUTTI_EVENT_REPLAY_FINISHED = 3,
    /// A replay ran out of buffered audio before it was refilled (`tutti_service_io` was not
    /// called often enough): `player`.
    TUTTI_EVENT_REPLAY_UNDERRUN = 4,
    /// Reading a replayed file failed; the replay stops: `player`, `message`.
    TUTTI_EVENT_REPLAY_ERROR = 5,
    /// A recorder's queue was full and frames were dropped (once per episode): `recorder`.
    TUTTI_EVENT_RECORDER_OVERFLOW = 6,
    /// Writing a recording failed; what was written stays a valid WAV file; the recording
    /// stops: `recorder`, `message`.
    TUTTI_EVENT_RECORDER_ERROR = 7,
    /// A recording was stopped and its file finalised: `recorder`, `frames`.
    TUTTI_EVENT_RECORDING_STOPPED = 8,
    /// A high-level conference lost its last party: `conference` (see
    /// `tutti_conference_id`).
    TUTTI_EVENT_CONFERENCE_EMPTY = 9,
    /// A tone was recognised on a listening channel input (`tutti_listen_for`): `channel`,
    /// `tone`, `tone_digit`, `tone_custom`, `start_ms`, `level_dbm0`.
    TUTTI_EVENT_TONE_STARTED = 10,
    /// A recognised tone ended: as `TUTTI_EVENT_TONE_STARTED`, plus `end_ms`.
    TUTTI_EVENT_TONE_ENDED = 11,
    /// A tone generator on a channel output finished; the output plays silence: `channel`.
    TUTTI_EVENT_TONES_FINISHED = 12,
    /// Runtime: an app endpoint had no frame from the application at a tick and played
    /// silence (once per episode): `endpoint`.
    TUTTI_EVENT_ENDPOINT_UNDERRUN = 13,
    /// Runtime: frames written to an app endpoint were dropped because its ring was full (once
    /// per episode): `endpoint`.
    TUTTI_EVENT_ENDPOINT_OVERRUN = 14,
    /// Runtime: the media thread fell so far behind that it skipped frames: `frames`.
    TUTTI_EVENT_FRAMES_SKIPPED = 15,
    /// Runtime: real-time priority was asked for and refused; the media thread runs at normal
    /// priority: `message`.
    TUTTI_EVENT_REALTIME_UNAVAILABLE = 16,
    /// An event this version of the C ABI does not describe; `message` names it.
    TUTTI_EVENT_OTHER = 255,
}

/// Which kind of sink a `TUTTI_EVENT_FEED_RELEASED` event names.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_sink_kind {
    /// Not a `TUTTI_EVENT_FEED_RELEASED` event.
    TUTTI_SINK_NONE = 0,
    /// A channel's input side; `sink` is a `tutti_channel`.
    TUTTI_SINK_CHANNEL_INPUT = 1,
    /// A channel's output side in pass-through mode; `sink` is a `tutti_channel`.
    TUTTI_SINK_CHANNEL_OUTPUT = 2,
    /// An endpoint's transmitter; `sink` is a `tutti_endpoint`.
    TUTTI_SINK_ENDPOINT = 3,
    /// A recorder; `sink` is a `tutti_recorder`.
    TUTTI_SINK_RECORDER = 4,
}

/// One event. `kind` says which of the other fields are meaningful (see
/// `tutti_event_kind`); the others are zero.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct tutti_event {
    /// What happened.
    pub kind: tutti_event_kind,
    /// The tick count when it happened (ticks completed before it).
    pub tick: u64,
    /// A channel handle.
    pub channel: u64,
    /// A participant handle.
    pub participant: u64,
    /// A player handle.
    pub player: u64,
    /// A recorder handle.
    pub recorder: u64,
    /// An endpoint handle.
    pub endpoint: u64,
    /// The kind of `sink`.
    pub sink_kind: tutti_sink_kind,
    /// The sink left on silence (a channel, endpoint or recorder handle, per `sink_kind`).
    pub sink: u64,
    /// A conference number.
    pub conference: u32,
    /// Sample frames written to a recording.
    pub frames: u64,
    /// The tone of a tone event.
    pub tone: tutti_tone,
    /// For `TUTTI_TONE_DTMF`, the digit (`0-9`, `*`, `#`, `A-D`); 0 otherwise.
    pub tone_digit: c_char,
    /// For `TUTTI_TONE_CUSTOM`, the tone's number; 0 otherwise.
    pub tone_custom: u32,
    /// Estimated start of the tone, in ms of processor time (ticks times frame duration).
    pub start_ms: u64,
    /// For `TUTTI_EVENT_TONE_ENDED`, the end of the tone in ms of processor time.
    pub end_ms: u64,
    /// Level of the tone in dBm0.
    pub level_dbm0: f32,
    /// A NUL-terminated description (errors), truncated to fit; empty otherwise.
    pub message: [c_char; TUTTI_EVENT_MESSAGE_CAPACITY],
}

pub(crate) fn set_message(ev: &mut tutti_event, text: &str) {
    let bytes = text.as_bytes();
    let mut n = bytes.len().min(TUTTI_EVENT_MESSAGE_CAPACITY - 1);
    // Never cut a UTF-8 sequence in half.
    while n > 0 && n < bytes.len() && (bytes[n] & 0xC0) == 0x80 {
        n -= 1;
    }
    for (d, s) in ev.message.iter_mut().zip(&bytes[..n]) {
        *d = *s as c_char;
    }
    ev.message[n] = 0;
}

/// An event of kind `TUTTI_EVENT_OTHER` with every field zero.
pub(crate) fn blank(tick: u64) -> tutti_event {
    tutti_event {
        kind: tutti_event_kind::TUTTI_EVENT_OTHER,
        tick,
        channel: 0,
        participant: 0,
        player: 0,
        recorder: 0,
        endpoint: 0,
        sink_kind: tutti_sink_kind::TUTTI_SINK_NONE,
        sink: 0,
        conference: 0,
        frames: 0,
        tone: tutti_tone::TUTTI_TONE_DTMF,
        tone_digit: 0,
        tone_custom: 0,
        start_ms: 0,
        end_ms: 0,
        level_dbm0: 0.0,
        message: [0; TUTTI_EVENT_MESSAGE_CAPACITY],
    }
}

pub(crate) fn to_c(tick: u64, event: &Event) -> tutti_event {
    use tutti_event_kind::*;
    let mut ev = blank(tick);
    #[allow(unreachable_patterns)]
    match event {
        Event::TalkStarted {
            channel,
            participant,
        } => {
            ev.kind = TUTTI_EVENT_TALK_STARTED;
            ev.channel = channel.to_raw();
            ev.participant = participant.to_raw();
        }
        Event::TalkStopped {
            channel,
            participant,
        } => {
            ev.kind = TUTTI_EVENT_TALK_STOPPED;
            ev.channel = channel.to_raw();
            ev.participant = participant.to_raw();
        }
        Event::FeedReleased { sink } => {
            ev.kind = TUTTI_EVENT_FEED_RELEASED;
            let (k, h) = match sink {
                Sink::ChannelInput(c) => (tutti_sink_kind::TUTTI_SINK_CHANNEL_INPUT, c.to_raw()),
                Sink::ChannelOutput(c) => (tutti_sink_kind::TUTTI_SINK_CHANNEL_OUTPUT, c.to_raw()),
                Sink::Endpoint(e) => (tutti_sink_kind::TUTTI_SINK_ENDPOINT, e.to_raw()),
                Sink::Recorder(r) => (tutti_sink_kind::TUTTI_SINK_RECORDER, r.to_raw()),
                _ => (tutti_sink_kind::TUTTI_SINK_NONE, 0),
            };
            ev.sink_kind = k;
            ev.sink = h;
        }
        Event::ReplayFinished { player, channel } => {
            ev.kind = TUTTI_EVENT_REPLAY_FINISHED;
            ev.player = player.to_raw();
            ev.channel = channel.to_raw();
        }
        Event::ReplayUnderrun { player } => {
            ev.kind = TUTTI_EVENT_REPLAY_UNDERRUN;
            ev.player = player.to_raw();
        }
        Event::ReplayError { player, message } => {
            ev.kind = TUTTI_EVENT_REPLAY_ERROR;
            ev.player = player.to_raw();
            set_message(&mut ev, message);
        }
        Event::RecorderOverflow { recorder } => {
            ev.kind = TUTTI_EVENT_RECORDER_OVERFLOW;
            ev.recorder = recorder.to_raw();
        }
        Event::RecorderError { recorder, message } => {
            ev.kind = TUTTI_EVENT_RECORDER_ERROR;
            ev.recorder = recorder.to_raw();
            set_message(&mut ev, message);
        }
        Event::RecordingStopped { recorder, frames } => {
            ev.kind = TUTTI_EVENT_RECORDING_STOPPED;
            ev.recorder = recorder.to_raw();
            ev.frames = *frames;
        }
        Event::Tone {
            channel,
            tone,
            kind,
            start_ms,
            end_ms,
            level_dbm0,
        } => {
            ev.kind = match kind {
                ToneEventKind::Start => TUTTI_EVENT_TONE_STARTED,
                _ => TUTTI_EVENT_TONE_ENDED,
            };
            ev.channel = channel.to_raw();
            (ev.tone, ev.tone_digit, ev.tone_custom) = tone_to_c(*tone);
            ev.start_ms = *start_ms;
            ev.end_ms = end_ms.unwrap_or(0);
            ev.level_dbm0 = *level_dbm0;
        }
        Event::TonesFinished { channel } => {
            ev.kind = TUTTI_EVENT_TONES_FINISHED;
            ev.channel = channel.to_raw();
        }
        Event::ConferenceEmpty { conference } => {
            ev.kind = TUTTI_EVENT_CONFERENCE_EMPTY;
            ev.conference = *conference;
        }
        other => set_message(&mut ev, &format!("{other:?}")),
    }
    ev
}

/// Takes the oldest pending event of a processor, without blocking: writes it to `*out` and
/// returns `TUTTI_RESULT_OK`, or returns `TUTTI_RESULT_NO_EVENT` (not an error; nothing
/// written) when none is pending.
///
/// Events are queued by the calls that cause them (ticks, releases, `tutti_service_io`, ...)
/// and only ever delivered by this call, on the caller's thread: tutti never calls back into
/// the application while it holds a lock. The queue holds 8192 events; older ones are dropped
/// (and counted in `tutti_stats.events_dropped`) beyond that.
#[no_mangle]
pub extern "C" fn tutti_event_poll(
    proc: *mut tutti_processor,
    out: *mut tutti_event,
) -> tutti_result {
    boundary(|| {
        let out = Out::new(out, "out")?;
        match with_proc(proc, |p| Ok(p.poll_event()))? {
            Some(t) => {
                out.write(to_c(t.tick, &t.event));
                Ok(tutti_result::TUTTI_RESULT_OK)
            }
            None => Ok(tutti_result::TUTTI_RESULT_NO_EVENT),
        }
    })
}

/// The name of an event kind, such as `"TUTTI_EVENT_TALK_STARTED"`, as a static
/// NUL-terminated string; `"TUTTI_EVENT_UNKNOWN"` for other values.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_event_kind_name(kind: u32) -> *const c_char {
    let name: &'static [u8] = match kind {
        0 => b"TUTTI_EVENT_TALK_STARTED\0",
        1 => b"TUTTI_EVENT_TALK_STOPPED\0",
        2 => b"TUTTI_EVENT_FEED_RELEASED\0",
        3 => b"TUTTI_EVENT_REPLAY_FINISHED\0",
        4 => b"TUTTI_EVENT_REPLAY_UNDERRUN\0",
        5 => b"TUTTI_EVENT_REPLAY_ERROR\0",
        6 => b"TUTTI_EVENT_RECORDER_OVERFLOW\0",
        7 => b"TUTTI_EVENT_RECORDER_ERROR\0",
        8 => b"TUTTI_EVENT_RECORDING_STOPPED\0",
        9 => b"TUTTI_EVENT_CONFERENCE_EMPTY\0",
        10 => b"TUTTI_EVENT_TONE_STARTED\0",
        11 => b"TUTTI_EVENT_TONE_ENDED\0",
        12 => b"TUTTI_EVENT_TONES_FINISHED\0",
        13 => b"TUTTI_EVENT_ENDPOINT_UNDERRUN\0",
        14 => b"TUTTI_EVENT_ENDPOINT_OVERRUN\0",
        15 => b"TUTTI_EVENT_FRAMES_SKIPPED\0",
        16 => b"TUTTI_EVENT_REALTIME_UNAVAILABLE\0",
        255 => b"TUTTI_EVENT_OTHER\0",
        _ => b"TUTTI_EVENT_UNKNOWN\0",
    };
    name.as_ptr().cast()
}
