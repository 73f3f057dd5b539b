//! Processors: creation, ticks, statistics, file I/O servicing.

use std::sync::{Arc, Mutex};

use sdk::{Config, Processor};

use crate::error::{call, FfiResult, Out};
use crate::registry::{enter, table, Registry};
use crate::tutti_result;

/// A media processor: one sample rate, one frame duration, and the channels, endpoints,
/// conferences, recorders and players on it.
///
/// The pointer is an opaque handle, not an address. Create with `tutti_processor_new`, free
/// with `tutti_processor_free`.
///
/// Thread safety: a processor is not thread-safe. Use it from one thread at a time (any
/// thread, e.g. under the application's own mutex); a call made while another thread is inside
/// a call on the same processor returns `TUTTI_RESULT_BUSY` and does nothing.
pub struct tutti_processor {
    _private: [u8; 0],
}

pub(crate) static PROCESSORS: Mutex<Registry<Processor>> =
    Mutex::new(Registry::new("processor", 0x7));

pub(crate) fn proc_token(p: *const tutti_processor) -> usize {
    p as usize
}

/// The processor behind a C pointer.
pub(crate) fn lookup(p: *const tutti_processor) -> FfiResult<Arc<Mutex<Processor>>> {
    if p.is_null() {
        return Err(crate::error::Fail::null("processor"));
    }
    table(&PROCESSORS).get(proc_token(p))
}

/// Runs `f` on the processor behind a C pointer, holding its lock for the call.
pub(crate) fn with_proc<T>(
    p: *const tutti_processor,
    f: impl FnOnce(&mut Processor) -> FfiResult<T>,
) -> FfiResult<T> {
    let obj = lookup(p)?;
    let mut guard = enter(&obj, "processor")?;
    f(&mut guard)
}

/// Creates a processor running at `sample_rate` Hz (8000, 16000, 32000 or 48000) with frames
/// of `frame_ms` ms (10 or 20), and writes it to `*out`.
///
/// Errors: `TUTTI_RESULT_NULL_POINTER` (out), `TUTTI_RESULT_INVALID_CONFIG`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_processor_new(
    sample_rate: u32,
    frame_ms: u32,
    out: *mut *mut tutti_processor,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let proc = Processor::new(Config {
            sample_rate,
            frame_ms,
        })?;
        let token = table(&PROCESSORS).insert(proc);
        out.write(std::ptr::without_provenance_mut(token));
        Ok(())
    })
}

/// Frees a processor: every recording is stopped and its file finalised, every replay
/// stopped, and every object on the processor released. Conferences created on it stay
/// allocated until freed, but their calls return `TUTTI_RESULT_STALE_HANDLE`.
///
/// `tutti_processor_free(NULL)` does nothing and returns `TUTTI_RESULT_OK`. Freeing a
/// processor twice (or any pointer that is not a live processor) returns
/// `TUTTI_RESULT_STALE_HANDLE` and does nothing: the pointer is a generation-tagged handle, so
/// this is detected, never undefined behaviour.
///
/// Thread safety: callable from any thread. If another thread is inside a call on the
/// processor, the free waits for that call to return.
#[no_mangle]
pub extern "C" fn tutti_processor_free(proc: *mut tutti_processor) -> tutti_result {
    call(|| {
        if proc.is_null() {
            return Ok(());
        }
        let obj = table(&PROCESSORS).remove(proc_token(proc))?;
        if let Ok(mut p) = obj.lock() {
            p.finish_io();
        }
        drop(obj);
        Ok(())
    })
}

/// Writes the processor's samples per frame (sample rate × frame duration) to `*out`. Every
/// frame passed to or read from tutti has exactly this many samples.
#[no_mangle]
pub extern "C" fn tutti_processor_frame_len(
    proc: *const tutti_processor,
    out: *mut usize,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let n = with_proc(proc, |p| Ok(p.frame_len()))?;
        out.write(n);
        Ok(())
    })
}

/// Writes the processor's sample rate (Hz) and frame duration (ms).
#[no_mangle]
pub extern "C" fn tutti_processor_config(
    proc: *const tutti_processor,
    out_sample_rate: *mut u32,
    out_frame_ms: *mut u32,
) -> tutti_result {
    call(|| {
        let rate = Out::new(out_sample_rate, "out_sample_rate")?;
        let ms = Out::new(out_frame_ms, "out_frame_ms")?;
        let c = with_proc(proc, |p| Ok(p.config()))?;
        rate.write(c.sample_rate);
        ms.write(c.frame_ms);
        Ok(())
    })
}

/// Runs one frame: endpoint inputs are taken, channel inputs processed, conferences mixed,
/// outputs produced, recorders fed. Changes made since the last tick take effect now.
#[no_mangle]
pub extern "C" fn tutti_processor_tick(proc: *mut tutti_processor) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            p.tick();
            Ok(())
        })
    })
}

/// Re-plans the mix now if the topology changed, so that the next tick does not allocate.
#[no_mangle]
pub extern "C" fn tutti_processor_commit(proc: *mut tutti_processor) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            p.commit();
            Ok(())
        })
    })
}

/// Services file I/O outside the tick: writes queued recorder frames, finalises stopped
/// recordings, reads replayed files ahead. Call it every few ticks.
#[no_mangle]
pub extern "C" fn tutti_service_io(proc: *mut tutti_processor) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            p.service_io();
            Ok(())
        })
    })
}

