//! The built-in media thread: a runtime that ticks a processor in real time, controlled from
//! any thread, with application endpoints over lock-free rings and events by poll or callback.

use std::ffi::c_void;
use std::sync::{Arc, Mutex};

use sdk::conference::{PartyId, PartyOptions};
use sdk::runtime::{AppEndpoint, Runtime, RuntimeConfig, RuntimeEvent, RuntimeHandle};
use sdk::{ChannelId, ChannelKind, Config, EndpointId, Processor};

use crate::channel::{feed_from_c, tutti_datafeed};
use crate::conference::party_options;
use crate::error::boundary;
use crate::error::{call, enum_arg, in_slice, out_slice, read_opt, Fail, FfiResult, Out};
use crate::event::{blank, to_c, tutti_event, tutti_event_kind};
use crate::processor::{proc_token, tutti_processor, PROCESSORS};
use crate::registry::{enter, table, Registry};
use crate::{tutti_channel, tutti_endpoint, tutti_party, tutti_party_options, tutti_result};

/// A running media thread that owns a processor and ticks it in real time.
///
/// The pointer is an opaque handle, not an address. Start with `tutti_runtime_start`, stop with
/// `tutti_runtime_stop`.
///
/// Thread safety: a runtime is thread-safe. Any number of threads may call `tutti_runtime_*`
/// functions on it at once; each call is queued, applied on the media thread at the next tick
/// boundary, and its result returned (the caller waits about one frame).
pub struct tutti_runtime {
    _private: [u8; 0],
}

/// An application endpoint of a runtime: frames in and out over lock-free rings.
///
/// The pointer is an opaque handle, not an address. Create with
/// `tutti_runtime_app_endpoint_create`, free with `tutti_app_endpoint_free`.
///
/// Thread safety: one thread at a time (typically the leg's RTP thread); a concurrent call
/// returns `TUTTI_RESULT_BUSY`. Different endpoints may be used from different threads, while
/// the media thread runs.
pub struct tutti_app_endpoint {
    _private: [u8; 0],
}

/// Called with every event of a runtime, on the runtime's event thread (never on the media
/// thread, and never while tutti holds a lock the callback could need: it may call any
/// `tutti_runtime_*` function). `event` is valid for the duration of the call.
pub type tutti_event_callback =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const tutti_event)>;

struct RtObj {
    rt: Option<Runtime>,
    handle: RuntimeHandle,
    /// Takes a pending event without blocking.
    poll: PollFn,
}

type PollFn = Arc<dyn Fn() -> Option<RuntimeEvent> + Send + Sync>;

static RUNTIMES: Mutex<Registry<RtObj>> = Mutex::new(Registry::new("runtime", 0x9));
static APP_ENDPOINTS: Mutex<Registry<AppEndpoint>> = Mutex::new(Registry::new("app_endpoint", 0xA));

/// The handle of a live runtime (the registry lock and the object lock are held only to clone
/// it, never during a call).
fn rt_handle(rt: *const tutti_runtime) -> FfiResult<(RuntimeHandle, Arc<Mutex<RtObj>>)> {
    if rt.is_null() {
        return Err(Fail::null("runtime"));
    }
    let obj = table(&RUNTIMES).get(rt as usize)?;
    let handle = obj.lock().unwrap_or_else(|e| e.into_inner()).handle.clone();
    Ok((handle, obj))
}

fn with_rt<T>(
    rt: *const tutti_runtime,
    f: impl FnOnce(&RuntimeHandle) -> sdk::Result<T>,
) -> FfiResult<T> {
    let (h, _obj) = rt_handle(rt)?;
    Ok(f(&h)?)
}

/// Settings of a runtime. Fill with `tutti_runtime_options_default` and adjust.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_runtime_options {
    /// Calls that may wait in the control queue; a caller blocks while it is full (1..=65536;
    /// default 1024).
    pub command_queue: u32,
    /// Events that may wait for the application; beyond that they are dropped and counted
    /// (1..=1048576; default 8192).
    pub event_queue: u32,
    /// `SCHED_FIFO` priority asked for the media thread (1..=99), or 0 not to ask (default 10;
    /// when refused, the thread runs at normal priority and an event says so).
    pub realtime_priority: i32,
    /// A wake-up this many frames late or more skips frames instead of catching up (default 5).
    pub max_catch_up_frames: u32,
    /// Application endpoints the media thread has room for (1..=1048576; default 4096).
    pub max_app_endpoints: u32,
}

