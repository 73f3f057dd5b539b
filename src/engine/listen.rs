//! Tone detection on channel inputs, and suppression of detected tones before any mix.
//!
//! A listening input runs a [`ToneListener`] on what it receives (before its gain), and passes
//! on a copy that is delayed by the lookahead (0 to 40 ms) and muted while a tone is present:
//!
//! - when the listener's suppression turns on, every sample from the listener's estimate of the
//!   tone's first sample that has not yet left the delay line is zeroed, and so is everything
//!   arriving until suppression turns off;
//! - in the frame during which suppression turns off, the whole frame is zeroed (the tone's tail
//!   and the hang-over end somewhere inside it).
//!
//! With no lookahead, what leaks into a mix is the part of the tone that was mixed before the
//! detector's first hit; with a lookahead at least as long as the detector's hit latency,
//! nothing leaks. Recording the input records exactly what entered the conference.

use crate::dsp::mix;
use crate::dsp::tones::{ToneEvent, ToneListener, ToneSet};
use crate::{Error, Result};

/// Options of [`Processor::listen_for`](super::Processor::listen_for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenOptions {
    /// Mute detected tones before the input reaches any conference (default true).
    pub suppress: bool,
    /// Delay the input by this many ms (0 to 40) so that suppression can start before the tone
    /// reaches the mix. Default 0.
    pub suppression_lookahead_ms: u32,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            suppress: true,
            suppression_lookahead_ms: 0,
        }
    }
}

pub(crate) struct Listen {
    pub(crate) listener: ToneListener,
    suppress: bool,
    /// Delay line: `buf[0]` is input position `pos - lookahead`, where `pos` is the position of
    /// the first sample of the frame about to be pushed.
    buf: Box<[i16]>,
    lookahead: usize,
    /// Input samples seen so far.
    pos: u64,
    was_suppressing: bool,
    /// Processor sample count at which listening started (for event times).
    pub(crate) origin: u64,
    /// Samples of tone-suppressed input so far (muted samples).
    pub(crate) muted_samples: u64,
    /// Samples muted before the estimated onset.
    margin: u64,
}

impl Listen {
    pub(crate) fn new(
        rate: u32,
        frame_len: usize,
        set: &ToneSet,
        options: ListenOptions,
        origin: u64,
    ) -> Result<Self> {
        if options.suppression_lookahead_ms > 40 {
            return Err(Error::arg(
                "suppression_lookahead_ms",
                format!("{} ms is more than 40 ms", options.suppression_lookahead_ms),
            ));
        }
        let lookahead = (rate as usize * options.suppression_lookahead_ms as usize) / 1000;
        Ok(Listen {
            listener: ToneListener::new(rate, set)?,
            suppress: options.suppress,
            buf: vec![0; lookahead + frame_len].into_boxed_slice(),
            lookahead,
            pos: 0,
            was_suppressing: false,
            origin,
            muted_samples: 0,
            margin: rate as u64 / 200,
        })
    }

    /// Runs the detector on `src` (reporting events), and writes to `dst` what enters the
    /// conferences: `src` times `gain_q`, delayed and with tones muted.
    pub(crate) fn process(
        &mut self,
        src: &[i16],
        dst: &mut [i16],
        gain_q: i32,
        events: &mut impl FnMut(ToneEvent),
    ) {
        let l = src.len();
        let d = self.lookahead;
        self.listener.process(src, events);
        // Shift the delay line by one frame and append the new frame.
        self.buf.copy_within(l.., 0);
        let tail = &mut self.buf[d..];
        if gain_q == crate::dsp::level::GAIN_ONE {
            mix::copy(tail, src);
        } else {
            mix::scale_i16(tail, src, gain_q);
        }
        // `buf[0]` is now input position `first` (negative while the line is filling), and
        // the buffer ends at `end`.
        let end = (self.pos + l as u64) as i64;
        let first = end - (d + l) as i64;
        if self.suppress {
            let now = self.listener.suppress();
            let from = if now {
                // The detector estimates the onset to within one 5 ms segment: mute from one
                // segment earlier so that no part of the onset slips through.
                let start = self.listener.suppress_start().unwrap_or(self.pos) as i64;
                Some((start - self.margin as i64).max(first))
            } else if self.was_suppressing {
                Some((self.pos as i64).max(first))
            } else {
                None
            };
            if let Some(from) = from {
                let i = (from - first) as usize;
                let zeroed = &mut self.buf[i..];
                self.muted_samples += zeroed.iter().filter(|&&v| v != 0).count() as u64;
                zeroed.fill(0);
            }
            self.was_suppressing = now;
        }
        self.pos = end as u64;
        mix::copy(dst, &self.buf[..l]);
    }
}
