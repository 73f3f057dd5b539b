//! The real-time runtime: one media thread drives a [`Processor`] on a drift-free clock while
//! any number of application threads control it, exchange audio with it and receive its events.
//!
//! - [`Runtime::start`] moves the processor onto the **media thread**, which ticks it at
//!   absolute deadlines (see [`Pacer`] for the catch-up policy), with real-time priority
//!   (`SCHED_FIFO`) where the system allows it.
//! - A [`RuntimeHandle`] (cloneable, `Send + Sync`) sends calls through a bounded queue; the
//!   media thread applies them at the next tick boundary and sends each result back.
//! - [`AppEndpoint`]s carry audio between the application and the processor over lock-free
//!   rings.
//! - An **I/O thread** writes recordings and reads replays ahead
//!   ([`Processor::detach_io`]), so a slow disk never delays a tick. It also drops what the
//!   media thread hands back (finished calls, released endpoints), so the media thread frees
//!   nothing.
//! - Events leave through a channel ([`Runtime::events`]) or a callback run on an **event
//!   thread** that holds nothing the media thread needs.
//! - [`Runtime::shutdown`] stops the threads, finalises every recording and returns the
//!   processor.
//!
//! See `docs/runtime.md` for the threads, what each may do and the latency budget of a frame.

mod clock;
#[cfg(feature = "device")]
mod device;
mod endpoint;
mod histogram;
mod sched;

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

pub use clock::{Clock, MonotonicClock, Pacer, SimClock, Wake};
#[cfg(feature = "device")]
pub use device::{list_devices, DeviceInfo, SoundCard, SoundCardStats};
pub use endpoint::{AppEndpoint, EndpointCounters};

use crate::conference::{Conference, ConferenceInfo, PartyId, PartyOptions};
use crate::engine::{
    ActiveInput, ChannelId, ChannelKind, Config, Datafeed, IoService, ParticipantId, PlayerId,
    PreparedRecording, PreparedReplay, Processor, RecordOptions, RecordTarget, RecorderId,
    ReplayOptions, Stats, TimedEvent,
};
use crate::{Error, Result};
use endpoint::MediaEndpoint;
use histogram::Histogram;

/// Something the runtime reports.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeEvent {
    /// An event of the processor (or of its recorders and players, raised by the I/O thread).
    Engine(TimedEvent),
    /// An application endpoint had no frame from the application at a tick and played silence
    /// (raised once per episode).
    EndpointUnderrun {
        /// The endpoint.
        endpoint: crate::EndpointId,
        /// Ticks completed when it happened.
        tick: u64,
    },
    /// Frames the application wrote to an endpoint were dropped because more than its depth was
    /// queued (raised once per episode).
    EndpointOverrun {
        /// The endpoint.
        endpoint: crate::EndpointId,
        /// Ticks completed when it happened.
        tick: u64,
    },
    /// The media thread fell so far behind that it skipped frames (see [`Pacer`]).
    FramesSkipped {
        /// Frames skipped.
        frames: u64,
        /// Ticks completed when it happened.
        tick: u64,
    },
    /// Real-time scheduling was asked for and not granted; the media thread runs at normal
    /// priority.
    RealtimeUnavailable {
        /// Why.
        message: String,
    },
}

/// Settings of a [`Runtime`].
pub struct RuntimeConfig {
    /// Calls that may wait in the control queue; a caller blocks while it is full.
    pub command_queue: usize,
    /// At most this many calls are applied at one tick boundary; the rest wait for the next.
    pub max_commands_per_tick: usize,
    /// Events that may wait for the application; beyond that they are dropped and counted.
    pub event_queue: usize,
    /// `SCHED_FIFO` priority asked for the media thread (1..=99), or `None` to not ask.
    pub realtime_priority: Option<i32>,
    /// A wake-up this many frames late or more skips frames instead of catching up.
    pub max_catch_up_frames: u32,
    /// A tick starting more than this after its deadline counts as late (default: half a
    /// frame).
    pub late_after: Option<Duration>,
    /// How often the I/O thread services recorders and replays.
    pub io_interval: Duration,
    /// Application endpoints the media thread has room for without allocating.
    pub max_app_endpoints: usize,
    /// Stop ticking after this many ticks (the thread keeps applying calls until shutdown).
    pub stop_after_ticks: Option<u64>,
    /// The clock the media thread sleeps on (default: [`MonotonicClock`]).
    pub clock: Option<Box<dyn Clock>>,
    /// Called with every event on the event thread; [`Runtime::events`] then stays empty.
    pub on_event: Option<Box<dyn FnMut(RuntimeEvent) + Send>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            command_queue: 1024,
            max_commands_per_tick: 256,
            event_queue: 8192,
            realtime_priority: Some(10),
            max_catch_up_frames: 5,
            late_after: None,
            io_interval: Duration::from_millis(20),
            max_app_endpoints: 4096,
            stop_after_ticks: None,
            clock: None,
            on_event: None,
        }
    }
}