/// Stops every recorder and replay and services I/O until every file is finalised.
#[no_mangle]
pub extern "C" fn tutti_finish_io(proc: *mut tutti_processor) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            p.finish_io();
            Ok(())
        })
    })
}

/// Counters describing a processor (see `tutti_processor_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct tutti_stats {
    /// Ticks run.
    pub ticks: u64,
    /// Live channels.
    pub channels: u64,
    /// Live endpoints.
    pub endpoints: u64,
    /// Attached conference participants.
    pub participants: u64,
    /// Channels whose output is a primitive conference.
    pub conference_outputs: u64,
    /// Times the mix was planned.
    pub plans: u64,
    /// Totals computed per tick by the current plan.
    pub plan_totals: u64,
    /// Per-output add/subtract operations per tick in the current plan.
    pub plan_output_ops: u64,
    /// Outputs served by another output's identical mix.
    pub plan_shared_outputs: u64,
    /// Datafeed edges delayed by one frame to break cycles.
    pub plan_delayed_edges: u64,
    /// Endpoint input frames the application did not supply in time (played as silence).
    pub missing_input_frames: u64,
    /// Frames dropped because a recorder's queue was full.
    pub recorder_dropped_frames: u64,
    /// Frames of silence played because a replay buffer was empty.
    pub replay_underrun_frames: u64,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
}

/// Writes the processor's counters to `*out`.
#[no_mangle]
pub extern "C" fn tutti_processor_stats(
    proc: *const tutti_processor,
    out: *mut tutti_stats,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let s = with_proc(proc, |p| Ok(p.stats()))?;
        out.write(tutti_stats {
            ticks: s.ticks,
            channels: s.channels as u64,
            endpoints: s.endpoints as u64,
            participants: s.participants as u64,
            conference_outputs: s.conference_outputs as u64,
            plans: s.plans,
            plan_totals: s.plan_totals as u64,
            plan_output_ops: s.plan_output_ops as u64,
            plan_shared_outputs: s.plan_shared_outputs as u64,
            plan_delayed_edges: s.plan_delayed_edges as u64,
            missing_input_frames: s.missing_input_frames,
            recorder_dropped_frames: s.recorder_dropped_frames,
            replay_underrun_frames: s.replay_underrun_frames,
            events_dropped: s.events_dropped,
        });
        Ok(())
    })
}

/// Test hook, deliberately absent from `tutti.h`: panics inside the panic boundary while
/// holding the processor, to prove that a panic becomes `TUTTI_RESULT_PANIC` and that the
/// processor then reports `TUTTI_RESULT_PANIC` on every call until freed.
#[no_mangle]
pub extern "C" fn tutti_debug_force_panic(proc: *mut tutti_processor) -> tutti_result {
    call(|| with_proc(proc, |_| panic!("forced by tutti_debug_force_panic")))
}

/// Talk detector settings (see `tutti_processor_set_talk_config`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_talk_config {
    /// A frame at or above this level (dBm0) counts towards the start of talking (default
    /// -36).
    pub on_dbm0: f64,
    /// A frame below this level (dBm0, at most `on_dbm0`) counts towards the end of talking
    /// (default -42).
    pub off_dbm0: f64,
    /// Loud frames needed, in ms, before talking is reported (0..=10000; default 40).
    pub attack_ms: u32,
    /// Quiet time, in ms, after which talking is reported to have stopped (0..=60000;
    /// default 500).
    pub hang_ms: u32,
}

/// Writes the default talk detector settings to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_talk_config_default(out: *mut tutti_talk_config) -> tutti_result {
    call(|| {
        let d = sdk::engine::TalkConfig::default();
        Out::new(out, "out")?.write(tutti_talk_config {
            on_dbm0: d.on_dbm0,
            off_dbm0: d.off_dbm0,
            attack_ms: d.attack_ms,
            hang_ms: d.hang_ms,
        });
        Ok(())
    })
}

/// Sets the talk detector settings used for conference inputs attached from now on (inputs
/// already attached keep theirs).
///
/// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (levels outside -96..=3 dBm0 or `off_dbm0` above
/// `on_dbm0`, times out of range).
#[no_mangle]
pub extern "C" fn tutti_processor_set_talk_config(
    proc: *mut tutti_processor,
    config: *const tutti_talk_config,
) -> tutti_result {
    call(|| {
        let c = crate::error::read_opt(config, "config")?
            .ok_or_else(|| crate::error::Fail::null("config"))?;
        crate::error::finite(c.on_dbm0, "on_dbm0", -96.0, 3.0)?;
        crate::error::finite(c.off_dbm0, "off_dbm0", -96.0, c.on_dbm0)?;
        if c.attack_ms > 10_000 {
            return Err(crate::error::Fail::arg("attack_ms", "more than 10000 ms"));
        }
        if c.hang_ms > 60_000 {
            return Err(crate::error::Fail::arg("hang_ms", "more than 60000 ms"));
        }
        with_proc(proc, |p| {
            p.set_talk_config(sdk::engine::TalkConfig {
                on_dbm0: c.on_dbm0,
                off_dbm0: c.off_dbm0,
                attack_ms: c.attack_ms,
                hang_ms: c.hang_ms,
            });
            Ok(())
        })
    })
}
