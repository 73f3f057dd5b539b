//! Recorders and players: the tick-side halves (lock-free rings) and the I/O-side halves
//! (WAV files) that the caller services outside `tick()`.
//!
//! The I/O-side halves live in an `IoHub` inside the processor, serviced by
//! [`Processor::service_io`], until [`Processor::detach_io`] moves them into an [`IoService`]
//! that another thread services; recorders and players started after that are handed to the
//! service through a channel. Files can also be opened (and replays read ahead) on any thread
//! with [`PreparedRecording`] and [`PreparedReplay`], so that the thread running the processor
//! never waits for a disk.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::{ChannelId, Config, Datafeed, Event, OutSource, PlayerId, Processor, RecorderId};
use crate::dsp::level::{check_gain_db, GAIN_ONE};
use crate::media::wav::{WavFileWriter, WavReader};
use crate::{Error, Result};

/// Largest recorder queue ([`RecordOptions::queue_ms`]) and replay buffer
/// ([`ReplayOptions::buffer_ms`]) accepted, in ms.
pub(crate) const MAX_QUEUE_MS: u32 = 60_000;

/// Options of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordOptions {
    /// Capacity of the queue between the tick and the file writer, in ms of audio: at least
    /// two frames, at most 60 000 ms. When the writer falls this far behind, frames are
    /// dropped and counted.
    pub queue_ms: u32,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions { queue_ms: 4000 }
    }
}

/// Options of a replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplayOptions {
    /// Start again from the beginning at the end of the file.
    pub looping: bool,
    /// Gain applied to the replayed audio, in dB.
    pub gain_db: f32,
    /// Audio read ahead of the tick, in ms: values below 100 ms are raised to 100 ms; at most
    /// 60 000 ms.
    pub buffer_ms: u32,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            looping: false,
            gain_db: 0.0,
            buffer_ms: 1000,
        }
    }
}

#[derive(Default)]
pub(crate) struct Shared {
    /// Recorder: stop requested. Player: the reader reached the end or failed.
    pub(crate) done: AtomicBool,
}

pub(crate) struct RecorderObj {
    pub(crate) feeds: [Option<Datafeed>; 2],
    /// For [`Processor::record_input`]: the channel whose input (after its input stage) is
    /// recorded instead of `feeds[0]`.
    pub(crate) input: Option<ChannelId>,
    pub(crate) channels: u16,
    pub(crate) prod: HeapProd<i16>,
    pub(crate) scratch: Box<[i16]>,
    pub(crate) overflowing: bool,
    pub(crate) dropped: u64,
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct PlayerObj {
    pub(crate) channel: ChannelId,
    pub(crate) cons: HeapCons<i16>,
    pub(crate) gain_q: i32,
    pub(crate) finished: bool,
    pub(crate) underrun: bool,
    pub(crate) shared: Arc<Shared>,
}

struct RecorderIo {
    id: RecorderId,
    cons: HeapCons<i16>,
    writer: Option<WavFileWriter>,
    shared: Arc<Shared>,
    scratch: Vec<i16>,
}

struct PlayerIo {
    id: PlayerId,
    reader: WavReader,
    prod: HeapProd<i16>,
    looping: bool,
    shared: Arc<Shared>,
    scratch: Vec<i16>,
}

impl PlayerIo {
    /// Reads the file ahead into the ring until it is full, the file ends or reading fails.
    fn fill(&mut self, events: &mut Vec<Event>) {
        let p = self;
        if p.shared.done.load(Ordering::Acquire) {
            return;
        }
        loop {
            let room = p.prod.vacant_len();
            if room == 0 {
                break;
            }
            let n = room.min(p.scratch.len());
            match p.reader.read(&mut p.scratch[..n]) {
                Ok(0) => {
                    if p.looping && p.reader.source_frames() > 0 {
                        if let Err(e) = p.reader.rewind() {
                            events.push(Event::ReplayError {
                                player: p.id,
                                message: e.to_string(),
                            });
                            p.shared.done.store(true, Ordering::Release);
                            break;
                        }
                    } else {
                        p.shared.done.store(true, Ordering::Release);
                        break;
                    }
                }
                Ok(k) => {
                    p.prod.push_slice(&p.scratch[..k]);
                }
                Err(e) => {
                    events.push(Event::ReplayError {
                        player: p.id,
                        message: e.to_string(),
                    });
                    p.shared.done.store(true, Ordering::Release);
                    break;
                }
            }
        }
    }
}

/// The I/O-side half of a new recorder or player, on its way to a detached [`IoService`].
enum IoItem {
    Recorder(Box<RecorderIo>),
    Player(Box<PlayerIo>),
}

/// The I/O-side halves of all recorders and players of a processor.
#[derive(Default)]
pub(crate) struct IoHub {
    recorders: Vec<RecorderIo>,
    players: Vec<PlayerIo>,
    /// Set while the halves are serviced elsewhere (see [`Processor::detach_io`]).
    outbox: Option<Sender<IoItem>>,
}

/// The file side of a processor's recorders and players, detached with
/// [`Processor::detach_io`] so that another thread can service it with [`IoService::service`].
/// Recorders and players started on the processor after detaching are handed to it through a
/// channel. Give it back with [`Processor::attach_io`].
pub struct IoService {
    hub: IoHub,
    inbox: Receiver<IoItem>,
}

impl std::fmt::Debug for IoService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoService")
            .field("recorders", &self.hub.recorders.len())
            .field("players", &self.hub.players.len())
            .finish()
    }
}

