//! The sans-IO processor: channels, datafeeds, conference primitives, recorders, players.
//!
//! A [`Processor`] has one sample rate and one frame duration. The caller drives it:
//! [`Processor::tick`] runs one frame. Between ticks the application writes endpoint input
//! frames, reads endpoint output frames, changes the topology, and services file I/O with
//! [`Processor::service_io`]. Topology changes take effect at the next tick.
//!
//! `tick()` never allocates, locks or makes a system call while the topology is unchanged. When
//! the topology changed since the last tick, the first tick re-plans (and allocates) unless the
//! caller re-planned beforehand with [`Processor::commit`].

mod bitset;
mod io;
mod listen;
mod plan;
mod table;

use std::collections::VecDeque;
use std::fmt;
use std::path::Path;

use crate::dsp::agc::Agc;
pub use crate::dsp::agc::AgcConfig;
use crate::dsp::level::{check_gain_db, GAIN_ONE};
pub use crate::dsp::talk::TalkConfig;
use crate::dsp::talk::TalkDetector;
use crate::{Error, Result};
use bitset::BitSet;
use table::Table;

pub use crate::dsp::tonegen::ToneSource;
pub use crate::dsp::tones::{Tone, ToneEventKind, ToneSet};
pub use listen::ListenOptions;

pub use io::{
    IoService, PreparedRecording, PreparedReplay, RecordOptions, RecordTarget, ReplayOptions,
};

macro_rules! handle {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            index: u32,
            generation: u32,
        }

        impl $name {
            /// Slot index of this handle.
            pub fn index(self) -> u32 {
                self.index
            }
            /// Generation of this handle; a released object's handles never match again.
            pub fn generation(self) -> u32 {
                self.generation
            }
            /// Packs the handle into a u64 (generation in the high half), for foreign code.
            pub fn to_raw(self) -> u64 {
                ((self.generation as u64) << 32) | self.index as u64
            }
            /// Unpacks a handle made by [`Self::to_raw`].
            pub fn from_raw(raw: u64) -> Self {
                $name {
                    index: raw as u32,
                    generation: (raw >> 32) as u32,
                }
            }
            #[allow(dead_code)]
            pub(crate) fn new(index: u32, generation: u32) -> Self {
                $name { index, generation }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($kind, " {}:{}"), self.index, self.generation)
            }
        }
    };
}

handle!(
    /// A channel on a processor.
    ChannelId,
    "channel"
);
handle!(
    /// An application endpoint: frames in from and out to the application.
    EndpointId,
    "endpoint"
);
handle!(
    /// A conference participant: a channel input attached with `conf_prim_attach`.
    ParticipantId,
    "participant"
);
handle!(
    /// A recorder writing a datafeed to a WAV file.
    RecorderId,
    "recorder"
);
handle!(
    /// A player replaying a WAV file onto a channel output.
    PlayerId,
    "player"
);

/// Processor configuration: one sample rate and one frame duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Sample rate in Hz: 8000, 16000, 32000 or 48000.
    pub sample_rate: u32,
    /// Frame duration in ms: 10 or 20.
    pub frame_ms: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sample_rate: 8000,
            frame_ms: 20,
        }
    }
}

impl Config {
    /// Samples per frame.
    pub fn frame_len(&self) -> usize {
        (self.sample_rate as usize * self.frame_ms as usize) / 1000
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<()> {
        if ![8000, 16000, 32000, 48000].contains(&self.sample_rate) {
            return Err(Error::InvalidConfig(format!(
                "sample rate {} Hz is not one of 8000, 16000, 32000, 48000",
                self.sample_rate
            )));
        }
        if ![10, 20].contains(&self.frame_ms) {
            return Err(Error::InvalidConfig(format!(
                "frame duration {} ms is not 10 or 20",
                self.frame_ms
            )));
        }
        Ok(())
    }
}

/// Which sides a channel has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// An input side (a sink) and an output side (a source).
    FullDuplex,
    /// An input side only.
    InputOnly,
    /// An output side only.
    OutputOnly,
}

/// A source of audio that sinks connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Datafeed {
    /// The output of a channel (whatever its source: silence, replay, a conference, ...).
    Channel(ChannelId),
    /// The audio an application endpoint receives from the application.
    Endpoint(EndpointId),
}

impl fmt::Display for Datafeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Datafeed::Channel(c) => write!(f, "datafeed of {c}"),
            Datafeed::Endpoint(e) => write!(f, "datafeed of {e}"),
        }
    }
}

/// Something that consumes a datafeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// A channel's input side.
    ChannelInput(ChannelId),
    /// A channel's output side in pass-through mode.
    ChannelOutput(ChannelId),
    /// An endpoint's transmitter (what the application reads).
    Endpoint(EndpointId),
    /// A recorder.
    Recorder(RecorderId),
}

/// What the output side of a channel plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSourceKind {
    /// Silence.
    Silence,
    /// Another datafeed, passed through.
    Feed(Datafeed),
    /// A file being replayed.
    Replay(PlayerId),
    /// The output of a primitive conference (see [`Processor::conf_prim_start`]).
    Conference,
    /// A tone generator (see [`Processor::channel_output_tones`]).
    Tones,
}

/// Something that happened, with the tick at which it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedEvent {
    /// Tick count when the event was raised (ticks completed before it).
    pub tick: u64,
    /// What happened.
    pub event: Event,
}