impl std::fmt::Debug for RuntimeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeConfig")
            .field("command_queue", &self.command_queue)
            .field("max_commands_per_tick", &self.max_commands_per_tick)
            .field("event_queue", &self.event_queue)
            .field("realtime_priority", &self.realtime_priority)
            .field("max_catch_up_frames", &self.max_catch_up_frames)
            .field("late_after", &self.late_after)
            .field("io_interval", &self.io_interval)
            .field("max_app_endpoints", &self.max_app_endpoints)
            .field("stop_after_ticks", &self.stop_after_ticks)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("on_event", &self.on_event.as_ref().map(|_| "callback"))
            .finish()
    }
}

/// Counters and timings of a running (or stopped) runtime.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RuntimeStats {
    /// Ticks run.
    pub ticks: u64,
    /// Ticks that started more than the late threshold after their deadline.
    pub late_ticks: u64,
    /// Frames skipped by the catch-up policy.
    pub skipped_frames: u64,
    /// Median work per frame (calls, endpoint transfers, the tick, events), in µs.
    pub tick_p50_us: f64,
    /// 99th percentile of the work per frame, in µs.
    pub tick_p99_us: f64,
    /// Longest work per frame, in µs.
    pub tick_max_us: f64,
    /// Median lateness of a tick's start after its deadline, in µs.
    pub lateness_p50_us: f64,
    /// 99th percentile of the lateness, in µs.
    pub lateness_p99_us: f64,
    /// Largest lateness, in µs.
    pub lateness_max_us: f64,
    /// Calls applied.
    pub commands: u64,
    /// Calls waiting in the control queue now.
    pub command_queue_depth: usize,
    /// Events waiting for the application now.
    pub event_queue_depth: usize,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
    /// Samples queued for recorders' files now.
    pub io_queued_samples: u64,
    /// Underruns of all application endpoints (see [`EndpointCounters`]).
    pub endpoint_underruns: u64,
    /// Overruns of all application endpoints (see [`EndpointCounters`]).
    pub endpoint_overruns: u64,
    /// Whether the media thread runs with real-time priority.
    pub realtime: bool,
}

/// State shared by the runtime's threads and handles (atomics only).
pub(crate) struct Shared {
    stop: AtomicBool,
    exited: AtomicBool,
    ticks: AtomicU64,
    late_ticks: AtomicU64,
    skipped: AtomicU64,
    commands: AtomicU64,
    events_dropped: AtomicU64,
    io_queued: AtomicU64,
    underruns: AtomicU64,
    overruns: AtomicU64,
    realtime: AtomicBool,
    work: Histogram,
    lateness: Histogram,
}

impl Shared {
    fn new() -> Self {
        Shared {
            stop: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            ticks: AtomicU64::new(0),
            late_ticks: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            commands: AtomicU64::new(0),
            events_dropped: AtomicU64::new(0),
            io_queued: AtomicU64::new(0),
            underruns: AtomicU64::new(0),
            overruns: AtomicU64::new(0),
            realtime: AtomicBool::new(false),
            work: Histogram::new(),
            lateness: Histogram::new(),
        }
    }
}

fn us(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1000.0
}

/// What the media thread owns: the processor and the runtime's objects around it.
pub struct Media {
    /// The processor.
    pub processor: Processor,
    endpoints: Vec<MediaEndpoint>,
    conferences: Vec<Conference>,
}

impl Media {
    fn conference(&mut self, id: u32) -> Result<(&mut Conference, &mut Processor)> {
        let c = self
            .conferences
            .iter_mut()
            .find(|c| c.id() == id)
            .ok_or_else(|| Error::state(format!("conference {id}"), "no such conference"))?;
        Ok((c, &mut self.processor))
    }
}

/// A call in flight: run once on the media thread, then sent back (with its result inside) so
/// that its memory is freed on the caller's thread.
trait Job: Send {
    fn run(&mut self, m: &mut Media);
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send>;
}

struct Call<F, R> {
    f: Option<F>,
    r: Option<R>,
}