impl IoService {
    /// Takes in new recorders and players, writes queued recorder frames, finalises stopped
    /// recordings and reads replays ahead. Events to raise are appended to `events`.
    pub fn service(&mut self, events: &mut Vec<Event>) {
        self.take_new();
        self.hub.service(events);
    }

    fn take_new(&mut self) {
        while let Ok(item) = self.inbox.try_recv() {
            match item {
                IoItem::Recorder(r) => self.hub.recorders.push(*r),
                IoItem::Player(p) => self.hub.players.push(*p),
            }
        }
    }

    /// Recordings whose file is still open.
    pub fn open_recordings(&self) -> usize {
        self.hub.recorders.len() + self.inbox.len()
    }

    /// Samples queued in recorder rings and not yet written.
    pub fn queued_samples(&self) -> usize {
        self.hub
            .recorders
            .iter()
            .map(|r| r.cons.occupied_len())
            .sum()
    }
}

impl IoHub {
    fn add_recorder(&mut self, r: RecorderIo) {
        let r = match &self.outbox {
            Some(tx) => match tx.send(IoItem::Recorder(Box::new(r))) {
                Ok(()) => return,
                Err(e) => match e.into_inner() {
                    IoItem::Recorder(r) => *r,
                    IoItem::Player(_) => unreachable!("sent a recorder"),
                },
            },
            None => r,
        };
        self.recorders.push(r);
    }

    fn add_player(&mut self, p: PlayerIo) {
        let p = match &self.outbox {
            Some(tx) => match tx.send(IoItem::Player(Box::new(p))) {
                Ok(()) => return,
                Err(e) => match e.into_inner() {
                    IoItem::Player(p) => *p,
                    IoItem::Recorder(_) => unreachable!("sent a player"),
                },
            },
            None => p,
        };
        self.players.push(p);
    }