/// Events raised by the processor and the layers above it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A conference input started talking.
    TalkStarted {
        /// The input channel.
        channel: ChannelId,
        /// Its participant id.
        participant: ParticipantId,
    },
    /// A conference input stopped talking (or stopped being heard while talking).
    TalkStopped {
        /// The input channel.
        channel: ChannelId,
        /// Its participant id.
        participant: ParticipantId,
    },
    /// The source a sink was connected to was released; the sink now receives silence.
    FeedReleased {
        /// The sink left on silence.
        sink: Sink,
    },
    /// A replay reached the end of its file (and is not looping).
    ReplayFinished {
        /// The player.
        player: PlayerId,
        /// The channel whose output it fed; the output now plays silence.
        channel: ChannelId,
    },
    /// A replay ran out of buffered audio before the reader refilled it.
    ReplayUnderrun {
        /// The player.
        player: PlayerId,
    },
    /// Reading a replayed file failed; the replay stops.
    ReplayError {
        /// The player.
        player: PlayerId,
        /// What went wrong.
        message: String,
    },
    /// A recorder's queue was full and frames were dropped (raised once per overflow episode).
    RecorderOverflow {
        /// The recorder.
        recorder: RecorderId,
    },
    /// Writing a recording failed; what was written stays a valid WAV; the recording stops.
    RecorderError {
        /// The recorder.
        recorder: RecorderId,
        /// What went wrong.
        message: String,
    },
    /// A recording was stopped and its file finalised.
    RecordingStopped {
        /// The recorder.
        recorder: RecorderId,
        /// Frames (sample frames, per channel) written to the file.
        frames: u64,
    },
    /// A tone was recognised on, or ended on, a listening channel input
    /// (see [`Processor::listen_for`]).
    Tone {
        /// The channel whose input carried the tone.
        channel: ChannelId,
        /// The tone.
        tone: Tone,
        /// Recognised (`Start`) or ended (`End`).
        kind: ToneEventKind,
        /// Estimated start of the tone, in ms of processor time (ticks times frame duration).
        start_ms: u64,
        /// For `End`, the end of the tone in ms of processor time.
        end_ms: Option<u64>,
        /// Level of the tone in dBm0.
        level_dbm0: f32,
    },
    /// A tone generator on a channel output finished; the output plays silence.
    TonesFinished {
        /// The channel.
        channel: ChannelId,
    },
    /// A high-level conference lost its last party.
    ConferenceEmpty {
        /// The conference's number (see `conference::Conference::id`).
        conference: u32,
    },
}

/// Counters describing a processor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Ticks run.
    pub ticks: u64,
    /// Live channels.
    pub channels: usize,
    /// Live endpoints.
    pub endpoints: usize,
    /// Attached conference participants.
    pub participants: usize,
    /// Channels whose output is a primitive conference.
    pub conference_outputs: usize,
    /// Times the mix was planned.
    pub plans: u64,
    /// Totals computed per tick by the current plan.
    pub plan_totals: usize,
    /// Per-output add/subtract operations per tick in the current plan (excluding totals).
    pub plan_output_ops: usize,
    /// Outputs served by another output's identical mix in the current plan.
    pub plan_shared_outputs: usize,
    /// Datafeed edges delayed by one frame to break cycles in the current plan.
    pub plan_delayed_edges: usize,
    /// Endpoint input frames the application did not supply in time (played as silence).
    pub missing_input_frames: u64,
    /// Frames dropped because a recorder's queue was full.
    pub recorder_dropped_frames: u64,
    /// Frames of silence played because a replay buffer was empty.
    pub replay_underrun_frames: u64,
    /// Events dropped because the event queue was full.
    pub events_dropped: u64,
}

/// An input of a primitive conference, as reported by [`Processor::conf_prim_status`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActiveInput {
    /// Participant id of the input.
    pub participant: ParticipantId,
    /// Its channel.
    pub channel: ChannelId,
    /// Its recent power in dBm0.
    pub power_dbm0: f64,
}

/// Capacity of the event queue; older events are dropped (and counted) beyond it.
pub const EVENT_QUEUE_CAPACITY: usize = 8192;

pub(crate) struct InputSide {
    pub(crate) feed: Option<Datafeed>,
    pub(crate) gain_q: i32,
    pub(crate) agc: Option<Agc>,
    pub(crate) frame: u32,
    pub(crate) participant: Option<ParticipantId>,
    pub(crate) listen: Option<Box<listen::Listen>>,
}

pub(crate) struct ConfOut {
    pub(crate) set: BitSet,
    /// Non-unity gains, sorted by participant slot.
    pub(crate) gains: Vec<(u32, i32)>,
    /// Sum of the Q12 gains of the set, to bound the accumulator.
    pub(crate) gain_sum: i64,
}

pub(crate) enum OutSource {
    Silence,
    Feed(Datafeed),
    Replay(PlayerId),
    Conference(ConfOut),
    Tones(Box<ToneSource>),
}

pub(crate) struct OutputSide {
    pub(crate) source: OutSource,
    pub(crate) gain_q: i32,
    pub(crate) agc: Option<Agc>,
    pub(crate) frame: u32,
}

pub(crate) struct ChannelObj {
    pub(crate) kind: ChannelKind,
    pub(crate) input: Option<InputSide>,
    pub(crate) output: Option<OutputSide>,
}

pub(crate) struct Participant {
    pub(crate) channel: ChannelId,
    pub(crate) talk: TalkDetector,
    /// Number of conference outputs whose set holds this participant.
    pub(crate) heard_by: u32,
}

pub(crate) struct EndpointObj {
    pub(crate) rx_frame: u32,
    /// The application wrote the rx frame for the coming tick.
    pub(crate) written: bool,
    pub(crate) tx_feed: Option<Datafeed>,
    pub(crate) missing: u64,
}