impl<F, R> Job for Call<F, R>
where
    F: FnOnce(&mut Media) -> R + Send + 'static,
    R: Send + 'static,
{
    fn run(&mut self, m: &mut Media) {
        if let Some(f) = self.f.take() {
            // A panicking call leaves `r` empty; the caller gets an error, the thread goes on.
            self.r = std::panic::catch_unwind(AssertUnwindSafe(|| f(m))).ok();
        }
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any + Send> {
        self
    }
}

/// A finished call on its way back to its caller.
type Reply = Box<dyn Job>;

struct Cmd {
    job: Box<dyn Job>,
    reply: Option<Sender<Reply>>,
}

/// What the media thread hands to the I/O thread to drop.
enum Garbage {
    Job(#[allow(dead_code)] Box<dyn Job>),
    Endpoint(#[allow(dead_code)] MediaEndpoint),
    Stop,
}

fn stopped() -> Error {
    Error::state("runtime", "the runtime has stopped")
}

/// A cloneable, `Send + Sync` handle that controls a running [`Runtime`] from any thread.
///
/// Every call is queued (the queue is bounded: a caller blocks while it is full), applied on the
/// media thread at the next tick boundary, and its result returned to the caller. Handles of
/// channels, endpoints and the rest are the processor's own, generation-checked: a stale one is
/// an [`Error::StaleHandle`], never another object.
#[derive(Clone)]
pub struct RuntimeHandle {
    tx: Sender<Cmd>,
    shared: Arc<Shared>,
    events: Receiver<RuntimeEvent>,
    config: Config,
}

impl std::fmt::Debug for RuntimeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeHandle")
            .field("config", &self.config)
            .finish()
    }
}

impl RuntimeHandle {
    fn exec<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Media) -> R + Send + 'static,
        R: Send + 'static,
    {
        // Each calling thread keeps one reply channel for all its calls (a call waits for its
        // reply, so at most one is in flight per thread). The media thread drops only its
        // clone of the sender, never the channel's last reference, so it frees nothing.
        thread_local! {
            static REPLY: (Sender<Reply>, Receiver<Reply>) =
                crossbeam_channel::bounded(1);
        }
        let (rtx, rrx) = REPLY.with(|(t, r)| (t.clone(), r.clone()));
        let job: Box<dyn Job> = Box::new(Call {
            f: Some(f),
            r: None,
        });
        self.tx
            .send(Cmd {
                job,
                reply: Some(rtx),
            })
            .map_err(|_| stopped())?;
        let back = loop {
            match rrx.recv_timeout(Duration::from_millis(20)) {
                Ok(b) => break b,
                Err(RecvTimeoutError::Timeout) => {
                    if self.shared.exited.load(Ordering::Acquire) {
                        // A call still queued when the media thread stopped is never run.
                        break rrx.try_recv().map_err(|_| stopped())?;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err(stopped()),
            }
        };
        let call = back
            .into_any()
            .downcast::<Call<F, R>>()
            .map_err(|_| stopped())?;
        call.r
            .ok_or_else(|| Error::state("runtime", "the call panicked on the media thread"))
    }

    /// Runs `f` on the media thread at the next tick boundary and returns its result. Waits
    /// at most about one frame plus the calls queued before it. Never call the handle from
    /// inside `f` (the media thread would wait for itself).
    pub fn call<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Processor) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec(move |m| f(&mut m.processor))
    }

    /// Like [`Self::call`], with the runtime's objects too (conferences, endpoints).
    pub fn call_media<F, R>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Media) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec(f)
    }

    /// Queues `f` to run on the media thread at the next tick boundary without waiting for it.
    pub fn post<F>(&self, f: F) -> Result<()>
    where
        F: FnOnce(&mut Processor) + Send + 'static,
    {
        let job: Box<dyn Job> = Box::new(Call {
            f: Some(move |m: &mut Media| f(&mut m.processor)),
            r: None::<()>,
        });
        self.tx
            .send(Cmd { job, reply: None })
            .map_err(|_| stopped())
    }

    /// The processor's configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// The runtime's counters and timings.
    pub fn stats(&self) -> RuntimeStats {
        let s = &self.shared;
        RuntimeStats {
            ticks: s.ticks.load(Ordering::Relaxed),
            late_ticks: s.late_ticks.load(Ordering::Relaxed),
            skipped_frames: s.skipped.load(Ordering::Relaxed),
            tick_p50_us: us(s.work.quantile(0.5)),
            tick_p99_us: us(s.work.quantile(0.99)),
            tick_max_us: us(s.work.max()),
            lateness_p50_us: us(s.lateness.quantile(0.5)),
            lateness_p99_us: us(s.lateness.quantile(0.99)),
            lateness_max_us: us(s.lateness.max()),
            commands: s.commands.load(Ordering::Relaxed),
            command_queue_depth: self.tx.len(),
            event_queue_depth: self.events.len(),
            events_dropped: s.events_dropped.load(Ordering::Relaxed),
            io_queued_samples: s.io_queued.load(Ordering::Relaxed),
            endpoint_underruns: s.underruns.load(Ordering::Relaxed),
            endpoint_overruns: s.overruns.load(Ordering::Relaxed),
            realtime: s.realtime.load(Ordering::Relaxed),
        }
    }

    /// Starts the timings (tick work, lateness) and the late and skipped counts afresh, for a
    /// measurement that leaves out a set-up phase. Ticks and other counters are kept.
    pub fn reset_timings(&self) {
        let s = &self.shared;
        s.work.reset();
        s.lateness.reset();
        s.late_ticks.store(0, Ordering::Relaxed);
        s.skipped.store(0, Ordering::Relaxed);
    }

    /// The processor's counters.
    pub fn engine_stats(&self) -> Result<Stats> {
        self.call(|p| p.stats())
    }

    /// Creates an endpoint whose frames the application exchanges through lock-free rings
    /// keeping at most `depth` frames each way (see [`AppEndpoint`]).
    pub fn app_endpoint(&self, depth: usize) -> Result<AppEndpoint> {
        Ok(self.app_endpoints(1, depth)?.remove(0))
    }

    /// Creates `count` application endpoints in one call (see [`Self::app_endpoint`]).
    pub fn app_endpoints(&self, count: usize, depth: usize) -> Result<Vec<AppEndpoint>> {
        // The rings are made here; the media thread only creates the processor's endpoints and
        // files the media sides, in room reserved at the start.
        let l = self.config.frame_len();
        let (mut apps, medias): (Vec<AppEndpoint>, Vec<MediaEndpoint>) = (0..count)
            .map(|_| {
                endpoint::pair(
                    crate::EndpointId::from_raw(0),
                    l,
                    depth,
                    self.shared.clone(),
                )
            })
            .unzip();
        let ids = self.exec(move |m| -> Result<Vec<crate::EndpointId>> {
            let room = m.endpoints.capacity() - m.endpoints.len();
            if medias.len() > room {
                return Err(Error::Capacity(format!(
                    "the runtime has room for {} more application endpoints (of {})",
                    room,
                    m.endpoints.capacity()
                )));
            }
            let mut ids = Vec::with_capacity(medias.len());
            for mut media in medias {
                let id = m.processor.endpoint_create()?;
                media.id = id;
                m.endpoints.push(media);
                ids.push(id);
            }
            Ok(ids)
        })??;
        for (app, id) in apps.iter_mut().zip(ids) {
            app.set_id(id);
        }
        Ok(apps)
    }

    // ------------------------------------------------------------ channels and datafeeds

    /// [`Processor::channel_create`].
    pub fn channel_create(&self, kind: ChannelKind) -> Result<ChannelId> {
        self.call(move |p| p.channel_create(kind))?
    }

    /// [`Processor::channel_release`].
    pub fn channel_release(&self, ch: ChannelId) -> Result<()> {
        self.call(move |p| p.channel_release(ch))?
    }

    /// [`Processor::channel_datafeed`].
    pub fn channel_datafeed(&self, ch: ChannelId) -> Result<Datafeed> {
        self.call(move |p| p.channel_datafeed(ch))?
    }

    /// [`Processor::channel_connect_input`].
    pub fn channel_connect_input(&self, ch: ChannelId, feed: Datafeed) -> Result<()> {
        self.call(move |p| p.channel_connect_input(ch, feed))?
    }

    /// [`Processor::channel_set_input_gain`].
    pub fn channel_set_input_gain(&self, ch: ChannelId, gain_db: f32) -> Result<()> {
        self.call(move |p| p.channel_set_input_gain(ch, gain_db))?
    }

    /// [`Processor::channel_set_output_gain`].
    pub fn channel_set_output_gain(&self, ch: ChannelId, gain_db: f32) -> Result<()> {
        self.call(move |p| p.channel_set_output_gain(ch, gain_db))?
    }

    /// [`Processor::endpoint_connect`].
    pub fn endpoint_connect(&self, ep: crate::EndpointId, feed: Datafeed) -> Result<()> {
        self.call(move |p| p.endpoint_connect(ep, feed))?
    }

    /// Creates a full-duplex channel wired to an application endpoint both ways (the endpoint
    /// feeds the channel's input; the endpoint transmits the channel's output).
    pub fn app_channel(&self, depth: usize) -> Result<(ChannelId, AppEndpoint)> {
        Ok(self.app_channels(1, depth)?.remove(0))
    }

    /// Creates `count` channels wired to application endpoints in two calls (see
    /// [`Self::app_channel`]).
    pub fn app_channels(
        &self,
        count: usize,
        depth: usize,
    ) -> Result<Vec<(ChannelId, AppEndpoint)>> {
        let eps = self.app_endpoints(count, depth)?;
        let ids: Vec<crate::EndpointId> = eps.iter().map(|e| e.id()).collect();
        let chans = self.call(move |p| -> Result<Vec<ChannelId>> {
            ids.into_iter()
                .map(|id| {
                    let ch = p.channel_create(ChannelKind::FullDuplex)?;
                    p.channel_connect_input(ch, Datafeed::Endpoint(id))?;
                    p.endpoint_connect(id, Datafeed::Channel(ch))?;
                    Ok(ch)
                })
                .collect()
        })??;
        Ok(chans.into_iter().zip(eps).collect())
    }

    // ------------------------------------------------------------ conference primitives

    /// [`Processor::conf_prim_start`].
    pub fn conf_prim_start(&self, out_ch: ChannelId) -> Result<()> {
        self.call(move |p| p.conf_prim_start(out_ch))?
    }

    /// [`Processor::conf_prim_stop`].
    pub fn conf_prim_stop(&self, out_ch: ChannelId) -> Result<()> {
        self.call(move |p| p.conf_prim_stop(out_ch))?
    }

    /// [`Processor::conf_prim_attach`].
    pub fn conf_prim_attach(&self, in_ch: ChannelId) -> Result<ParticipantId> {
        self.call(move |p| p.conf_prim_attach(in_ch))?
    }

    /// [`Processor::conf_prim_detach`].
    pub fn conf_prim_detach(&self, in_ch: ChannelId) -> Result<()> {
        self.call(move |p| p.conf_prim_detach(in_ch))?
    }

    /// [`Processor::conf_prim_add`].
    pub fn conf_prim_add(
        &self,
        out_ch: ChannelId,
        in_ch: ChannelId,
        gain_db: f32,
    ) -> Result<ParticipantId> {
        self.call(move |p| p.conf_prim_add(out_ch, in_ch, gain_db))?
    }

    /// [`Processor::conf_prim_leave`].
    pub fn conf_prim_leave(&self, out_ch: ChannelId, in_ch: ChannelId) -> Result<()> {
        self.call(move |p| p.conf_prim_leave(out_ch, in_ch))?
    }

    /// [`Processor::conf_prim_gain`].
    pub fn conf_prim_gain(&self, out_ch: ChannelId, in_ch: ChannelId) -> Result<Option<f32>> {
        self.call(move |p| p.conf_prim_gain(out_ch, in_ch))?
    }

    /// [`Processor::conf_prim_status`].
    pub fn conf_prim_status(&self, out_ch: ChannelId) -> Result<Vec<ActiveInput>> {
        self.call(move |p| p.conf_prim_status(out_ch))?
    }

    // ------------------------------------------------------------ conferences

    /// Creates a [`Conference`] kept on the media thread; returns its number.
    pub fn conference_create(&self) -> Result<u32> {
        self.exec(|m| -> Result<u32> {
            let c = Conference::create(&mut m.processor)?;
            let id = c.id();
            m.conferences.push(c);
            Ok(id)
        })?
    }

    /// [`Conference::add_party`].
    pub fn conference_add_party(
        &self,
        conf: u32,
        in_ch: ChannelId,
        out_ch: ChannelId,
        options: PartyOptions,
    ) -> Result<PartyId> {
        self.with_conference(conf, move |c, p| c.add_party(p, in_ch, out_ch, options))?
    }

    /// [`Conference::add_monitor`].
    pub fn conference_add_monitor(&self, conf: u32, out_ch: ChannelId) -> Result<PartyId> {
        self.with_conference(conf, move |c, p| c.add_monitor(p, out_ch))?
    }

    /// [`Conference::add_background`].
    pub fn conference_add_background(
        &self,
        conf: u32,
        in_ch: ChannelId,
        gain_db: f32,
    ) -> Result<PartyId> {
        self.with_conference(conf, move |c, p| c.add_background(p, in_ch, gain_db))?
    }

    /// [`Conference::add_coach`].
    pub fn conference_add_coach(
        &self,
        conf: u32,
        in_ch: ChannelId,
        out_ch: ChannelId,
        pupil: PartyId,
    ) -> Result<PartyId> {
        self.with_conference(conf, move |c, p| c.add_coach(p, in_ch, out_ch, pupil))?
    }

    /// [`Conference::remove_party`].
    pub fn conference_remove_party(&self, conf: u32, party: PartyId) -> Result<()> {
        self.with_conference(conf, move |c, p| c.remove_party(p, party))?
    }

    /// [`Conference::info`].
    pub fn conference_info(&self, conf: u32) -> Result<ConferenceInfo> {
        self.with_conference(conf, move |c, p| c.info(p))
    }

    /// [`Conference::delete`].
    pub fn conference_delete(&self, conf: u32) -> Result<()> {
        self.exec(move |m| -> Result<()> {
            let i = m
                .conferences
                .iter()
                .position(|c| c.id() == conf)
                .ok_or_else(|| Error::state(format!("conference {conf}"), "no such conference"))?;
            let c = m.conferences.swap_remove(i);
            c.delete(&mut m.processor)
        })?
    }

    /// Runs `f` on the media thread with a conference made by [`Self::conference_create`].
    pub fn with_conference<F, R>(&self, conf: u32, f: F) -> Result<R>
    where
        F: FnOnce(&mut Conference, &mut Processor) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.exec(move |m| -> Result<R> {
            let (c, p) = m.conference(conf)?;
            Ok(f(c, p))
        })?
    }

    // ------------------------------------------------------------ record and replay

    /// Records a datafeed to a mono WAV file. The file is created on the caller's thread; the
    /// media thread only attaches it.
    pub fn record(
        &self,
        feed: Datafeed,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.record_target(RecordTarget::Feed(feed), path.as_ref(), options)
    }

    /// Records two datafeeds to a stereo WAV file (see [`Self::record`]).
    pub fn record_stereo(
        &self,
        left: Datafeed,
        right: Datafeed,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.record_target(RecordTarget::Stereo(left, right), path.as_ref(), options)
    }

    /// Records what enters the conferences through a channel's input (see
    /// [`Processor::record_input`] and [`Self::record`]).
    pub fn record_input(
        &self,
        ch: ChannelId,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.record_target(RecordTarget::Input(ch), path.as_ref(), options)
    }

    fn record_target(
        &self,
        target: RecordTarget,
        path: &Path,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        let prepared = PreparedRecording::new(self.config, path, target.channels(), options)?;
        self.call(move |p| p.record_prepared(target, prepared))?
    }

    /// [`Processor::recorder_stop`]: the I/O thread finalises the file shortly after.
    pub fn recorder_stop(&self, rec: RecorderId) -> Result<()> {
        self.call(move |p| p.recorder_stop(rec))?
    }

    /// Replays a WAV file onto a channel's output. The file is opened and read ahead on the
    /// caller's thread.
    pub fn replay(
        &self,
        ch: ChannelId,
        path: impl AsRef<Path>,
        options: ReplayOptions,
    ) -> Result<PlayerId> {
        let prepared = PreparedReplay::new(self.config, path, options)?;
        self.call(move |p| p.replay_prepared(ch, prepared))?
    }

    /// [`Processor::replay_stop`].
    pub fn replay_stop(&self, player: PlayerId) -> Result<()> {
        self.call(move |p| p.replay_stop(player))?
    }
}