    /// Moves data between the rings and the files. Returns the events to raise.
    fn service(&mut self, events: &mut Vec<Event>) {
        for p in self.players.iter_mut() {
            p.fill(events);
        }
        // Players whose engine side is gone hold only the strong count of this side.
        self.players
            .retain(|p| Arc::strong_count(&p.shared) > 1 && !p.shared.done.load(Ordering::Acquire));

        for r in self.recorders.iter_mut() {
            let stopping =
                r.shared.done.load(Ordering::Acquire) || Arc::strong_count(&r.shared) == 1;
            loop {
                let n = r.cons.pop_slice(&mut r.scratch);
                if n == 0 {
                    break;
                }
                if let Some(w) = r.writer.as_mut() {
                    if let Err(e) = w.write(&r.scratch[..n]) {
                        events.push(Event::RecorderError {
                            recorder: r.id,
                            message: e.to_string(),
                        });
                        // Keep what was written a valid file, then stop writing.
                        if let Some(w) = r.writer.take() {
                            let _ = w.finalize();
                        }
                    }
                }
            }
            if stopping {
                if let Some(w) = r.writer.take() {
                    let frames = w.frames_written();
                    match w.finalize() {
                        Ok(()) => events.push(Event::RecordingStopped {
                            recorder: r.id,
                            frames,
                        }),
                        Err(e) => events.push(Event::RecorderError {
                            recorder: r.id,
                            message: e.to_string(),
                        }),
                    }
                }
            }
        }
        self.recorders.retain(|r| {
            !(r.shared.done.load(Ordering::Acquire) || Arc::strong_count(&r.shared) == 1)
        });
    }
}

/// What a recording records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordTarget {
    /// One datafeed, to a mono file.
    Feed(Datafeed),
    /// Two datafeeds, to a stereo file (left, right).
    Stereo(Datafeed, Datafeed),
    /// What enters the conferences through a channel's input (see
    /// [`Processor::record_input`]), to a mono file.
    Input(ChannelId),
}

impl RecordTarget {
    /// Channels of the file: 2 for [`RecordTarget::Stereo`], otherwise 1.
    pub fn channels(&self) -> u16 {
        match self {
            RecordTarget::Stereo(..) => 2,
            _ => 1,
        }
    }
}

/// A recording whose WAV file is created and whose queue is allocated, ready to be attached to
/// a processor with [`Processor::record_prepared`]. Preparing does the file system work, so it
/// can be done on any thread while another thread runs the processor.
pub struct PreparedRecording {
    config: Config,
    channels: u16,
    writer: WavFileWriter,
    prod: HeapProd<i16>,
    cons: HeapCons<i16>,
    cap: usize,
}

impl std::fmt::Debug for PreparedRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRecording")
            .field("path", &self.writer.path())
            .field("channels", &self.channels)
            .finish()
    }
}

impl PreparedRecording {
    /// Creates the WAV file (`channels`: 1 or 2, at the configuration's rate) and the queue.
    pub fn new(
        config: Config,
        path: impl AsRef<Path>,
        channels: u16,
        options: RecordOptions,
    ) -> Result<Self> {
        config.validate()?;
        if !(1..=2).contains(&channels) {
            return Err(Error::arg(
                "channels",
                format!("{channels}: must be 1 or 2"),
            ));
        }
        if options.queue_ms < 2 * config.frame_ms || options.queue_ms > MAX_QUEUE_MS {
            return Err(Error::arg(
                "queue_ms",
                format!(
                    "{} ms: must hold at least two frames ({} ms) and at most {MAX_QUEUE_MS} ms",
                    options.queue_ms,
                    2 * config.frame_ms
                ),
            ));
        }
        let writer = WavFileWriter::create(path, config.sample_rate, channels)?;
        let cap =
            (config.sample_rate as usize * options.queue_ms as usize / 1000) * channels as usize;
        let (prod, cons) = HeapRb::<i16>::new(cap).split();
        Ok(PreparedRecording {
            config,
            channels,
            writer,
            prod,
            cons,
            cap,
        })
    }
}

/// A replay whose file is open and read ahead, ready to be attached to a channel output with
/// [`Processor::replay_prepared`]. Preparing does the file system work, so it can be done on any
/// thread while another thread runs the processor.
pub struct PreparedReplay {
    config: Config,
    io: PlayerIo,
    cons: HeapCons<i16>,
    gain_q: i32,
    events: Vec<Event>,
}

impl std::fmt::Debug for PreparedReplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedReplay")
            .field("path", &self.io.reader.path())
            .field("buffered", &self.cons.occupied_len())
            .finish()
    }
}