/// Writes the default runtime settings to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_runtime_options_default(out: *mut tutti_runtime_options) -> tutti_result {
    call(|| {
        let d = RuntimeConfig::default();
        Out::new(out, "out")?.write(tutti_runtime_options {
            command_queue: d.command_queue as u32,
            event_queue: d.event_queue as u32,
            realtime_priority: d.realtime_priority.unwrap_or(0),
            max_catch_up_frames: d.max_catch_up_frames,
            max_app_endpoints: d.max_app_endpoints as u32,
        });
        Ok(())
    })
}

struct CallbackTarget {
    f: unsafe extern "C" fn(*mut c_void, *const tutti_event),
    userdata: *mut c_void,
}

// SAFETY: the application promises, by passing them to `tutti_runtime_start`, that the
// callback may be called with `userdata` on the runtime's event thread.
unsafe impl Send for CallbackTarget {}

/// The C form of a runtime event.
fn runtime_event_to_c(e: &RuntimeEvent) -> tutti_event {
    use tutti_event_kind::*;
    #[allow(unreachable_patterns)]
    let ev = match e {
        RuntimeEvent::Engine(t) => to_c(t.tick, &t.event),
        RuntimeEvent::EndpointUnderrun { endpoint, tick } => {
            let mut ev = blank(*tick);
            ev.kind = TUTTI_EVENT_ENDPOINT_UNDERRUN;
            ev.endpoint = endpoint.to_raw();
            ev
        }
        RuntimeEvent::EndpointOverrun { endpoint, tick } => {
            let mut ev = blank(*tick);
            ev.kind = TUTTI_EVENT_ENDPOINT_OVERRUN;
            ev.endpoint = endpoint.to_raw();
            ev
        }
        RuntimeEvent::FramesSkipped { frames, tick } => {
            let mut ev = blank(*tick);
            ev.kind = TUTTI_EVENT_FRAMES_SKIPPED;
            ev.frames = *frames;
            ev
        }
        RuntimeEvent::RealtimeUnavailable { message } => {
            let mut ev = blank(0);
            ev.kind = TUTTI_EVENT_REALTIME_UNAVAILABLE;
            crate::event::set_message(&mut ev, message);
            ev
        }
        other => {
            let mut ev = blank(0);
            ev.kind = TUTTI_EVENT_OTHER;
            crate::event::set_message(&mut ev, &format!("{other:?}"));
            ev
        }
    };
    ev
}

fn bounded(v: u32, name: &str, max: u32) -> FfiResult<usize> {
    if v == 0 || v > max {
        return Err(Fail::arg(name, format!("{v} is outside 1..={max}")));
    }
    Ok(v as usize)
}

/// Moves a processor onto a new media thread, which ticks it in real time, and writes the
/// runtime to `*out`. `options` may be NULL (defaults). With a `callback`, every event is
/// passed to it (with `userdata`) on the runtime's event thread and
/// `tutti_runtime_event_poll` stays empty; without one (NULL), events are polled.
///
/// The processor handle is consumed: from now on it is stale, and the processor is used only
/// through the runtime (`tutti_runtime_stop` gives it back). Conferences made with
/// `tutti_conference_create` on it become stale too; use `tutti_runtime_conference_*`.
///
/// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` (options), `TUTTI_RESULT_STALE_HANDLE`,
/// `TUTTI_RESULT_BUSY` (the processor is in use by another thread; it is not consumed),
/// `TUTTI_RESULT_INVALID_STATE` (a thread could not be started; the processor is lost).
#[no_mangle]
pub extern "C" fn tutti_runtime_start(
    proc: *mut tutti_processor,
    options: *const tutti_runtime_options,
    callback: tutti_event_callback,
    userdata: *mut c_void,
    out: *mut *mut tutti_runtime,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let mut config = RuntimeConfig::default();
        if let Some(o) = read_opt(options, "options")? {
            config.command_queue = bounded(o.command_queue, "command_queue", 65_536)?;
            config.event_queue = bounded(o.event_queue, "event_queue", 1 << 20)?;
            config.max_app_endpoints = bounded(o.max_app_endpoints, "max_app_endpoints", 1 << 20)?;
            config.realtime_priority = match o.realtime_priority {
                0 => None,
                p @ 1..=99 => Some(p),
                p => {
                    return Err(Fail::arg(
                        "realtime_priority",
                        format!("{p} is outside 0..=99"),
                    ))
                }
            };
            config.max_catch_up_frames = o.max_catch_up_frames;
        }
        if let Some(f) = callback {
            let target = CallbackTarget { f, userdata };
            config.on_event = Some(Box::new(move |e: RuntimeEvent| {
                let target = &target;
                let ev = runtime_event_to_c(&e);
                // SAFETY: the application gave this function pointer and userdata for this
                // purpose; `ev` outlives the call.
                unsafe { (target.f)(target.userdata, &ev) };
            }));
        }
        let processor = take_processor(proc)?;
        let rt = Runtime::start(processor, config)?;
        let handle = rt.handle();
        let rx = rt.events();
        let token = table(&RUNTIMES).insert(RtObj {
            rt: Some(rt),
            handle,
            poll: Arc::new(move || rx.try_recv().ok()),
        });
        out.write(std::ptr::without_provenance_mut(token));
        Ok(())
    })
}

