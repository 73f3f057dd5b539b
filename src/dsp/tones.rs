//! One listener for every tone a channel input may carry: DTMF digits, call-progress tones and
//! fax tones, with a suppression flag for conference mixing.
//!
//! A [`ToneSet`] says what to listen for; a [`ToneListener`] runs the detectors on a channel's
//! frames and reports [`ToneEvent`]s. [`ToneListener::suppress`] tells the mixer when to mute the
//! input because a tone is on it.
//!
//! # Suppression timing
//!
//! The listener runs the DTMF detector one 5 ms segment at a time (`rate / 200` samples) and
//! samples the detector's state at every segment boundary. Let `hit` be the first boundary at
//! which the detector has a hit on a tone (a 20 ms analysis block that passes every digit test,
//! before the digit is confirmed), and `gone` the first boundary at which the detector has
//! dropped it (the tone ended: 25 ms of non-tone segments in the AT&T profile, or an unconfirmed
//! hit that did not repeat). The detector's state changes only at boundaries, so it holds the
//! tone at every boundary in `[hit, gone)`, the last of them `gone - seg` (`seg` = 5 ms). After a
//! [`process`](ToneListener::process) call whose input ends at position `p`,
//! [`suppress`](ToneListener::suppress) is true exactly when `hit <= p < gone`, or
//! `p < gone - seg + hangover`: it turns on at `hit` and off at
//! `max(gone, gone - seg + hangover)` (hangover:
//! [`ToneSet::suppress_hangover_ms`], default 10 ms, so off at `gone + 5 ms`). Because the
//! listener only answers between `process` calls, a mixer fed 20 ms frames sees these changes at
//! its frame boundaries.
//!
//! Measured on 200 generated digits at 8 kHz (40 to 120 ms, -3 to -25 dBm0, random phases, fed
//! 5 ms at a time; `tests/tones_listener.rs`): suppression turns on 13.5 to 19.4 ms (median
//! 16.4 ms) after the tone's onset and off 26 to 32 ms (median 29 ms) after its end. What leaks
//! into a mix without lookahead is the first `hit - onset` samples of the tone, under 20 ms and
//! shorter than the 30 ms a digit needs to be confirmed. When [`ToneSet::suppress_cadence`] is
//! set, a recognised call-progress or fax tone is suppressed too, from its recognition to its
//! end event.
//!
//! Processing never allocates after construction.

use super::callprogress::{CadenceDetector, CadenceEvent, CadenceEventKind, CadenceSpec};
use super::dtmf::{DtmfConfig, DtmfDetector, DtmfEvent, DtmfEventKind};
use crate::{Error, Result};

/// A tone the listener can report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tone {
    /// A DTMF digit: `0-9`, `*`, `#`, `A-D`.
    Dtmf(char),
    /// Dial tone.
    Dial,
    /// Audible ringing (ringback).
    Ringback,
    /// Busy.
    Busy,
    /// Reorder (fast busy, congestion).
    Reorder,
    /// Special information tone.
    Sit,
    /// Fax calling tone (1100 Hz).
    Cng,
    /// Fax called-station / answer tone (2100 Hz).
    Ced,
    /// A user-defined tone; the number is chosen by whoever fills in the
    /// [`CadenceSpec`].
    Custom(u16),
}

impl Tone {
    /// A short lower-case name: `dtmf`, `dial`, `ringback`, `busy`, `reorder`, `sit`, `cng`,
    /// `ced`, `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Tone::Dtmf(_) => "dtmf",
            Tone::Dial => "dial",
            Tone::Ringback => "ringback",
            Tone::Busy => "busy",
            Tone::Reorder => "reorder",
            Tone::Sit => "sit",
            Tone::Cng => "cng",
            Tone::Ced => "ced",
            Tone::Custom(_) => "custom",
        }
    }

    /// The digit of a DTMF tone.
    pub fn digit(&self) -> Option<char> {
        match self {
            Tone::Dtmf(d) => Some(*d),
            _ => None,
        }
    }
}

/// Whether a [`ToneEvent`] marks the start (recognition) or the end of a tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToneEventKind {
    /// The tone has been recognised (a DTMF digit confirmed, a cadence matched).
    Start,
    /// The tone has ended.
    End,
}