impl PreparedReplay {
    /// Opens the file (converted to the configuration's rate) and reads it ahead.
    pub fn new(config: Config, path: impl AsRef<Path>, options: ReplayOptions) -> Result<Self> {
        config.validate()?;
        let gain_q = check_gain_db("gain_db", options.gain_db)?;
        if options.buffer_ms > MAX_QUEUE_MS {
            return Err(Error::arg(
                "buffer_ms",
                format!("{} ms is more than {MAX_QUEUE_MS} ms", options.buffer_ms),
            ));
        }
        let reader = WavReader::open(path, config.sample_rate)?;
        let cap = (config.sample_rate as usize * options.buffer_ms.max(100) as usize / 1000)
            .max(2 * config.frame_len());
        let (prod, cons) = HeapRb::<i16>::new(cap).split();
        let mut io = PlayerIo {
            id: PlayerId::new(u32::MAX, 0),
            reader,
            prod,
            looping: options.looping,
            shared: Arc::new(Shared::default()),
            scratch: vec![0; cap.min(8192)],
        };
        // Read ahead now so the first ticks have audio.
        let mut events = Vec::new();
        io.fill(&mut events);
        Ok(PreparedReplay {
            config,
            io,
            cons,
            gain_q,
            events,
        })
    }
}

impl Processor {
    /// Creates the file for `target` and starts recording it.
    pub(super) fn record_target(
        &mut self,
        target: RecordTarget,
        path: &Path,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        let prepared = PreparedRecording::new(self.config, path, target.channels(), options)?;
        self.record_prepared(target, prepared)
    }

    /// Starts recording what enters the conferences through a channel's input: the audio of
    /// the datafeed connected to the input after the input's gain
    /// ([`Self::channel_set_input_gain`]) and AGC, to a mono 16-bit WAV file at the processor
    /// rate. An input connected to nothing records silence, and so does the recorder once the
    /// channel is released. Stop it with [`Self::recorder_stop`] like any recorder.
    pub fn record_input(
        &mut self,
        ch: ChannelId,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.input(ch)?;
        self.record_target(RecordTarget::Input(ch), path.as_ref(), options)
    }

    /// Starts a recording prepared with [`PreparedRecording::new`] (on any thread). The
    /// preparation's configuration and channel count must match the processor and the target.
    /// On error the prepared file is finalised empty.
    pub fn record_prepared(
        &mut self,
        target: RecordTarget,
        prepared: PreparedRecording,
    ) -> Result<RecorderId> {
        if prepared.config != self.config {
            return Err(Error::arg(
                "prepared",
                "the recording was prepared for another processor configuration",
            ));
        }
        if prepared.channels != target.channels() {
            return Err(Error::arg(
                "prepared",
                format!(
                    "the recording was prepared with {} channels, the target has {}",
                    prepared.channels,
                    target.channels()
                ),
            ));
        }
        let (feeds, input) = match target {
            RecordTarget::Feed(f) => {
                self.check_feed(f)?;
                ([Some(f), None], None)
            }
            RecordTarget::Stereo(a, b) => {
                self.check_feed(a)?;
                self.check_feed(b)?;
                ([Some(a), Some(b)], None)
            }
            RecordTarget::Input(ch) => {
                self.input(ch)?;
                ([None, None], Some(ch))
            }
        };
        let PreparedRecording {
            channels,
            writer,
            prod,
            cons,
            cap,
            ..
        } = prepared;
        let shared = Arc::new(Shared::default());
        let (i, g) = self.recorders.insert(RecorderObj {
            feeds,
            input,
            channels,
            prod,
            scratch: vec![0; self.frame_len * channels as usize].into_boxed_slice(),
            overflowing: false,
            dropped: 0,
            shared: shared.clone(),
        });
        let id = RecorderId::new(i, g);
        self.io.add_recorder(RecorderIo {
            id,
            cons,
            writer: Some(writer),
            shared,
            scratch: vec![0; cap],
        });
        self.dirty = true;
        Ok(id)
    }