/// A processor running on its own media thread. See the module documentation.
pub struct Runtime {
    handle: RuntimeHandle,
    media: Option<JoinHandle<Media>>,
    io: Option<JoinHandle<IoService>>,
    event_thread: Option<JoinHandle<()>>,
    garbage: Sender<Garbage>,
    ev_tx: Option<Sender<RuntimeEvent>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("stats", &self.handle.stats())
            .finish()
    }
}

fn send_event(tx: &Sender<RuntimeEvent>, shared: &Shared, e: RuntimeEvent) {
    if let Err(TrySendError::Full(_)) = tx.try_send(e) {
        shared.events_dropped.fetch_add(1, Ordering::Relaxed);
    }
}

impl Runtime {
    /// Moves `processor` onto a new media thread and starts ticking it in real time.
    pub fn start(processor: Processor, config: RuntimeConfig) -> Result<Runtime> {
        let RuntimeConfig {
            command_queue,
            max_commands_per_tick,
            event_queue,
            realtime_priority,
            max_catch_up_frames,
            late_after,
            io_interval,
            max_app_endpoints,
            stop_after_ticks,
            clock,
            on_event,
        } = config;
        if command_queue == 0 || event_queue == 0 || max_commands_per_tick == 0 {
            return Err(Error::arg(
                "config",
                "command_queue, event_queue and max_commands_per_tick must be at least 1",
            ));
        }
        let mut processor = processor;
        let pconfig = processor.config();
        let frame = Duration::from_millis(pconfig.frame_ms as u64);
        let late_after = late_after.unwrap_or(frame / 2);
        let shared = Arc::new(Shared::new());
        let (tx, rx) = crossbeam_channel::bounded::<Cmd>(command_queue);
        let (ev_tx, ev_rx) = crossbeam_channel::bounded::<RuntimeEvent>(event_queue);
        let (g_tx, g_rx) = crossbeam_channel::bounded::<Garbage>(command_queue + 64);

        // Events raised before the start belong to the application too.
        while let Some(e) = processor.poll_event() {
            send_event(&ev_tx, &shared, RuntimeEvent::Engine(e));
        }
        processor.commit();
        let mut service = processor.detach_io();

        let event_thread = match on_event {
            Some(mut cb) => {
                let rx = ev_rx.clone();
                Some(
                    std::thread::Builder::new()
                        .name("tutti-events".into())
                        .spawn(move || {
                            for e in rx.iter() {
                                cb(e);
                            }
                        })
                        .map_err(|e| Error::state("runtime", format!("spawn: {e}")))?,
                )
            }
            None => None,
        };

        let io = {
            let shared = shared.clone();
            let ev_tx = ev_tx.clone();
            std::thread::Builder::new()
                .name("tutti-io".into())
                .spawn(move || {
                    let mut events = Vec::new();
                    let mut stopping = false;
                    loop {
                        service.service(&mut events);
                        let tick = shared.ticks.load(Ordering::Relaxed);
                        for event in events.drain(..) {
                            send_event(
                                &ev_tx,
                                &shared,
                                RuntimeEvent::Engine(TimedEvent { tick, event }),
                            );
                        }
                        shared
                            .io_queued
                            .store(service.queued_samples() as u64, Ordering::Relaxed);
                        if stopping {
                            break;
                        }
                        match g_rx.recv_timeout(io_interval) {
                            Ok(Garbage::Stop) | Err(RecvTimeoutError::Disconnected) => {
                                stopping = true
                            }
                            Ok(_) | Err(RecvTimeoutError::Timeout) => {}
                        }
                        while let Ok(g) = g_rx.try_recv() {
                            if matches!(g, Garbage::Stop) {
                                stopping = true;
                            }
                        }
                    }
                    service
                })
                .map_err(|e| Error::state("runtime", format!("spawn: {e}")))?
        };

        let media = {
            let shared = shared.clone();
            let ev_tx = ev_tx.clone();
            let g_tx = g_tx.clone();
            let mut clock: Box<dyn Clock> = clock.unwrap_or_else(|| Box::new(MonotonicClock));
            let mut m = Media {
                processor,
                endpoints: Vec::with_capacity(max_app_endpoints.max(1)),
                conferences: Vec::new(),
            };
            std::thread::Builder::new()
                .name("tutti-media".into())
                .spawn(move || {
                    if let Some(prio) = realtime_priority {
                        match sched::request_realtime(prio) {
                            Ok(()) => shared.realtime.store(true, Ordering::Relaxed),
                            Err(message) => {
                                sched::warn_once(&message);
                                send_event(
                                    &ev_tx,
                                    &shared,
                                    RuntimeEvent::RealtimeUnavailable { message },
                                );
                            }
                        }
                    }
                    let start = clock.now();
                    let mut pacer = Pacer::new(start, frame, max_catch_up_frames);
                    let ctx = MediaLoop {
                        shared: &shared,
                        rx: &rx,
                        ev_tx: &ev_tx,
                        g_tx: &g_tx,
                        max_commands: max_commands_per_tick,
                        late_after,
                        stop_after: stop_after_ticks.unwrap_or(u64::MAX),
                    };
                    ctx.run(&mut m, clock.as_mut(), &mut pacer);
                    shared.exited.store(true, Ordering::Release);
                    m
                })
                .map_err(|e| Error::state("runtime", format!("spawn: {e}")))?
        };

        Ok(Runtime {
            handle: RuntimeHandle {
                tx,
                shared,
                events: ev_rx,
                config: pconfig,
            },
            media: Some(media),
            io: Some(io),
            event_thread,
            garbage: g_tx,
            ev_tx: Some(ev_tx),
        })
    }

