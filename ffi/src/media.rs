//! Recording datafeeds to WAV files and replaying WAV files onto channel outputs.

use std::ffi::c_char;

use sdk::engine::{RecordOptions, ReplayOptions};
use sdk::{ChannelId, PlayerId, RecorderId};

use crate::channel::{feed_from_c, tutti_datafeed};
use crate::error::{call, path_arg, read_opt, FfiResult, Out};
use crate::processor::{tutti_processor, with_proc};
use crate::{tutti_channel, tutti_player, tutti_recorder, tutti_result};

/// Options of a recording. Fill with `tutti_record_options_default` and adjust.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_record_options {
    /// Capacity of the queue between the tick and the file writer, in ms of audio: at least
    /// two frames, at most 60000 (default 4000). When `tutti_service_io` falls this far
    /// behind, frames are dropped and counted.
    pub queue_ms: u32,
}

/// Options of a replay. Fill with `tutti_replay_options_default` and adjust.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_replay_options {
    /// Start again from the beginning at the end of the file.
    pub looping: bool,
    /// Gain applied to the replayed audio, in dB (-96..=24).
    pub gain_db: f32,
    /// Audio read ahead of the tick, in ms (raised to at least 100; at most 60000; default
    /// 1000).
    pub buffer_ms: u32,
}

/// Writes the default recording options to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_record_options_default(out: *mut tutti_record_options) -> tutti_result {
    call(|| {
        Out::new(out, "out")?.write(tutti_record_options {
            queue_ms: RecordOptions::default().queue_ms,
        });
        Ok(())
    })
}

/// Writes the default replay options to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_replay_options_default(out: *mut tutti_replay_options) -> tutti_result {
    call(|| {
        let d = ReplayOptions::default();
        Out::new(out, "out")?.write(tutti_replay_options {
            looping: d.looping,
            gain_db: d.gain_db,
            buffer_ms: d.buffer_ms,
        });
        Ok(())
    })
}

pub(crate) fn record_opts(o: *const tutti_record_options) -> FfiResult<RecordOptions> {
    Ok(match read_opt(o, "options")? {
        Some(o) => RecordOptions {
            queue_ms: o.queue_ms,
        },
        None => RecordOptions::default(),
    })
}

pub(crate) fn replay_opts(o: *const tutti_replay_options) -> FfiResult<ReplayOptions> {
    Ok(match read_opt(o, "options")? {
        Some(o) => ReplayOptions {
            looping: o.looping,
            gain_db: o.gain_db,
            buffer_ms: o.buffer_ms,
        },
        None => ReplayOptions::default(),
    })
}

/// Starts recording a datafeed to a mono 16-bit WAV file at the processor's rate, and writes
/// the recorder handle to `*out`. `path` is a NUL-terminated file name (bytes, as the platform
/// takes them); `options` may be NULL (defaults). Call `tutti_service_io` regularly: it writes
/// the queued audio; the file's header is kept valid as it grows.
///
/// Errors: `TUTTI_RESULT_IO` (the file cannot be created), `TUTTI_RESULT_INVALID_ARGUMENT`
/// (queue_ms), `TUTTI_RESULT_STALE_HANDLE` (the datafeed's source).
#[no_mangle]
pub extern "C" fn tutti_record(
    proc: *mut tutti_processor,
    feed: tutti_datafeed,
    path: *const c_char,
    options: *const tutti_record_options,
    out: *mut tutti_recorder,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let feed = feed_from_c(feed, "feed")?;
        let path = path_arg(path, "path")?;
        let opts = record_opts(options)?;
        let r = with_proc(proc, |p| Ok(p.record(feed, &path, opts)?))?;
        out.write(r.to_raw());
        Ok(())
    })
}

/// Starts recording two datafeeds to a stereo WAV file (left, right); as `tutti_record`.
#[no_mangle]
pub extern "C" fn tutti_record_stereo(
    proc: *mut tutti_processor,
    left: tutti_datafeed,
    right: tutti_datafeed,
    path: *const c_char,
    options: *const tutti_record_options,
    out: *mut tutti_recorder,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let left = feed_from_c(left, "left")?;
        let right = feed_from_c(right, "right")?;
        let path = path_arg(path, "path")?;
        let opts = record_opts(options)?;
        let r = with_proc(proc, |p| Ok(p.record_stereo(left, right, &path, opts)?))?;
        out.write(r.to_raw());
        Ok(())
    })
}

/// Starts recording what enters the conferences through a channel's input (after its input
/// gain and AGC) to a mono WAV file; as `tutti_record`.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the channel has no input side.
#[no_mangle]
pub extern "C" fn tutti_record_input(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    path: *const c_char,
    options: *const tutti_record_options,
    out: *mut tutti_recorder,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let path = path_arg(path, "path")?;
        let opts = record_opts(options)?;
        let r = with_proc(proc, |p| {
            Ok(p.record_input(ChannelId::from_raw(channel), &path, opts)?)
        })?;
        out.write(r.to_raw());
        Ok(())
    })
}

/// Stops a recorder. Queued frames are written and the file finalised at the next
/// `tutti_service_io`, which raises `TUTTI_EVENT_RECORDING_STOPPED`. Stopping it again
/// returns `TUTTI_RESULT_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn tutti_recorder_stop(
    proc: *mut tutti_processor,
    recorder: tutti_recorder,
) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            Ok(p.recorder_stop(RecorderId::from_raw(recorder))?)
        })
    })
}

/// Writes the number of frames a recorder dropped because its queue was full.
#[no_mangle]
pub extern "C" fn tutti_recorder_dropped_frames(
    proc: *const tutti_processor,
    recorder: tutti_recorder,
    out: *mut u64,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let n = with_proc(proc, |p| {
            Ok(p.recorder_dropped_frames(RecorderId::from_raw(recorder))?)
        })?;
        out.write(n);
        Ok(())
    })
}

/// Starts replaying a WAV file (any PCM or float format and rate; converted to mono at the
/// processor's rate) onto a channel's output, and writes the player handle to `*out`. The
/// file is opened and checked first: a bad file leaves the output unchanged. `options` may be
/// NULL (defaults).
///
/// Errors: `TUTTI_RESULT_BAD_FILE`, `TUTTI_RESULT_IO`, `TUTTI_RESULT_INVALID_STATE` (the output
/// is a conference), `TUTTI_RESULT_INVALID_ARGUMENT` (gain, buffer).
#[no_mangle]
pub extern "C" fn tutti_replay(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    path: *const c_char,
    options: *const tutti_replay_options,
    out: *mut tutti_player,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let path = path_arg(path, "path")?;
        let opts = replay_opts(options)?;
        let id = with_proc(proc, |p| {
            Ok(p.replay(ChannelId::from_raw(channel), &path, opts)?)
        })?;
        out.write(id.to_raw());
        Ok(())
    })
}

/// Stops a replay; the channel's output plays silence. Stopping it again returns
/// `TUTTI_RESULT_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn tutti_replay_stop(
    proc: *mut tutti_processor,
    player: tutti_player,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.replay_stop(PlayerId::from_raw(player))?)))
}

/// Writes whether a replay has reached the end of its file.
#[no_mangle]
pub extern "C" fn tutti_replay_finished(
    proc: *const tutti_processor,
    player: tutti_player,
    out: *mut bool,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let f = with_proc(proc, |p| Ok(p.replay_finished(PlayerId::from_raw(player))?))?;
        out.write(f);
        Ok(())
    })
}