    /// Stops a recorder. Frames already queued are written and the file is finalised at the
    /// next [`Self::service_io`], which raises [`Event::RecordingStopped`].
    pub fn recorder_stop(&mut self, rec: RecorderId) -> Result<()> {
        let r = self.recorders.remove(rec.index, rec.generation)?;
        r.shared.done.store(true, Ordering::Release);
        self.dirty = true;
        Ok(())
    }

    /// Frames a recorder dropped because its queue was full.
    pub fn recorder_dropped_frames(&self, rec: RecorderId) -> Result<u64> {
        Ok(self.recorders.get(rec.index, rec.generation)?.dropped)
    }

    pub(super) fn start_player(
        &mut self,
        ch: ChannelId,
        path: &Path,
        options: ReplayOptions,
    ) -> Result<PlayerId> {
        let prepared = PreparedReplay::new(self.config, path, options)?;
        self.attach_player(ch, prepared)
    }

    fn attach_player(&mut self, ch: ChannelId, prepared: PreparedReplay) -> Result<PlayerId> {
        if prepared.config != self.config {
            return Err(Error::arg(
                "prepared",
                "the replay was prepared for another processor configuration",
            ));
        }
        let PreparedReplay {
            mut io,
            cons,
            gain_q,
            events,
            ..
        } = prepared;
        let (i, g) = self.players.insert(PlayerObj {
            channel: ch,
            cons,
            gain_q,
            finished: false,
            underrun: false,
            shared: io.shared.clone(),
        });
        let id = PlayerId::new(i, g);
        io.id = id;
        if !io.shared.done.load(Ordering::Acquire) {
            self.io.add_player(io);
        }
        for e in events {
            let e = match e {
                Event::ReplayError { message, .. } => Event::ReplayError {
                    player: id,
                    message,
                },
                other => other,
            };
            self.push_event(e);
        }
        Ok(id)
    }

    /// Starts a replay prepared with [`PreparedReplay::new`] (on any thread) on a channel's
    /// output, like [`Self::replay`].
    pub fn replay_prepared(&mut self, ch: ChannelId, prepared: PreparedReplay) -> Result<PlayerId> {
        self.replace_replay(ch, |p| p.attach_player(ch, prepared))
    }

    /// Puts the player made by `start` on a channel's output, stopping the replay it had. A
    /// conference output is refused before `start` runs; if `start` fails, nothing changes.
    pub(super) fn replace_replay(
        &mut self,
        ch: ChannelId,
        start: impl FnOnce(&mut Self) -> Result<PlayerId>,
    ) -> Result<PlayerId> {
        if matches!(self.output(ch)?.source, OutSource::Conference(_)) {
            return Err(Error::state(
                ch.to_string(),
                "output is a conference; stop it with conf_prim_stop first",
            ));
        }
        let p = start(self)?;
        self.end_replay(ch)?;
        self.output_mut(ch)?.source = OutSource::Replay(p);
        self.dirty = true;
        Ok(p)
    }

    /// Stops a replay; the channel's output plays silence.
    pub fn replay_stop(&mut self, player: PlayerId) -> Result<()> {
        let p = self.players.remove(player.index, player.generation)?;
        p.shared.done.store(true, Ordering::Release);
        if let Some(ch) = self.channels.at_mut(p.channel.index) {
            if let Some(out) = ch.output.as_mut() {
                if matches!(out.source, OutSource::Replay(x) if x == player) {
                    out.source = OutSource::Silence;
                }
            }
        }
        self.dirty = true;
        Ok(())
    }

    /// Whether a replay has finished.
    pub fn replay_finished(&self, player: PlayerId) -> Result<bool> {
        Ok(self.players.get(player.index, player.generation)?.finished)
    }

    /// Services file I/O outside `tick()`: writes queued recorder frames, finalises stopped
    /// recordings, reads replay files ahead. Call it regularly (every few ticks).
    pub fn service_io(&mut self) {
        let mut events = Vec::new();
        self.io.service(&mut events);
        for e in events {
            self.push_event(e);
        }
    }