/// Takes a processor out of its C handle, which becomes stale.
fn take_processor(proc: *mut tutti_processor) -> FfiResult<Processor> {
    let obj = crate::processor::lookup(proc)?;
    drop(enter(&obj, "processor")?);
    let obj = table(&PROCESSORS).remove(proc_token(proc))?;
    match Arc::try_unwrap(obj) {
        Ok(m) => Ok(m.into_inner().map_err(|_| {
            Fail::new(
                tutti_result::TUTTI_RESULT_PANIC,
                "an earlier call on this tutti_processor panicked",
            )
        })?),
        // Another thread raced into a call on the processor; take it when that call returns.
        Err(shared) => {
            let mut g = shared.lock().unwrap_or_else(|e| e.into_inner());
            let spare = Processor::new(Config::default())?;
            Ok(std::mem::replace(&mut *g, spare))
        }
    }
}

/// Stops the media thread at the next tick boundary, finalises every recording, and frees
/// the runtime. With `out_proc` non-NULL, the processor is handed back as a new processor
/// handle (to drive by hand, or to start again); with NULL, it is freed.
///
/// Stopping a runtime twice returns `TUTTI_RESULT_STALE_HANDLE`. Calls in progress on other
/// threads fail with `TUTTI_RESULT_INVALID_STATE`; app endpoints stay allocated until freed
/// (their calls then fail or report nothing to read).
///
/// Thread safety: callable from any thread except the runtime's own event callback.
#[no_mangle]
pub extern "C" fn tutti_runtime_stop(
    rt: *mut tutti_runtime,
    out_proc: *mut *mut tutti_processor,
) -> tutti_result {
    call(|| {
        let out = if out_proc.is_null() {
            None
        } else {
            Some(Out::new(out_proc, "out_proc")?)
        };
        if rt.is_null() {
            return Err(Fail::null("runtime"));
        }
        let obj = table(&RUNTIMES).remove(rt as usize)?;
        let runtime = obj.lock().unwrap_or_else(|e| e.into_inner()).rt.take();
        let Some(runtime) = runtime else {
            return Err(Fail::new(
                tutti_result::TUTTI_RESULT_STALE_HANDLE,
                "the runtime was already stopped",
            ));
        };
        let p = runtime.shutdown()?;
        if let Some(out) = out {
            let token = table(&PROCESSORS).insert(p);
            out.write(std::ptr::without_provenance_mut(token));
        }
        Ok(())
    })
}

/// Takes the oldest pending event of a runtime started without a callback: writes it to
/// `*out` and returns `TUTTI_RESULT_OK`, or returns `TUTTI_RESULT_NO_EVENT` without blocking.
#[no_mangle]
pub extern "C" fn tutti_runtime_event_poll(
    rt: *const tutti_runtime,
    out: *mut tutti_event,
) -> tutti_result {
    boundary(|| {
        let out = Out::new(out, "out")?;
        let (_, obj) = rt_handle(rt)?;
        let poll = obj.lock().unwrap_or_else(|e| e.into_inner()).poll.clone();
        match poll() {
            Some(e) => {
                out.write(runtime_event_to_c(&e));
                Ok(tutti_result::TUTTI_RESULT_OK)
            }
            None => Ok(tutti_result::TUTTI_RESULT_NO_EVENT),
        }
    })
}