    /// A handle for controlling the runtime from any thread.
    pub fn handle(&self) -> RuntimeHandle {
        self.handle.clone()
    }

    /// The receiver of the runtime's events (empty when a callback was configured).
    pub fn events(&self) -> Receiver<RuntimeEvent> {
        self.handle.events.clone()
    }

    /// The runtime's counters and timings.
    pub fn stats(&self) -> RuntimeStats {
        self.handle.stats()
    }

    /// Stops the media thread at the next tick boundary, stops every recording and replay,
    /// lets the I/O thread write and finalise every file, and returns the processor (with its
    /// file side attached again, so it can be driven by hand or restarted). Calls still queued
    /// fail with an error. Conferences made with [`RuntimeHandle::conference_create`] are
    /// deleted from the runtime's list but their primitives stay on the processor.
    pub fn shutdown(mut self) -> Result<Processor> {
        self.stop()
            .ok_or_else(|| Error::state("runtime", "the media thread panicked"))
    }

    fn stop(&mut self) -> Option<Processor> {
        self.handle.shared.stop.store(true, Ordering::Release);
        let media = self.media.take()?.join().ok();
        let mut p = media.map(|m| m.processor);
        if let Some(p) = p.as_mut() {
            p.finish_io();
        }
        let _ = self.garbage.send(Garbage::Stop);
        if let Some(io) = self.io.take() {
            if let Ok(service) = io.join() {
                if let Some(p) = p.as_mut() {
                    p.attach_io(service);
                    p.service_io();
                }
            }
        }
        // Events of the final steps go to the application like any other.
        if let (Some(p), Some(tx)) = (p.as_mut(), self.ev_tx.as_ref()) {
            while let Some(e) = p.poll_event() {
                send_event(tx, &self.handle.shared, RuntimeEvent::Engine(e));
            }
        }
        self.ev_tx = None;
        if let Some(t) = self.event_thread.take() {
            // The event thread ends when every sender is gone; handles keep a receiver only.
            let _ = t.join();
        }
        p
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.media.is_some() {
            let _ = self.stop();
        }
    }
}