    /// Moves the file side of every recorder and player into an [`IoService`] that another
    /// thread can service; recorders and players started afterwards go to it as well, and
    /// [`Self::service_io`] has nothing left to do. Detaching twice hands the second service only
    /// what was started after the first.
    pub fn detach_io(&mut self) -> IoService {
        let (tx, rx) = crossbeam_channel::unbounded();
        let hub = IoHub {
            recorders: std::mem::take(&mut self.io.recorders),
            players: std::mem::take(&mut self.io.players),
            outbox: None,
        };
        self.io.outbox = Some(tx);
        IoService { hub, inbox: rx }
    }

    /// Takes back the file side detached with [`Self::detach_io`]: [`Self::service_io`]
    /// services it again.
    pub fn attach_io(&mut self, mut service: IoService) {
        self.io.outbox = None;
        service.take_new();
        self.io.recorders.append(&mut service.hub.recorders);
        self.io.players.append(&mut service.hub.players);
    }

    /// Stops every recorder and replay and services I/O until all files are finalised.
    pub fn finish_io(&mut self) {
        let recs: Vec<RecorderId> = self
            .recorders
            .iter()
            .map(|(i, g, _)| RecorderId::new(i, g))
            .collect();
        for r in recs {
            let _ = self.recorder_stop(r);
        }
        let players: Vec<PlayerId> = self
            .players
            .iter()
            .map(|(i, g, _)| PlayerId::new(i, g))
            .collect();
        for p in players {
            let _ = self.replay_stop(p);
        }
        self.service_io();
    }

    /// Tick side of a recorder: queue one frame (interleaving two feeds for stereo).
    #[inline]
    pub(super) fn record_frame(&mut self, slot: u32, a: u32, b: u32) {
        let l = self.frame_len;
        let (frames, recorders) = (&self.frames, &mut self.recorders);
        let Some(r) = recorders.at_mut(slot) else {
            return;
        };
        let fa = &frames[a as usize * l..(a as usize + 1) * l];
        let need = l * r.channels as usize;
        if r.prod.vacant_len() < need {
            r.dropped += 1;
            self.stats.recorder_dropped_frames += 1;
            if !r.overflowing {
                r.overflowing = true;
                let id = RecorderId::new(slot, recorders.generation_at(slot));
                self.push_event(Event::RecorderOverflow { recorder: id });
            }
            return;
        }
        r.overflowing = false;
        if r.channels == 1 {
            r.prod.push_slice(fa);
        } else {
            let fb = &frames[b as usize * l..(b as usize + 1) * l];
            for (n, (x, y)) in fa.iter().zip(fb).enumerate() {
                r.scratch[2 * n] = *x;
                r.scratch[2 * n + 1] = *y;
            }
            r.prod.push_slice(&r.scratch[..need]);
        }
    }

    /// Tick side of a player: one frame into `dst`.
    #[inline]
    pub(super) fn play_frame(&mut self, slot: u32, dst: u32) {
        let l = self.frame_len;
        let gen = self.players.generation_at(slot);
        let (frames, players) = (&mut self.frames, &mut self.players);
        let out = &mut frames[dst as usize * l..(dst as usize + 1) * l];
        let Some(p) = players.at_mut(slot) else {
            out.fill(0);
            return;
        };
        if p.finished {
            out.fill(0);
            return;
        }
        let n = p.cons.pop_slice(out);
        if p.gain_q != GAIN_ONE {
            crate::dsp::mix::scale_in_place(&mut out[..n], p.gain_q);
        }
        if n < l {
            out[n..].fill(0);
            if p.shared.done.load(Ordering::Acquire) && p.cons.is_empty() {
                p.finished = true;
                let channel = p.channel;
                self.push_event(Event::ReplayFinished {
                    player: PlayerId::new(slot, gen),
                    channel,
                });
            } else {
                self.stats.replay_underrun_frames += 1;
                if !p.underrun {
                    p.underrun = true;
                    self.push_event(Event::ReplayUnderrun {
                        player: PlayerId::new(slot, gen),
                    });
                }
            }
        } else {
            p.underrun = false;
        }
    }
}