/// Counters and timings of a runtime (see `tutti_runtime_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct tutti_runtime_counters {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that started more than half a frame after their deadline.
    pub late_ticks: u64,
    /// Frames skipped by the catch-up policy.
    pub skipped_frames: u64,
    /// Median work per frame, in µs.
    pub tick_p50_us: f64,
    /// 99th percentile of the work per frame, in µs.
    pub tick_p99_us: f64,
    /// Longest work per frame, in µs.
    pub tick_max_us: f64,
    /// 99th percentile of a tick's lateness after its deadline, in µs.
    pub lateness_p99_us: f64,
    /// Calls applied.
    pub commands: u64,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
    /// Underruns of all application endpoints.
    pub endpoint_underruns: u64,
    /// Overruns of all application endpoints.
    pub endpoint_overruns: u64,
    /// Whether the media thread runs with real-time priority.
    pub realtime: bool,
}

/// Writes a runtime's counters to `*out`. Does not wait for the media thread.
#[no_mangle]
pub extern "C" fn tutti_runtime_stats(
    rt: *const tutti_runtime,
    out: *mut tutti_runtime_counters,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let (h, _) = rt_handle(rt)?;
        let s = h.stats();
        out.write(tutti_runtime_counters {
            ticks: s.ticks,
            late_ticks: s.late_ticks,
            skipped_frames: s.skipped_frames,
            tick_p50_us: s.tick_p50_us,
            tick_p99_us: s.tick_p99_us,
            tick_max_us: s.tick_max_us,
            lateness_p99_us: s.lateness_p99_us,
            commands: s.commands,
            events_dropped: s.events_dropped,
            endpoint_underruns: s.endpoint_underruns,
            endpoint_overruns: s.endpoint_overruns,
            realtime: s.realtime,
        });
        Ok(())
    })
}

fn ch(c: tutti_channel) -> ChannelId {
    ChannelId::from_raw(c)
}

/// `tutti_channel_create` on the runtime's processor.
#[no_mangle]
pub extern "C" fn tutti_runtime_channel_create(
    rt: *const tutti_runtime,
    kind: u32,
    out: *mut tutti_channel,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let kind = enum_arg(kind, "kind", |k| match k {
            0 => Some(ChannelKind::FullDuplex),
            1 => Some(ChannelKind::InputOnly),
            2 => Some(ChannelKind::OutputOnly),
            _ => None,
        })?;
        let c = with_rt(rt, |h| h.channel_create(kind))?;
        out.write(c.to_raw());
        Ok(())
    })
}

/// `tutti_channel_release` on the runtime's processor.
#[no_mangle]
pub extern "C" fn tutti_runtime_channel_release(
    rt: *const tutti_runtime,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_rt(rt, |h| h.channel_release(ch(channel))))
}

/// `tutti_channel_datafeed` on the runtime's processor.
#[no_mangle]
pub extern "C" fn tutti_runtime_channel_datafeed(
    rt: *const tutti_runtime,
    channel: tutti_channel,
    out: *mut tutti_datafeed,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let f = with_rt(rt, |h| h.channel_datafeed(ch(channel)))?;
        out.write(crate::channel::feed_to_c(f));
        Ok(())
    })
}

/// `tutti_channel_connect_input` on the runtime's processor.
#[no_mangle]
pub extern "C" fn tutti_runtime_channel_connect_input(
    rt: *const tutti_runtime,
    channel: tutti_channel,
    feed: tutti_datafeed,
) -> tutti_result {
    call(|| {
        let feed = feed_from_c(feed, "feed")?;
        with_rt(rt, |h| h.channel_connect_input(ch(channel), feed))
    })
}