/// A tone recognised or ended. Sample positions count from the first sample given to the
/// listener (or since [`ToneListener::reset`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneEvent {
    /// The tone.
    pub tone: Tone,
    /// Start or end.
    pub kind: ToneEventKind,
    /// Estimated first sample of the tone (5 ms resolution for DTMF, 10 ms for the others).
    pub start: u64,
    /// For [`ToneEventKind::End`], the sample just after the tone.
    pub end: Option<u64>,
    /// Position at which the event was decided: `at - start` is the recognition latency.
    pub at: u64,
    /// Level of the tone (all its frequencies together) in dBm0.
    pub level_dbm0: f32,
}

impl ToneEvent {
    fn from_dtmf(e: &DtmfEvent) -> Self {
        let p = 10f32.powf(e.low_dbm0 / 10.0) + 10f32.powf(e.high_dbm0 / 10.0);
        ToneEvent {
            tone: Tone::Dtmf(e.digit),
            kind: match e.kind {
                DtmfEventKind::Start => ToneEventKind::Start,
                DtmfEventKind::End => ToneEventKind::End,
            },
            start: e.start,
            end: e.end,
            at: e.at,
            level_dbm0: 10.0 * p.log10(),
        }
    }

    fn from_cadence(e: &CadenceEvent) -> Self {
        ToneEvent {
            tone: e.tone,
            kind: match e.kind {
                CadenceEventKind::Start => ToneEventKind::Start,
                CadenceEventKind::End => ToneEventKind::End,
            },
            start: e.start,
            end: e.end,
            at: e.at,
            level_dbm0: e.level_dbm0,
        }
    }
}

/// What a [`ToneListener`] listens for.
#[derive(Debug, Clone, PartialEq)]
pub struct ToneSet {
    /// DTMF receiver thresholds, or `None` for no DTMF detection.
    pub dtmf: Option<DtmfConfig>,
    /// Call-progress, fax and user-defined cadenced tones.
    pub cadences: Vec<CadenceSpec>,
    /// Suppression continues this long after the detector has dropped a tone (0 to 100 ms).
    pub suppress_hangover_ms: f32,
    /// Also suppress recognised cadenced tones (from recognition to end).
    pub suppress_cadence: bool,
}

impl Default for ToneSet {
    /// [`ToneSet::dtmf`].
    fn default() -> Self {
        Self::dtmf()
    }
}

impl ToneSet {
    /// Nothing: a listener that reports no tone.
    pub fn none() -> Self {
        ToneSet {
            dtmf: None,
            cadences: Vec::new(),
            suppress_hangover_ms: 10.0,
            suppress_cadence: false,
        }
    }

    /// DTMF digits with the AT&T (Q.24) profile.
    pub fn dtmf() -> Self {
        ToneSet {
            dtmf: Some(DtmfConfig::att()),
            ..Self::none()
        }
    }

    /// DTMF digits, the North American call-progress tones and the fax tones.
    pub fn all() -> Self {
        let mut cadences = CadenceSpec::north_america();
        cadences.extend(CadenceSpec::fax());
        ToneSet {
            dtmf: Some(DtmfConfig::att()),
            cadences,
            ..Self::none()
        }
    }

    /// The North American call-progress tones only.
    pub fn call_progress() -> Self {
        ToneSet {
            cadences: CadenceSpec::north_america(),
            ..Self::none()
        }
    }

    /// The fax tones (CNG, CED) only.
    pub fn fax() -> Self {
        ToneSet {
            cadences: CadenceSpec::fax(),
            ..Self::none()
        }
    }

    /// This set with DTMF detection using `cfg`.
    pub fn with_dtmf(mut self, cfg: DtmfConfig) -> Self {
        self.dtmf = Some(cfg);
        self
    }

    /// This set with one more cadenced tone.
    pub fn with_cadence(mut self, spec: CadenceSpec) -> Self {
        self.cadences.push(spec);
        self
    }
}

/// Runs the detectors of a [`ToneSet`] on one channel's input.
#[derive(Debug, Clone)]
pub struct ToneListener {
    rate: u32,
    dtmf: Option<DtmfDetector>,
    cadence: Option<CadenceDetector>,
    /// DTMF segment length in samples.
    seg: usize,
    hangover: u64,
    suppress_cadence: bool,
    /// Samples consumed.
    pos: u64,
    /// Suppression holds while `pos < suppress_until`.
    suppress_until: u64,
    in_tone: bool,
    tone_start: Option<u64>,
}