/// The media processor. See the module documentation.
pub struct Processor {
    config: Config,
    frame_len: usize,
    /// Frame arena: frame `k` is `frames[k*L..(k+1)*L]`; frame 0 is always silence.
    frames: Vec<i16>,
    free_frames: Vec<u32>,
    channels: Table<ChannelObj>,
    endpoints: Table<EndpointObj>,
    participants: Table<Participant>,
    pub(crate) recorders: Table<io::RecorderObj>,
    pub(crate) players: Table<io::PlayerObj>,
    io: io::IoHub,
    plan: plan::Plan,
    dirty: bool,
    events: VecDeque<TimedEvent>,
    talk_config: TalkConfig,
    stats: Stats,
}

fn frame_size_check(expected: usize, got: usize) -> Result<()> {
    if expected != got {
        return Err(Error::FrameSize { expected, got });
    }
    Ok(())
}

impl Processor {
    /// A processor with the given configuration.
    pub fn new(config: Config) -> Result<Self> {
        config.validate()?;
        let frame_len = config.frame_len();
        Ok(Processor {
            config,
            frame_len,
            frames: vec![0; frame_len],
            free_frames: Vec::new(),
            channels: Table::new("channel"),
            endpoints: Table::new("endpoint"),
            participants: Table::new("participant"),
            recorders: Table::new("recorder"),
            players: Table::new("player"),
            io: io::IoHub::default(),
            plan: plan::Plan::default(),
            dirty: true,
            events: VecDeque::with_capacity(EVENT_QUEUE_CAPACITY),
            talk_config: TalkConfig::default(),
            stats: Stats::default(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.config
    }

    /// Samples per frame.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Ticks run so far.
    pub fn tick_count(&self) -> u64 {
        self.stats.ticks
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.channels = self.channels.len();
        s.endpoints = self.endpoints.len();
        s.participants = self.participants.len();
        s.conference_outputs = self
            .channels
            .iter()
            .filter(|(_, _, c)| {
                matches!(
                    c.output.as_ref().map(|o| &o.source),
                    Some(OutSource::Conference(_))
                )
            })
            .count();
        s.missing_input_frames = self
            .endpoints
            .iter()
            .map(|(_, _, e)| e.missing)
            .sum::<u64>()
            + self.stats.missing_input_frames;
        s
    }

    /// Sets the talk detector settings used for participants attached from now on.
    pub fn set_talk_config(&mut self, config: TalkConfig) {
        self.talk_config = config;
    }

    fn alloc_frame(&mut self) -> u32 {
        if let Some(f) = self.free_frames.pop() {
            let l = self.frame_len;
            self.frames[f as usize * l..(f as usize + 1) * l].fill(0);
            return f;
        }
        let id = (self.frames.len() / self.frame_len) as u32;
        if self.frames.len() + self.frame_len > self.frames.capacity() {
            self.grow_arena();
        }
        self.frames.resize(self.frames.len() + self.frame_len, 0);
        id
    }

    /// Doubles the frame arena's capacity. Large arenas are advised to use transparent huge
    /// pages: with thousands of parties the frames span thousands of 4 KiB pages, and TLB
    /// misses would otherwise dominate the tick.
    fn grow_arena(&mut self) {
        let want = (self.frames.capacity() * 2).max(64 * 1024);
        let mut next: Vec<i16> = Vec::with_capacity(want);
        #[cfg(target_os = "linux")]
        if want * 2 >= 4 << 20 {
            let start = next.as_ptr() as usize;
            let end = start + want * 2;
            let huge = 2 << 20;
            let (a, b) = (start.div_ceil(huge) * huge, end / huge * huge);
            if b > a {
                // SAFETY: the range lies inside the allocation just made and is not yet used;
                // madvise only changes how the kernel backs it.
                unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE) };
            }
        }
        next.extend_from_slice(&self.frames);
        self.frames = next;
    }

    fn release_frame(&mut self, f: u32) {
        if f != 0 {
            self.free_frames.push(f);
        }
    }

    pub(crate) fn frame(&self, f: u32) -> &[i16] {
        let l = self.frame_len;
        &self.frames[f as usize * l..(f as usize + 1) * l]
    }

    pub(crate) fn push_event(&mut self, event: Event) {
        push_event_to(
            &mut self.events,
            &mut self.stats.events_dropped,
            self.stats.ticks,
            event,
        );
    }

    /// Raises an event from a layer built on the processor (such as the conference layer).
    pub fn emit(&mut self, event: Event) {
        self.push_event(event);
    }

    /// Takes the oldest pending event.
    pub fn poll_event(&mut self) -> Option<TimedEvent> {
        self.events.pop_front()
    }

    // ----------------------------------------------------------------- channels

    /// Creates a channel with the given sides. A new output plays silence; a new input is
    /// connected to nothing (silence).
    pub fn channel_create(&mut self, kind: ChannelKind) -> Result<ChannelId> {
        let input = if kind != ChannelKind::OutputOnly {
            Some(InputSide {
                feed: None,
                gain_q: GAIN_ONE,
                agc: None,
                frame: self.alloc_frame(),
                participant: None,
                listen: None,
            })
        } else {
            None
        };
        let output = if kind != ChannelKind::InputOnly {
            Some(OutputSide {
                source: OutSource::Silence,
                gain_q: GAIN_ONE,
                agc: None,
                frame: self.alloc_frame(),
            })
        } else {
            None
        };
        let (i, g) = self.channels.insert(ChannelObj {
            kind,
            input,
            output,
        });
        self.dirty = true;
        Ok(ChannelId::new(i, g))
    }

    /// The kind of a channel.
    pub fn channel_kind(&self, ch: ChannelId) -> Result<ChannelKind> {
        Ok(self.chan(ch)?.kind)
    }

    /// Releases a channel: it leaves every conference (as input and as output), its players
    /// stop, and sinks connected to its output are left on silence with a
    /// [`Event::FeedReleased`] each.
    pub fn channel_release(&mut self, ch: ChannelId) -> Result<()> {
        let c = self.chan(ch)?;
        let attached = c.input.as_ref().is_some_and(|i| i.participant.is_some());
        let has_output = c.output.is_some();
        if attached {
            self.conf_prim_detach(ch)?;
        }
        if has_output {
            if matches!(self.output(ch)?.source, OutSource::Conference(_)) {
                self.conf_prim_stop(ch)?;
            }
            self.end_replay(ch)?;
        }
        let obj = self.channels.remove(ch.index, ch.generation)?;
        if let Some(i) = obj.input {
            self.release_frame(i.frame);
        }
        if let Some(o) = obj.output {
            self.release_frame(o.frame);
        }
        self.source_released(Datafeed::Channel(ch));
        self.dirty = true;
        Ok(())
    }

    fn chan(&self, ch: ChannelId) -> Result<&ChannelObj> {
        self.channels.get(ch.index, ch.generation)
    }

    fn chan_mut(&mut self, ch: ChannelId) -> Result<&mut ChannelObj> {
        self.channels.get_mut(ch.index, ch.generation)
    }

    fn input_mut(&mut self, ch: ChannelId) -> Result<&mut InputSide> {
        self.chan_mut(ch)?
            .input
            .as_mut()
            .ok_or_else(|| Error::state(ch.to_string(), "has no input side"))
    }

    fn input(&self, ch: ChannelId) -> Result<&InputSide> {
        self.chan(ch)?
            .input
            .as_ref()
            .ok_or_else(|| Error::state(ch.to_string(), "has no input side"))
    }

    fn output_mut(&mut self, ch: ChannelId) -> Result<&mut OutputSide> {
        self.chan_mut(ch)?
            .output
            .as_mut()
            .ok_or_else(|| Error::state(ch.to_string(), "has no output side"))
    }

    fn output(&self, ch: ChannelId) -> Result<&OutputSide> {
        self.chan(ch)?
            .output
            .as_ref()
            .ok_or_else(|| Error::state(ch.to_string(), "has no output side"))
    }

    fn check_feed(&self, feed: Datafeed) -> Result<()> {
        match feed {
            Datafeed::Channel(c) => {
                self.output(c)?;
            }
            Datafeed::Endpoint(e) => {
                self.endpoints.get(e.index, e.generation)?;
            }
        }
        Ok(())
    }

    /// The datafeed of a channel's output side.
    pub fn channel_datafeed(&self, ch: ChannelId) -> Result<Datafeed> {
        self.output(ch)?;
        Ok(Datafeed::Channel(ch))
    }

    /// Connects a channel's input side to a datafeed (replacing any previous connection).
    pub fn channel_connect_input(&mut self, ch: ChannelId, feed: Datafeed) -> Result<()> {
        self.check_feed(feed)?;
        self.input_mut(ch)?.feed = Some(feed);
        self.dirty = true;
        Ok(())
    }

    /// Disconnects a channel's input side; it then receives silence.
    pub fn channel_disconnect_input(&mut self, ch: ChannelId) -> Result<()> {
        self.input_mut(ch)?.feed = None;
        self.dirty = true;
        Ok(())
    }

    /// The datafeed a channel's input is connected to.
    pub fn channel_input_feed(&self, ch: ChannelId) -> Result<Option<Datafeed>> {
        Ok(self.input(ch)?.feed)
    }

    /// Gain applied to a channel's input before it reaches any conference or recorder.
    pub fn channel_set_input_gain(&mut self, ch: ChannelId, gain_db: f32) -> Result<()> {
        let g = check_gain_db("gain_db", gain_db)?;
        self.input_mut(ch)?.gain_q = g;
        self.dirty = true;
        Ok(())
    }

    /// Enables (or, with `None`, disables) AGC on a channel's input.
    pub fn channel_set_input_agc(&mut self, ch: ChannelId, agc: Option<AgcConfig>) -> Result<()> {
        let frame_ms = self.config.frame_ms;
        self.input_mut(ch)?.agc = agc.map(|c| Agc::new(&c, frame_ms));
        self.dirty = true;
        Ok(())
    }

    /// Gain applied to a channel's output (for a conference output: to the sum, before the
    /// single saturation).
    pub fn channel_set_output_gain(&mut self, ch: ChannelId, gain_db: f32) -> Result<()> {
        let g = check_gain_db("gain_db", gain_db)?;
        self.output_mut(ch)?.gain_q = g;
        self.dirty = true;
        Ok(())
    }

    /// Enables (or disables) AGC on a channel's output.
    pub fn channel_set_output_agc(&mut self, ch: ChannelId, agc: Option<AgcConfig>) -> Result<()> {
        let frame_ms = self.config.frame_ms;
        self.output_mut(ch)?.agc = agc.map(|c| Agc::new(&c, frame_ms));
        self.dirty = true;
        Ok(())
    }

    /// Makes a channel's output play silence (stopping a replay or pass-through).
    /// A conference output must be stopped with [`Self::conf_prim_stop`].
    pub fn channel_output_silence(&mut self, ch: ChannelId) -> Result<()> {
        self.set_output_source(ch, OutSource::Silence)
    }

    /// Makes a channel's output pass another datafeed through.
    pub fn channel_output_feed(&mut self, ch: ChannelId, feed: Datafeed) -> Result<()> {
        self.check_feed(feed)?;
        self.set_output_source(ch, OutSource::Feed(feed))
    }

    /// Makes a channel's output play a tone generator (DTMF digits, a call-progress cadence, a
    /// dual tone). When the generator finishes, [`Event::TonesFinished`] is raised and the
    /// output plays silence.
    pub fn channel_output_tones(&mut self, ch: ChannelId, source: ToneSource) -> Result<()> {
        self.set_output_source(ch, OutSource::Tones(Box::new(source)))
    }

    /// Starts tone detection on a channel's input. Tone events ([`Event::Tone`]) report what
    /// was recognised; with `options.suppress`, detected tones are muted before the input
    /// reaches any conference or recorder, and `options.suppression_lookahead_ms` delays the
    /// input so that even the tone's onset is muted. Listening again replaces the settings.
    pub fn listen_for(
        &mut self,
        ch: ChannelId,
        tones: &ToneSet,
        options: ListenOptions,
    ) -> Result<()> {
        let origin = self.stats.ticks * self.frame_len as u64;
        let l = listen::Listen::new(
            self.config.sample_rate,
            self.frame_len,
            tones,
            options,
            origin,
        )?;
        self.input_mut(ch)?.listen = Some(Box::new(l));
        self.dirty = true;
        Ok(())
    }

    /// Stops tone detection on a channel's input.
    pub fn stop_listening(&mut self, ch: ChannelId) -> Result<()> {
        if self.input_mut(ch)?.listen.take().is_none() {
            return Err(Error::state(
                ch.to_string(),
                "input is not listening for tones",
            ));
        }
        self.dirty = true;
        Ok(())
    }

    /// Input samples muted so far by tone suppression on a listening channel input.
    pub fn suppressed_samples(&self, ch: ChannelId) -> Result<u64> {
        self.input(ch)?
            .listen
            .as_ref()
            .map(|l| l.muted_samples)
            .ok_or_else(|| Error::state(ch.to_string(), "input is not listening for tones"))
    }

    /// What a channel's output currently plays.
    pub fn channel_output_source(&self, ch: ChannelId) -> Result<OutputSourceKind> {
        Ok(match &self.output(ch)?.source {
            OutSource::Silence => OutputSourceKind::Silence,
            OutSource::Feed(f) => OutputSourceKind::Feed(*f),
            OutSource::Replay(p) => OutputSourceKind::Replay(*p),
            OutSource::Conference(_) => OutputSourceKind::Conference,
            OutSource::Tones(_) => OutputSourceKind::Tones,
        })
    }

    fn set_output_source(&mut self, ch: ChannelId, src: OutSource) -> Result<()> {
        if matches!(self.output(ch)?.source, OutSource::Conference(_)) {
            return Err(Error::state(
                ch.to_string(),
                "output is a conference; stop it with conf_prim_stop first",
            ));
        }
        self.end_replay(ch)?;
        self.output_mut(ch)?.source = src;
        self.dirty = true;
        Ok(())
    }

    /// Stops the replay a channel's output plays, if any (the output then plays silence).
    pub(crate) fn end_replay(&mut self, ch: ChannelId) -> Result<()> {
        if let OutSource::Replay(p) = self.output(ch)?.source {
            // The player of a replaying output is always live; nothing to report if not.
            let _ = self.replay_stop(p);
        }
        Ok(())
    }

    /// Leaves every sink of `feed` on silence and raises an event per sink.
    fn source_released(&mut self, feed: Datafeed) {
        let mut sinks = Vec::new();
        for (i, g, c) in self.channels.iter_mut() {
            let id = ChannelId::new(i, g);
            if let Some(inp) = c.input.as_mut() {
                if inp.feed == Some(feed) {
                    inp.feed = None;
                    sinks.push(Sink::ChannelInput(id));
                }
            }
            if let Some(out) = c.output.as_mut() {
                if matches!(out.source, OutSource::Feed(f) if f == feed) {
                    out.source = OutSource::Silence;
                    sinks.push(Sink::ChannelOutput(id));
                }
            }
        }
        for (i, g, e) in self.endpoints.iter_mut() {
            if e.tx_feed == Some(feed) {
                e.tx_feed = None;
                sinks.push(Sink::Endpoint(EndpointId::new(i, g)));
            }
        }
        for (i, g, r) in self.recorders.iter_mut() {
            let mut hit = false;
            for f in r.feeds.iter_mut() {
                if *f == Some(feed) {
                    *f = None;
                    hit = true;
                }
            }
            if hit {
                sinks.push(Sink::Recorder(RecorderId::new(i, g)));
            }
        }
        for sink in sinks {
            self.push_event(Event::FeedReleased { sink });
        }
    }

    // ----------------------------------------------------------------- endpoints

    /// Creates an application endpoint. Its datafeed carries the frames the application writes
    /// with [`Self::endpoint_write`]; what it transmits (read with [`Self::endpoint_read`]) is
    /// the datafeed connected with [`Self::endpoint_connect`].
    pub fn endpoint_create(&mut self) -> Result<EndpointId> {
        let rx_frame = self.alloc_frame();
        let (i, g) = self.endpoints.insert(EndpointObj {
            rx_frame,
            written: false,
            tx_feed: None,
            missing: 0,
        });
        self.dirty = true;
        Ok(EndpointId::new(i, g))
    }

    /// Releases an endpoint; sinks of its datafeed are left on silence.
    pub fn endpoint_release(&mut self, ep: EndpointId) -> Result<()> {
        let e = self.endpoints.remove(ep.index, ep.generation)?;
        self.stats.missing_input_frames += e.missing;
        self.release_frame(e.rx_frame);
        self.source_released(Datafeed::Endpoint(ep));
        self.dirty = true;
        Ok(())
    }

    /// The datafeed of an endpoint (the audio the application writes).
    pub fn endpoint_datafeed(&self, ep: EndpointId) -> Result<Datafeed> {
        self.endpoints.get(ep.index, ep.generation)?;
        Ok(Datafeed::Endpoint(ep))
    }

    /// Connects what the endpoint transmits to a datafeed.
    pub fn endpoint_connect(&mut self, ep: EndpointId, feed: Datafeed) -> Result<()> {
        self.check_feed(feed)?;
        self.endpoints.get_mut(ep.index, ep.generation)?.tx_feed = Some(feed);
        self.dirty = true;
        Ok(())
    }

    /// Writes the endpoint's input frame for the next tick. A frame not written before a tick
    /// is played as silence and counted in [`Stats::missing_input_frames`].
    pub fn endpoint_write(&mut self, ep: EndpointId, frame: &[i16]) -> Result<()> {
        frame_size_check(self.frame_len, frame.len())?;
        let e = self.endpoints.get_mut(ep.index, ep.generation)?;
        e.written = true;
        let f = e.rx_frame as usize;
        let l = self.frame_len;
        crate::dsp::mix::copy(&mut self.frames[f * l..(f + 1) * l], frame);
        Ok(())
    }

    /// The endpoint's input frame for the next tick, to be filled in place (for example by a
    /// decoder writing straight into it). Calling this counts as writing the frame.
    pub fn endpoint_input(&mut self, ep: EndpointId) -> Result<&mut [i16]> {
        let e = self.endpoints.get_mut(ep.index, ep.generation)?;
        e.written = true;
        let f = e.rx_frame as usize;
        let l = self.frame_len;
        Ok(&mut self.frames[f * l..(f + 1) * l])
    }

    /// The frame the endpoint transmitted at the last tick, without copying it (for example
    /// for an encoder reading straight from it). Valid until the next tick or topology change.
    pub fn endpoint_output(&self, ep: EndpointId) -> Result<&[i16]> {
        self.endpoints.get(ep.index, ep.generation)?;
        Ok(self.frame(self.plan.endpoint_tx_frame(ep.index)))
    }

    /// Reads the frame the endpoint transmitted at the last tick.
    pub fn endpoint_read(&mut self, ep: EndpointId, out: &mut [i16]) -> Result<()> {
        frame_size_check(self.frame_len, out.len())?;
        self.endpoints.get(ep.index, ep.generation)?;
        let f = self.plan.endpoint_tx_frame(ep.index);
        crate::dsp::mix::copy(out, self.frame(f));
        Ok(())
    }

    /// Input frames this endpoint lacked at a tick.
    pub fn endpoint_missing_frames(&self, ep: EndpointId) -> Result<u64> {
        Ok(self.endpoints.get(ep.index, ep.generation)?.missing)
    }

    // ----------------------------------------------------------------- conference primitives

    /// Makes a channel's output the output of a primitive conference, with an empty set.
    pub fn conf_prim_start(&mut self, out_ch: ChannelId) -> Result<()> {
        if matches!(self.output(out_ch)?.source, OutSource::Conference(_)) {
            return Err(Error::state(
                out_ch.to_string(),
                "output is already a conference",
            ));
        }
        self.end_replay(out_ch)?;
        self.output_mut(out_ch)?.source = OutSource::Conference(ConfOut {
            set: BitSet::default(),
            gains: Vec::new(),
            gain_sum: 0,
        });
        self.dirty = true;
        Ok(())
    }

    /// Stops a primitive conference output: its set is emptied and the output plays silence.
    pub fn conf_prim_stop(&mut self, out_ch: ChannelId) -> Result<()> {
        let slots: Vec<u32> = match &self.output(out_ch)?.source {
            OutSource::Conference(c) => c.set.iter().collect(),
            _ => {
                return Err(Error::state(
                    out_ch.to_string(),
                    "output is not a conference",
                ))
            }
        };
        for s in slots {
            self.unhear(s);
        }
        self.output_mut(out_ch)?.source = OutSource::Silence;
        self.dirty = true;
        Ok(())
    }

    /// Readies a channel's input as a conference input and gives it a participant id.
    pub fn conf_prim_attach(&mut self, in_ch: ChannelId) -> Result<ParticipantId> {
        if self.input(in_ch)?.participant.is_some() {
            return Err(Error::state(
                in_ch.to_string(),
                "input is already attached to conferences",
            ));
        }
        let talk = TalkDetector::new(&self.talk_config, self.frame_len, self.config.frame_ms);
        let (i, g) = self.participants.insert(Participant {
            channel: in_ch,
            talk,
            heard_by: 0,
        });
        let pid = ParticipantId::new(i, g);
        self.input_mut(in_ch)?.participant = Some(pid);
        self.dirty = true;
        Ok(pid)
    }

    /// The participant id of an attached input.
    pub fn conf_prim_participant(&self, in_ch: ChannelId) -> Result<ParticipantId> {
        self.input(in_ch)?
            .participant
            .ok_or_else(|| Error::state(in_ch.to_string(), "input is not attached"))
    }

    /// Releases a conference input: it leaves every output's set and loses its participant id.
    pub fn conf_prim_detach(&mut self, in_ch: ChannelId) -> Result<()> {
        let pid = self.conf_prim_participant(in_ch)?;
        let slot = pid.index;
        for (_, _, c) in self.channels.iter_mut() {
            if let Some(OutputSide {
                source: OutSource::Conference(conf),
                ..
            }) = c.output.as_mut()
            {
                if conf.set.remove(slot) {
                    conf.gain_sum -= take_gain(&mut conf.gains, slot) as i64;
                }
            }
        }
        let p = self.participants.remove(pid.index, pid.generation)?;
        if p.talk.is_talking() {
            self.push_event(Event::TalkStopped {
                channel: in_ch,
                participant: pid,
            });
        }
        self.input_mut(in_ch)?.participant = None;
        self.dirty = true;
        Ok(())
    }

    /// Adds an attached input to a conference output's set with a gain (dB). Adding an input
    /// already in the set changes its gain. Returns the input's participant id.
    pub fn conf_prim_add(
        &mut self,
        out_ch: ChannelId,
        in_ch: ChannelId,
        gain_db: f32,
    ) -> Result<ParticipantId> {
        let g = check_gain_db("gain_db", gain_db)?;
        let pid = self.conf_prim_participant(in_ch)?;
        self.add_to_set(out_ch, pid.index, g)?;
        self.dirty = true;
        Ok(pid)
    }

    /// Adds several attached inputs, each with its gain (dB), to one conference output's set.
    /// Everything is checked before anything changes: on error the set is as it was.
    pub fn conf_prim_add_inputs(
        &mut self,
        out_ch: ChannelId,
        inputs: &[(ChannelId, f32)],
    ) -> Result<()> {
        let mut slots = Vec::with_capacity(inputs.len());
        let mut sum = 0i64;
        for &(in_ch, gain_db) in inputs {
            let g = check_gain_db("gain_db", gain_db)?;
            slots.push((self.conf_prim_participant(in_ch)?.index, g));
            sum += g as i64;
        }
        match &self.output(out_ch)?.source {
            OutSource::Conference(conf) => Self::check_range(out_ch, conf.gain_sum + sum)?,
            _ => return Err(Self::not_conference(out_ch)),
        }
        for (slot, g) in slots {
            self.add_to_set(out_ch, slot, g)?;
        }
        self.dirty = true;
        Ok(())
    }

    /// Adds one attached input, with a gain (dB), to several conference outputs' sets.
    /// Everything is checked before anything changes: on error no set is changed.
    pub fn conf_prim_add_to_outputs(
        &mut self,
        outputs: &[ChannelId],
        in_ch: ChannelId,
        gain_db: f32,
    ) -> Result<ParticipantId> {
        let g = check_gain_db("gain_db", gain_db)?;
        let pid = self.conf_prim_participant(in_ch)?;
        for &out_ch in outputs {
            match &self.output(out_ch)?.source {
                OutSource::Conference(conf) => Self::check_range(out_ch, conf.gain_sum + g as i64)?,
                _ => return Err(Self::not_conference(out_ch)),
            }
        }
        for &out_ch in outputs {
            self.add_to_set(out_ch, pid.index, g)?;
        }
        self.dirty = true;
        Ok(pid)
    }

    fn not_conference(out_ch: ChannelId) -> Error {
        Error::state(
            out_ch.to_string(),
            "output is not a conference (call conf_prim_start first)",
        )
    }

    /// Every term is at most 8 * g in magnitude (32768 * g / 4096): the sum of an output's
    /// gains bounds its accumulator, which must fit in i32.
    fn check_range(out_ch: ChannelId, gain_sum: i64) -> Result<()> {
        if gain_sum * 8 >= i32::MAX as i64 {
            return Err(Error::Capacity(format!(
                "{out_ch}: the gains of its conference inputs would exceed the mixer's range \
                 (at most 65535 inputs at 0 dB)"
            )));
        }
        Ok(())
    }

    fn add_to_set(&mut self, out_ch: ChannelId, slot: u32, g: i32) -> Result<()> {
        let out = self.output_mut(out_ch)?;
        let OutSource::Conference(conf) = &mut out.source else {
            return Err(Self::not_conference(out_ch));
        };
        let old = if conf.set.contains(slot) {
            Some(gain_of(&conf.gains, slot))
        } else {
            None
        };
        let new_sum = conf.gain_sum - old.unwrap_or(0) as i64 + g as i64;
        Self::check_range(out_ch, new_sum)?;
        conf.gain_sum = new_sum;
        if old.is_some() {
            take_gain(&mut conf.gains, slot);
        }
        if g != GAIN_ONE {
            let pos = conf.gains.partition_point(|&(s, _)| s < slot);
            conf.gains.insert(pos, (slot, g));
        }
        if old.is_none() {
            conf.set.insert(slot);
            self.participants.at_mut(slot).expect("attached").heard_by += 1;
        }
        Ok(())
    }

    /// Removes an input from a conference output's set.
    pub fn conf_prim_leave(&mut self, out_ch: ChannelId, in_ch: ChannelId) -> Result<()> {
        let pid = self.conf_prim_participant(in_ch)?;
        let slot = pid.index;
        let out = self.output_mut(out_ch)?;
        let OutSource::Conference(conf) = &mut out.source else {
            return Err(Error::state(
                out_ch.to_string(),
                "output is not a conference",
            ));
        };
        if !conf.set.remove(slot) {
            return Err(Error::state(
                out_ch.to_string(),
                format!("{in_ch} is not in this conference output's set"),
            ));
        }
        conf.gain_sum -= take_gain(&mut conf.gains, slot) as i64;
        self.unhear(slot);
        self.dirty = true;
        Ok(())
    }

    fn unhear(&mut self, slot: u32) {
        let g = self.participants.generation_at(slot);
        let mut stopped = None;
        if let Some(p) = self.participants.at_mut(slot) {
            p.heard_by = p.heard_by.saturating_sub(1);
            if p.heard_by == 0 && p.talk.reset() {
                stopped = Some(p.channel);
            }
        }
        if let Some(channel) = stopped {
            self.push_event(Event::TalkStopped {
                channel,
                participant: ParticipantId::new(slot, g),
            });
        }
    }

    /// Whether an input is in a conference output's set, and with what gain (dB).
    pub fn conf_prim_gain(&self, out_ch: ChannelId, in_ch: ChannelId) -> Result<Option<f32>> {
        let pid = self.conf_prim_participant(in_ch)?;
        let OutSource::Conference(conf) = &self.output(out_ch)?.source else {
            return Err(Error::state(
                out_ch.to_string(),
                "output is not a conference",
            ));
        };
        if !conf.set.contains(pid.index) {
            return Ok(None);
        }
        let g = gain_of(&conf.gains, pid.index);
        Ok(Some((20.0 * (g as f64 / GAIN_ONE as f64).log10()) as f32))
    }

    /// The inputs in a conference output's set.
    pub fn conf_prim_members(&self, out_ch: ChannelId) -> Result<Vec<(ParticipantId, ChannelId)>> {
        let OutSource::Conference(conf) = &self.output(out_ch)?.source else {
            return Err(Error::state(
                out_ch.to_string(),
                "output is not a conference",
            ));
        };
        Ok(conf
            .set
            .iter()
            .map(|s| {
                let p = self.participants.at(s).expect("members are attached");
                (
                    ParticipantId::new(s, self.participants.generation_at(s)),
                    p.channel,
                )
            })
            .collect())
    }

    /// Up to four most significant active (talking) inputs of a conference output, loudest
    /// first, with their recent power in dBm0.
    pub fn conf_prim_status(&self, out_ch: ChannelId) -> Result<Vec<ActiveInput>> {
        let OutSource::Conference(conf) = &self.output(out_ch)?.source else {
            return Err(Error::state(
                out_ch.to_string(),
                "output is not a conference",
            ));
        };
        let mut active: Vec<ActiveInput> = conf
            .set
            .iter()
            .filter_map(|s| {
                let p = self.participants.at(s)?;
                p.talk.is_talking().then(|| ActiveInput {
                    participant: ParticipantId::new(s, self.participants.generation_at(s)),
                    channel: p.channel,
                    power_dbm0: p.talk.level_dbm0(),
                })
            })
            .collect();
        active.sort_by(|a, b| b.power_dbm0.total_cmp(&a.power_dbm0));
        active.truncate(4);
        Ok(active)
    }

    /// Whether an attached input is currently reported as talking.
    pub fn conf_prim_is_talking(&self, in_ch: ChannelId) -> Result<bool> {
        let pid = self.conf_prim_participant(in_ch)?;
        Ok(self
            .participants
            .get(pid.index, pid.generation)?
            .talk
            .is_talking())
    }

    // ----------------------------------------------------------------- ticks

    /// Re-plans the mix now if the topology changed, so that the next tick does not allocate.
    pub fn commit(&mut self) {
        if self.dirty {
            self.replan();
        }
    }

    fn replan(&mut self) {
        let plan = plan::build(self);
        self.plan = plan;
        self.dirty = false;
        self.stats.plans += 1;
        self.stats.plan_totals = self.plan.totals;
        self.stats.plan_output_ops = self.plan.output_ops;
        self.stats.plan_shared_outputs = self.plan.shared_outputs;
        self.stats.plan_delayed_edges = self.plan.delayed_edges;
    }

    /// Runs one frame: endpoint inputs are taken, channel inputs processed, conferences mixed,
    /// outputs produced, recorders fed. Producers run before their consumers.
    pub fn tick(&mut self) {
        self.commit();
        let mut plan = std::mem::take(&mut self.plan);
        plan.run(self);
        self.plan = plan;
        self.stats.ticks += 1;
    }

    // ----------------------------------------------------------------- record / replay

    /// Starts recording a datafeed to a mono 16-bit WAV file at the processor rate.
    pub fn record(
        &mut self,
        feed: Datafeed,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.check_feed(feed)?;
        self.record_target(RecordTarget::Feed(feed), path.as_ref(), options)
    }

    /// Starts recording two datafeeds to a stereo WAV file (left, right).
    pub fn record_stereo(
        &mut self,
        left: Datafeed,
        right: Datafeed,
        path: impl AsRef<Path>,
        options: RecordOptions,
    ) -> Result<RecorderId> {
        self.check_feed(left)?;
        self.check_feed(right)?;
        self.record_target(RecordTarget::Stereo(left, right), path.as_ref(), options)
    }

    /// Starts replaying a WAV file onto a channel's output. The file is opened and checked
    /// before anything changes: a bad file leaves the channel's current source playing.
    pub fn replay(
        &mut self,
        ch: ChannelId,
        path: impl AsRef<Path>,
        options: ReplayOptions,
    ) -> Result<PlayerId> {
        let path = path.as_ref();
        self.replace_replay(ch, |p| p.start_player(ch, path, options))
    }
}

/// Queues an event without allocating: beyond the queue's capacity the oldest is dropped.
pub(crate) fn push_event_to(
    events: &mut VecDeque<TimedEvent>,
    dropped: &mut u64,
    tick: u64,
    event: Event,
) {
    if events.len() >= EVENT_QUEUE_CAPACITY {
        events.pop_front();
        *dropped += 1;
    }
    events.push_back(TimedEvent { tick, event });
}

fn gain_of(gains: &[(u32, i32)], slot: u32) -> i32 {
    match gains.binary_search_by_key(&slot, |&(s, _)| s) {
        Ok(i) => gains[i].1,
        Err(_) => GAIN_ONE,
    }
}

/// Removes a participant's entry from a gain list, returning its gain (unity when absent).
fn take_gain(gains: &mut Vec<(u32, i32)>, slot: u32) -> i32 {
    match gains.binary_search_by_key(&slot, |&(s, _)| s) {
        Ok(i) => gains.remove(i).1,
        Err(_) => GAIN_ONE,
    }
}