/// `tutti_endpoint_connect` on the runtime's processor (for the endpoint of an app
/// endpoint, see `tutti_app_endpoint_id`).
#[no_mangle]
pub extern "C" fn tutti_runtime_endpoint_connect(
    rt: *const tutti_runtime,
    endpoint: tutti_endpoint,
    feed: tutti_datafeed,
) -> tutti_result {
    call(|| {
        let feed = feed_from_c(feed, "feed")?;
        with_rt(rt, |h| {
            h.endpoint_connect(EndpointId::from_raw(endpoint), feed)
        })
    })
}

/// Creates an application endpoint on the runtime's processor, whose frames travel over
/// lock-free rings holding at most `depth` frames each way (1..=1000), and writes it to
/// `*out`. Its engine handle (`tutti_app_endpoint_id`) names it in datafeeds.
#[no_mangle]
pub extern "C" fn tutti_runtime_app_endpoint_create(
    rt: *const tutti_runtime,
    depth: u32,
    out: *mut *mut tutti_app_endpoint,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let depth = bounded(depth, "depth", 1000)?;
        let ep = with_rt(rt, |h| h.app_endpoint(depth))?;
        let token = table(&APP_ENDPOINTS).insert(ep);
        out.write(std::ptr::without_provenance_mut(token));
        Ok(())
    })
}

fn with_ep<T>(
    ep: *const tutti_app_endpoint,
    f: impl FnOnce(&mut AppEndpoint) -> FfiResult<T>,
) -> FfiResult<T> {
    if ep.is_null() {
        return Err(Fail::null("endpoint"));
    }
    let obj = table(&APP_ENDPOINTS).get(ep as usize)?;
    let mut g = enter(&obj, "app_endpoint")?;
    f(&mut g)
}

/// Writes the engine handle of an app endpoint (for `tutti_datafeed`s and
/// `tutti_runtime_endpoint_connect`).
#[no_mangle]
pub extern "C" fn tutti_app_endpoint_id(
    ep: *const tutti_app_endpoint,
    out: *mut tutti_endpoint,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_ep(ep, |e| Ok(e.id()))?;
        out.write(id.to_raw());
        Ok(())
    })
}

/// Queues one frame (`len` samples, the processor's frame length) for the media thread.
/// `*out_accepted` is false when the ring already held `depth` frames and the frame was
/// dropped (counted as an overrun).
#[no_mangle]
pub extern "C" fn tutti_app_endpoint_write(
    ep: *mut tutti_app_endpoint,
    samples: *const i16,
    len: usize,
    out_accepted: *mut bool,
) -> tutti_result {
    call(|| {
        let out = Out::new(out_accepted, "out_accepted")?;
        let s = in_slice(samples, len, "samples")?;
        let ok = with_ep(ep, |e| Ok(e.write(s)?))?;
        out.write(ok);
        Ok(())
    })
}

/// Takes the oldest frame the media thread produced for this endpoint into `buf` (`len`
/// samples). `*out_got` is false (and `buf` untouched) when none is waiting.
#[no_mangle]
pub extern "C" fn tutti_app_endpoint_read(
    ep: *mut tutti_app_endpoint,
    buf: *mut i16,
    len: usize,
    out_got: *mut bool,
) -> tutti_result {
    call(|| {
        let out = Out::new(out_got, "out_got")?;
        let b = out_slice(buf, len, "buf")?;
        let got = with_ep(ep, |e| Ok(e.read(b)?))?;
        out.write(got);
        Ok(())
    })
}

/// Frees an app endpoint; the media thread releases its engine endpoint at the next tick.
/// `tutti_app_endpoint_free(NULL)` does nothing; freeing twice returns
/// `TUTTI_RESULT_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn tutti_app_endpoint_free(ep: *mut tutti_app_endpoint) -> tutti_result {
    call(|| {
        if ep.is_null() {
            return Ok(());
        }
        drop(table(&APP_ENDPOINTS).remove(ep as usize)?);
        Ok(())
    })
}

/// Creates a conference kept on the media thread and writes its number to `*out` (runtime
/// conferences are named by number, not by `tutti_conference *`).
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_create(
    rt: *const tutti_runtime,
    out: *mut u32,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_rt(rt, |h| h.conference_create())?;
        out.write(id);
        Ok(())
    })
}