impl ToneListener {
    /// A listener for `set` at `sample_rate` Hz (8000 to 96000, a multiple of 200 Hz).
    pub fn new(sample_rate: u32, set: &ToneSet) -> Result<Self> {
        if !(set.suppress_hangover_ms >= 0.0 && set.suppress_hangover_ms <= 100.0) {
            return Err(Error::arg("suppress_hangover_ms", "must be in 0..=100 ms"));
        }
        if !(8000..=96000).contains(&sample_rate) || !sample_rate.is_multiple_of(200) {
            return Err(Error::arg(
                "sample_rate",
                format!("{sample_rate} Hz: need a multiple of 200 Hz in 8000..=96000"),
            ));
        }
        let dtmf = set
            .dtmf
            .map(|c| DtmfDetector::new(sample_rate, c))
            .transpose()?;
        let cadence = if set.cadences.is_empty() {
            None
        } else {
            Some(CadenceDetector::new(sample_rate, &set.cadences)?)
        };
        Ok(ToneListener {
            rate: sample_rate,
            dtmf,
            cadence,
            seg: (sample_rate / 200) as usize,
            hangover: (set.suppress_hangover_ms as f64 * sample_rate as f64 / 1000.0).round()
                as u64,
            suppress_cadence: set.suppress_cadence,
            pos: 0,
            suppress_until: 0,
            in_tone: false,
            tone_start: None,
        })
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Samples consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Feed one frame (any length); `events` is called for each tone start and end, in order of
    /// decision within each detector (DTMF events of a frame come before cadence events).
    pub fn process(&mut self, frame: &[i16], events: &mut impl FnMut(ToneEvent)) {
        if let Some(c) = self.cadence.as_mut() {
            c.process(frame, &mut |e| events(ToneEvent::from_cadence(&e)));
        }
        let cad_active =
            self.suppress_cadence && self.cadence.as_ref().is_some_and(|c| c.any_active());
        match self.dtmf.as_mut() {
            Some(d) => {
                let mut rest = frame;
                while !rest.is_empty() {
                    // Up to the next segment boundary of the detector.
                    let to_boundary = self.seg - (d.position() % self.seg as u64) as usize;
                    let (now, later) = rest.split_at(to_boundary.min(rest.len()));
                    d.process(now, &mut |e| events(ToneEvent::from_dtmf(&e)));
                    rest = later;
                    self.pos += now.len() as u64;
                    let hit = d.in_tone();
                    if hit || cad_active {
                        self.suppress_until = self.pos + self.hangover;
                        if !self.in_tone {
                            self.tone_start = d.hit_started().or(Some(self.pos));
                        }
                    }
                    self.in_tone = hit || cad_active;
                }
            }
            None => {
                self.pos += frame.len() as u64;
                if cad_active {
                    self.suppress_until = self.pos + self.hangover;
                    if !self.in_tone {
                        self.tone_start = Some(self.pos);
                    }
                }
                self.in_tone = cad_active;
            }
        }
    }

    /// True while the input should be kept out of any mix: from the detector's first hit on a
    /// DTMF tone (or the recognition of a cadenced tone, when
    /// [`ToneSet::suppress_cadence`] is set) until the detector has dropped the tone plus the
    /// hang-over. See the module documentation for the exact timing.
    pub fn suppress(&self) -> bool {
        self.in_tone || self.pos < self.suppress_until
    }

    /// While [`suppress`](Self::suppress) is true, the detector's estimate of the first sample
    /// of the suppressed tone (for a mixer that delays the input by a lookahead).
    pub fn suppress_start(&self) -> Option<u64> {
        if self.suppress() {
            self.tone_start
        } else {
            None
        }
    }

    /// Forget all state, as if newly constructed.
    pub fn reset(&mut self) {
        if let Some(d) = self.dtmf.as_mut() {
            d.reset();
        }
        if let Some(c) = self.cadence.as_mut() {
            c.reset();
        }
        self.pos = 0;
        self.suppress_until = 0;
        self.in_tone = false;
        self.tone_start = None;
    }
}
