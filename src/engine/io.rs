//! Recorders and players: the tick-side halves (lock-free rings) and the I/O-side halves
//! (WAV files) that the caller services outside `tick()`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::{ChannelId, Datafeed, Event, OutSource, PlayerId, Processor, RecorderId};
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

/// The I/O-side halves of all recorders and players of a processor.
#[derive(Default)]
pub(crate) struct IoHub {
    recorders: Vec<RecorderIo>,
    players: Vec<PlayerIo>,
}

impl IoHub {
    /// Moves data between the rings and the files. Returns the events to raise.
    fn service(&mut self, events: &mut Vec<Event>) {
        for p in self.players.iter_mut() {
            if p.shared.done.load(Ordering::Acquire) {
                continue;
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

impl Processor {
    pub(super) fn record_feeds(
        &mut self,
        feeds: [Option<Datafeed>; 2],
        channels: u16,
        path: &Path,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.start_recorder(feeds, None, channels, path, options)
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
        self.start_recorder([None, None], Some(ch), 1, path.as_ref(), options)
    }

    fn start_recorder(
        &mut self,
        feeds: [Option<Datafeed>; 2],
        input: Option<ChannelId>,
        channels: u16,
        path: &Path,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        if options.queue_ms < 2 * self.config.frame_ms || options.queue_ms > MAX_QUEUE_MS {
            return Err(Error::arg(
                "queue_ms",
                format!(
                    "{} ms: must hold at least two frames ({} ms) and at most {MAX_QUEUE_MS} ms",
                    options.queue_ms,
                    2 * self.config.frame_ms
                ),
            ));
        }
        let writer = WavFileWriter::create(path, self.config.sample_rate, channels)?;
        let cap = (self.config.sample_rate as usize * options.queue_ms as usize / 1000)
            * channels as usize;
        let (prod, cons) = HeapRb::<i16>::new(cap).split();
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
        self.io.recorders.push(RecorderIo {
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
        let gain_q = check_gain_db("gain_db", options.gain_db)?;
        if options.buffer_ms > MAX_QUEUE_MS {
            return Err(Error::arg(
                "buffer_ms",
                format!("{} ms is more than {MAX_QUEUE_MS} ms", options.buffer_ms),
            ));
        }
        let reader = WavReader::open(path, self.config.sample_rate)?;
        let cap = (self.config.sample_rate as usize * options.buffer_ms.max(100) as usize / 1000)
            .max(2 * self.frame_len);
        let (prod, cons) = HeapRb::<i16>::new(cap).split();
        let shared = Arc::new(Shared::default());
        let (i, g) = self.players.insert(PlayerObj {
            channel: ch,
            cons,
            gain_q,
            finished: false,
            underrun: false,
            shared: shared.clone(),
        });
        let id = PlayerId::new(i, g);
        let mut io = PlayerIo {
            id,
            reader,
            prod,
            looping: options.looping,
            shared,
            scratch: vec![0; cap.min(8192)],
        };
        // Read ahead now so the first ticks have audio.
        let mut events = Vec::new();
        let mut hub = IoHub::default();
        hub.players.push(io);
        hub.service(&mut events);
        if let Some(p) = hub.players.pop() {
            io = p;
            self.io.players.push(io);
        }
        for e in events {
            self.push_event(e);
        }
        Ok(id)
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