/// `tutti_conference_add_party` on a runtime conference.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_add_party(
    rt: *const tutti_runtime,
    conference: u32,
    in_channel: tutti_channel,
    out_channel: tutti_channel,
    options: *const tutti_party_options,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let opts: PartyOptions = party_options(options)?;
        let id = with_rt(rt, |h| {
            h.conference_add_party(conference, ch(in_channel), ch(out_channel), opts)
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// `tutti_conference_remove_party` on a runtime conference.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_remove_party(
    rt: *const tutti_runtime,
    conference: u32,
    party: tutti_party,
) -> tutti_result {
    call(|| {
        with_rt(rt, |h| {
            h.conference_remove_party(conference, PartyId(party))
        })
    })
}

/// Writes the number of parties of a runtime conference to `*out`.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_party_count(
    rt: *const tutti_runtime,
    conference: u32,
    out: *mut usize,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let info = with_rt(rt, |h| h.conference_info(conference))?;
        out.write(info.parties.len());
        Ok(())
    })
}

/// `tutti_conference_delete` on a runtime conference: removes every party and forgets the
/// conference's number.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_delete(
    rt: *const tutti_runtime,
    conference: u32,
) -> tutti_result {
    call(|| with_rt(rt, |h| h.conference_delete(conference)))
}

/// `tutti_conference_add_monitor` on a runtime conference.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_add_monitor(
    rt: *const tutti_runtime,
    conference: u32,
    out_channel: tutti_channel,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_rt(rt, |h| {
            h.conference_add_monitor(conference, ch(out_channel))
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// `tutti_conference_add_coach` on a runtime conference.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_add_coach(
    rt: *const tutti_runtime,
    conference: u32,
    in_channel: tutti_channel,
    out_channel: tutti_channel,
    pupil: tutti_party,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_rt(rt, |h| {
            h.conference_add_coach(conference, ch(in_channel), ch(out_channel), PartyId(pupil))
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// `tutti_conference_add_background` on a runtime conference.
#[no_mangle]
pub extern "C" fn tutti_runtime_conference_add_background(
    rt: *const tutti_runtime,
    conference: u32,
    in_channel: tutti_channel,
    gain_db: f32,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_rt(rt, |h| {
            h.conference_add_background(conference, ch(in_channel), gain_db)
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// `tutti_record` on the runtime's processor. The file is created on the calling thread and
/// written by the runtime's I/O thread; there is no `tutti_service_io` to call.
#[no_mangle]
pub extern "C" fn tutti_runtime_record(
    rt: *const tutti_runtime,
    feed: tutti_datafeed,
    path: *const std::ffi::c_char,
    options: *const crate::tutti_record_options,
    out: *mut crate::tutti_recorder,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let feed = feed_from_c(feed, "feed")?;
        let path = crate::error::path_arg(path, "path")?;
        let opts = crate::media::record_opts(options)?;
        let r = with_rt(rt, |h| h.record(feed, &path, opts))?;
        out.write(r.to_raw());
        Ok(())
    })
}

/// `tutti_recorder_stop` on the runtime's processor; the I/O thread finalises the file.
#[no_mangle]
pub extern "C" fn tutti_runtime_recorder_stop(
    rt: *const tutti_runtime,
    recorder: crate::tutti_recorder,
) -> tutti_result {
    call(|| with_rt(rt, |h| h.recorder_stop(sdk::RecorderId::from_raw(recorder))))
}

/// `tutti_replay` on the runtime's processor. The file is opened and read ahead on the
/// calling thread, then by the runtime's I/O thread.
#[no_mangle]
pub extern "C" fn tutti_runtime_replay(
    rt: *const tutti_runtime,
    channel: tutti_channel,
    path: *const std::ffi::c_char,
    options: *const crate::tutti_replay_options,
    out: *mut crate::tutti_player,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let path = crate::error::path_arg(path, "path")?;
        let opts = crate::media::replay_opts(options)?;
        let id = with_rt(rt, |h| h.replay(ch(channel), &path, opts))?;
        out.write(id.to_raw());
        Ok(())
    })
}

/// `tutti_replay_stop` on the runtime's processor.
#[no_mangle]
pub extern "C" fn tutti_runtime_replay_stop(
    rt: *const tutti_runtime,
    player: crate::tutti_player,
) -> tutti_result {
    call(|| with_rt(rt, |h| h.replay_stop(sdk::PlayerId::from_raw(player))))
}