struct MediaLoop<'a> {
    shared: &'a Shared,
    rx: &'a Receiver<Cmd>,
    ev_tx: &'a Sender<RuntimeEvent>,
    g_tx: &'a Sender<Garbage>,
    max_commands: usize,
    late_after: Duration,
    stop_after: u64,
}

impl MediaLoop<'_> {
    fn run(&self, m: &mut Media, clock: &mut dyn Clock, pacer: &mut Pacer) {
        let shared = self.shared;
        loop {
            let wake = pacer.wait(clock);
            if shared.stop.load(Ordering::Acquire) {
                break;
            }
            let t0 = Instant::now();
            let ticking = m.processor.tick_count() < self.stop_after;
            if ticking {
                shared.lateness.record(wake.lateness);
                if wake.lateness > self.late_after {
                    shared.late_ticks.fetch_add(1, Ordering::Relaxed);
                }
                if wake.skipped > 0 {
                    shared.skipped.fetch_add(wake.skipped, Ordering::Relaxed);
                    self.event(RuntimeEvent::FramesSkipped {
                        frames: wake.skipped,
                        tick: m.processor.tick_count(),
                    });
                }
            }
            self.apply_commands(m);
            self.reap_endpoints(m);
            if ticking {
                m.processor.commit();
                for i in 0..m.endpoints.len() {
                    if let Some(e) = m.endpoints[i].feed(&mut m.processor, shared) {
                        self.event(e);
                    }
                }
                m.processor.tick();
                for e in m.endpoints.iter_mut() {
                    e.drain(&mut m.processor, shared);
                }
                shared
                    .ticks
                    .store(m.processor.tick_count(), Ordering::Release);
            }
            while let Some(e) = m.processor.poll_event() {
                self.event(RuntimeEvent::Engine(e));
            }
            if ticking {
                shared.work.record(t0.elapsed());
            }
        }
    }

    fn event(&self, e: RuntimeEvent) {
        send_event(self.ev_tx, self.shared, e);
    }

    fn apply_commands(&self, m: &mut Media) {
        for _ in 0..self.max_commands {
            let Ok(cmd) = self.rx.try_recv() else {
                break;
            };
            let Cmd { mut job, reply } = cmd;
            job.run(m);
            self.shared.commands.fetch_add(1, Ordering::Relaxed);
            match reply {
                Some(r) => {
                    // The caller drops the job; if it has gone, the I/O thread does.
                    if let Err(e) = r.try_send(job) {
                        self.dispose(Garbage::Job(e.into_inner()));
                    }
                }
                None => self.dispose(Garbage::Job(job)),
            }
        }
    }

    fn reap_endpoints(&self, m: &mut Media) {
        let mut i = 0;
        while i < m.endpoints.len() {
            if m.endpoints[i].is_closed() {
                let e = m.endpoints.swap_remove(i);
                let _ = m.processor.endpoint_release(e.id);
                self.dispose(Garbage::Endpoint(e));
            } else {
                i += 1;
            }
        }
    }

    fn dispose(&self, g: Garbage) {
        // With the I/O thread's queue full the object is dropped here, which may free memory.
        let _ = self.g_tx.try_send(g);
    }
}
