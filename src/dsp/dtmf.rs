//! DTMF detection to ITU-T Q.24 requirements, for 8, 16 and 48 kHz (any rate that is a multiple
//! of 200 Hz between 8 and 96 kHz).
//!
//! # Method
//!
//! The input is cut into 5 ms segments. For each segment the detector computes, in one pass with
//! a precomputed twiddle table (8 complex bins side by side so the inner loop vectorises), the
//! segment's DFT at the eight DTMF frequencies and its energy. Every 5 ms an analysis block is
//! formed from the last four segments with a `[1, 3, 3, 1]` taper (a 20 ms window whose response
//! falls to -14 dB or less at the neighbouring tone of the same group and about -26 dB or less at
//! the tones of the other group). The two candidate tones are then separated by solving out their
//! mutual window leakage (a 2x2 complex system with precomputed coefficients), so the level and
//! the frequency of a weak tone are not biased by a strong partner. A block is a *hit* for a digit
//! when:
//!
//! * **relative peak**: the strongest bin of each group exceeds the other bins of its group by
//!   [`DtmfConfig::relative_peak_db`];
//! * **frequency**: the frequency of each tone, measured from the phase advance of its bin between
//!   consecutive blocks (5 ms apart, unambiguous to +-100 Hz), is within
//!   [`DtmfConfig::max_freq_deviation`] of nominal;
//! * **level**: each tone, with its amplitude corrected for the window response at the measured
//!   frequency, is at least [`DtmfConfig::min_level_dbm0`];
//! * **twist**: the high tone is at most [`DtmfConfig::reverse_twist_db`] above and at most
//!   [`DtmfConfig::normal_twist_db`] below the low tone;
//! * **energy ratio**: the two tones carry at least [`DtmfConfig::min_energy_ratio`] of the
//!   block's (tapered) energy.
//!
//! Duration is measured on the 5 ms segments rather than on blocks: a segment belongs to the tone
//! when its energy is within [`DtmfConfig::segment_min_energy`] ..
//! [`DtmfConfig::segment_max_energy`] of the tone energy measured by the hits and at least
//! [`DtmfConfig::segment_min_purity`] of it lies in the two bins. A digit is confirmed (a
//! [`DtmfEventKind::Start`] event) once [`DtmfConfig::min_hits`] consecutive hits agree and the
//! tone's run of segments covers [`DtmfConfig::min_duration_ms`]. It ends (a
//! [`DtmfEventKind::End`] event) after [`DtmfConfig::end_gap_ms`] of non-tone segments or
//! [`DtmfConfig::max_misses`] consecutive non-hit blocks. While the newest segment still belongs
//! to a confirmed digit, the block analysis is skipped (it could only confirm the digit again), so
//! misses count only blocks whose newest segment has left the tone.
//!
//! From the first hit until the tone is gone, [`DtmfDetector::in_tone`] is true, so a conference
//! mixer can mute the tone before the digit is confirmed.
//!
//! Processing never allocates after construction.

use super::level::peak_to_dbm0;
pub use super::tonegen::{DTMF_HIGH_HZ, DTMF_KEYS, DTMF_LOW_HZ};
use crate::{Error, Result};
use std::f32::consts::PI;

/// Segment (hop) duration in ms.
const SEGMENT_MS: u32 = 5;
/// Segments per analysis block.
const BLOCK_SEGMENTS: usize = 4;
/// Taper over the segments of a block (normalised to sum 1 at construction).
const TAPER: [f32; BLOCK_SEGMENTS] = [1.0, 3.0, 3.0, 1.0];
/// Entries of the window-gain table.
const GAIN_TABLE: usize = 128;
/// Segments kept for duration measurement (bounds `min_duration_ms`).
const RING: usize = 16;

/// Thresholds of a DTMF receiver. Every field is public; start from a profile
/// ([`att`](Self::att), [`ntt`](Self::ntt), [`etsi`](Self::etsi)) and adjust.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfConfig {
    /// Minimum level of each tone in dBm0.
    pub min_level_dbm0: f32,
    /// Largest amount in dB by which the high-group tone may be below the low-group tone.
    pub normal_twist_db: f32,
    /// Largest amount in dB by which the high-group tone may be above the low-group tone.
    pub reverse_twist_db: f32,
    /// Each tone must exceed every other bin of its group by this many dB.
    pub relative_peak_db: f32,
    /// Minimum fraction of the block energy carried by the two tones.
    pub min_energy_ratio: f32,
    /// Largest relative deviation of each tone from its nominal frequency (0.025 = 2.5 %).
    pub max_freq_deviation: f32,
    /// Minimum tone duration in ms for a digit to be confirmed (at most 80 ms).
    pub min_duration_ms: f32,
    /// Consecutive hits needed to confirm a digit (at least 2, since the frequency check needs
    /// two blocks).
    pub min_hits: u32,
    /// A run of non-tone segments this long ends a digit (ms).
    pub end_gap_ms: f32,
    /// This many consecutive blocks that are not a hit for the current digit end it (a block
    /// whose newest segment is a tone segment of the digit counts as a hit).
    pub max_misses: u32,
    /// A segment belongs to the tone only if its energy is at least this fraction of the tone
    /// energy.
    pub segment_min_energy: f32,
    /// ... and at most this multiple of the tone energy.
    pub segment_max_energy: f32,
    /// ... and at least this fraction of the segment's energy lies in the two tone bins.
    pub segment_min_purity: f32,
}

impl Default for DtmfConfig {
    /// The AT&T profile.
    fn default() -> Self {
        Self::att()
    }
}

impl DtmfConfig {
    /// ITU-T Q.24 AT&T (North American) receiver: operate at 0 to -25 dBm0 per tone, twist +4 /
    /// -8 dB, frequency +-1.5 %; non-operate at -55 dBm0, +-3.5 %, and tones of 23 ms or less.
    pub fn att() -> Self {
        DtmfConfig {
            min_level_dbm0: -33.0,
            normal_twist_db: 9.0,
            reverse_twist_db: 5.0,
            relative_peak_db: 10.0,
            min_energy_ratio: 0.80,
            max_freq_deviation: 0.025,
            min_duration_ms: 30.0,
            min_hits: 2,
            end_gap_ms: 25.0,
            max_misses: 10,
            segment_min_energy: 0.70,
            segment_max_energy: 2.5,
            segment_min_purity: 0.35,
        }
    }

    /// ITU-T Q.24 NTT (Japan) receiver: non-operate at -29 dBm0 per tone or below, twist up to
    /// 5 dB either way.
    pub fn ntt() -> Self {
        DtmfConfig {
            min_level_dbm0: -27.0,
            normal_twist_db: 6.0,
            reverse_twist_db: 6.0,
            ..Self::att()
        }
    }

    /// ETSI ES 201 235-3 receiver: operate down to about -37 dBV per tone (-34.8 dBm0 at 600
    /// ohm), twist up to 6 dB either way.
    pub fn etsi() -> Self {
        DtmfConfig {
            min_level_dbm0: -36.0,
            normal_twist_db: 7.0,
            reverse_twist_db: 7.0,
            ..Self::att()
        }
    }

    fn validate(&self) -> Result<()> {
        let f = |v: f32| v.is_finite();
        if !f(self.min_level_dbm0) {
            return Err(Error::arg("min_level_dbm0", "must be finite"));
        }
        if !(f(self.normal_twist_db) && self.normal_twist_db >= 0.0) {
            return Err(Error::arg("normal_twist_db", "must be >= 0"));
        }
        if !(f(self.reverse_twist_db) && self.reverse_twist_db >= 0.0) {
            return Err(Error::arg("reverse_twist_db", "must be >= 0"));
        }
        if !(f(self.relative_peak_db) && self.relative_peak_db >= 0.0) {
            return Err(Error::arg("relative_peak_db", "must be >= 0"));
        }
        if !(self.min_energy_ratio > 0.0 && self.min_energy_ratio <= 1.0) {
            return Err(Error::arg("min_energy_ratio", "must be in (0, 1]"));
        }
        if !(self.max_freq_deviation > 0.0 && self.max_freq_deviation < 0.06) {
            return Err(Error::arg("max_freq_deviation", "must be in (0, 0.06)"));
        }
        let max_dur = (RING * SEGMENT_MS as usize) as f32;
        if !(self.min_duration_ms >= 0.0 && self.min_duration_ms <= max_dur) {
            return Err(Error::arg(
                "min_duration_ms",
                format!("must be in 0..={max_dur} ms"),
            ));
        }
        if self.min_hits < 2 {
            return Err(Error::arg("min_hits", "must be at least 2"));
        }
        if !(self.end_gap_ms >= SEGMENT_MS as f32 && self.end_gap_ms < 1000.0) {
            return Err(Error::arg("end_gap_ms", "must be in 5..1000 ms"));
        }
        if self.max_misses == 0 {
            return Err(Error::arg("max_misses", "must be at least 1"));
        }
        if !(self.segment_min_energy > 0.0 && self.segment_max_energy > self.segment_min_energy) {
            return Err(Error::arg(
                "segment_min_energy",
                "need 0 < segment_min_energy < segment_max_energy",
            ));
        }
        if !(self.segment_min_purity >= 0.0 && self.segment_min_purity <= 1.0) {
            return Err(Error::arg("segment_min_purity", "must be in [0, 1]"));
        }
        Ok(())
    }
}

/// Whether a [`DtmfEvent`] marks the confirmation or the end of a digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfEventKind {
    /// The digit has been confirmed.
    Start,
    /// The digit has ended.
    End,
}

/// A digit confirmed or ended. Sample positions count from the first sample given to the
/// detector (or since [`DtmfDetector::reset`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DtmfEvent {
    /// The digit: `0-9`, `*`, `#`, `A-D`.
    pub digit: char,
    /// Start or end.
    pub kind: DtmfEventKind,
    /// Estimated first sample of the tone (5 ms resolution).
    pub start: u64,
    /// For [`DtmfEventKind::End`], the sample just after the tone's last segment.
    pub end: Option<u64>,
    /// Position at which the event was decided: `at - start` is the detection latency.
    pub at: u64,
    /// Level of the low-group tone in dBm0.
    pub low_dbm0: f32,
    /// Level of the high-group tone in dBm0.
    pub high_dbm0: f32,
}

#[derive(Debug, Clone, Copy)]
struct Hit {
    row: usize,
    col: usize,
    amp_low: f32,
    amp_high: f32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Idle,
    Pending {
        row: usize,
        col: usize,
        hits: u32,
    },
    Active {
        row: usize,
        col: usize,
        misses: u32,
        gap: u32,
    },
}

/// A streaming DTMF detector for one channel.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    cfg: DtmfConfig,
    rate: u32,
    hop: usize,
    /// `table[n] = [cos(w_k n) .., -sin(w_k n) ..]` for the 8 frequencies.
    table: Vec<[f32; 16]>,
    /// `e^{-j w_k m hop}` for each block segment m: `[re.., im..]`.
    rot_re: [[f32; 8]; BLOCK_SEGMENTS],
    rot_im: [[f32; 8]; BLOCK_SEGMENTS],
    taper: [f32; BLOCK_SEGMENTS],
    /// Nominal phase advance per hop, `w_k * hop` wrapped to (-pi, pi].
    hop_phase: [f32; 8],
    freqs: [f32; 8],
    acc: [[f32; 16]; 4],
    acc_e: [f32; 8],
    avx2: bool,
    fill: usize,
    // Segment ring: DFT partial sums and energies.
    seg_re: [[f32; 8]; RING],
    seg_im: [[f32; 8]; RING],
    seg_e: [f32; RING],
    segments: u64,
    prev_block: [f32; 16],
    have_prev: bool,
    rel_peak_lin: f32,
    min_amp: f32,
    min_gain: f32,
    min_block_energy: f32,
    need_segments: usize,
    gap_segments: u32,
    state: State,
    tone_energy: f32,
    onset: u64,
    last_end: Option<u64>,
    tone_end: u64,
    /// Amplitudes (low, high) of the latest hit of the current tone.
    amps: (f32, f32),
    gain_table: [f32; GAIN_TABLE + 2],
    gain_step: f32,
    /// `leak[a][b]`: response of bin `a` to a tone at bin `b`'s frequency, relative to bin `b`'s
    /// own response (complex, `(re, im)`).
    leak: [[(f32, f32); 8]; 8],
    /// `1 / (1 - leak[l][h] leak[h][l])` for each low/high pair.
    unmix_inv: [[(f32, f32); 4]; 4],
    /// `1 / gain_step`.
    gain_scale: f32,
    twist_hi: f32,
    twist_lo: f32,
}

impl DtmfDetector {
    /// A detector for `sample_rate` Hz with the given thresholds.
    pub fn new(sample_rate: u32, cfg: DtmfConfig) -> Result<Self> {
        if !(8000..=96000).contains(&sample_rate) || !sample_rate.is_multiple_of(200) {
            return Err(Error::arg(
                "sample_rate",
                format!("{sample_rate} Hz: need a multiple of 200 Hz in 8000..=96000"),
            ));
        }
        cfg.validate()?;
        let hop = (sample_rate / 1000 * SEGMENT_MS) as usize;
        let mut freqs = [0f32; 8];
        freqs[..4].copy_from_slice(&DTMF_LOW_HZ);
        freqs[4..].copy_from_slice(&DTMF_HIGH_HZ);
        let w: [f64; 8] = std::array::from_fn(|k| {
            2.0 * std::f64::consts::PI * freqs[k] as f64 / sample_rate as f64
        });
        let table = (0..hop)
            .map(|n| {
                let mut t = [0f32; 16];
                for k in 0..8 {
                    let a = w[k] * n as f64;
                    t[k] = a.cos() as f32;
                    t[8 + k] = -a.sin() as f32;
                }
                t
            })
            .collect();
        let tsum: f32 = TAPER.iter().sum();
        let taper = TAPER.map(|t| t / tsum);
        let mut rot_re = [[0f32; 8]; BLOCK_SEGMENTS];
        let mut rot_im = [[0f32; 8]; BLOCK_SEGMENTS];
        for m in 0..BLOCK_SEGMENTS {
            for k in 0..8 {
                // Segment m of a block, rotated to the block's phase reference and tapered.
                let a = w[k] * (m * hop) as f64;
                rot_re[m][k] = a.cos() as f32 * taper[m];
                rot_im[m][k] = -a.sin() as f32 * taper[m];
            }
        }
        let hop_phase = std::array::from_fn(|k| {
            let a = (w[k] * hop as f64).rem_euclid(2.0 * std::f64::consts::PI);
            (if a > std::f64::consts::PI {
                a - 2.0 * std::f64::consts::PI
            } else {
                a
            }) as f32
        });
        let seg_ms = SEGMENT_MS as f32;
        let mut d = DtmfDetector {
            cfg,
            rate: sample_rate,
            hop,
            table,
            rot_re,
            rot_im,
            taper,
            hop_phase,
            freqs,
            acc: [[0.0; 16]; 4],
            acc_e: [0.0; 8],
            avx2: detect_avx2(),
            fill: 0,
            seg_re: [[0.0; 8]; RING],
            seg_im: [[0.0; 8]; RING],
            seg_e: [0.0; RING],
            segments: 0,
            prev_block: [0.0; 16],
            have_prev: false,
            rel_peak_lin: 10f32.powf(cfg.relative_peak_db / 10.0),
            min_amp: super::level::dbm0_to_peak(cfg.min_level_dbm0),
            min_gain: 1.0,
            min_block_energy: 0.0,
            need_segments: ((cfg.min_duration_ms / seg_ms).ceil() as usize).max(1),
            gap_segments: ((cfg.end_gap_ms / seg_ms).ceil() as u32).max(1),
            state: State::Idle,
            tone_energy: 0.0,
            onset: 0,
            last_end: None,
            tone_end: 0,
            amps: (0.0, 0.0),
            gain_table: [1.0; GAIN_TABLE + 2],
            gain_step: 1.0,
            leak: [[(0.0, 0.0); 8]; 8],
            unmix_inv: [[(1.0, 0.0); 4]; 4],
            gain_scale: 1.0,
            twist_hi: 10f32.powf(cfg.reverse_twist_db / 20.0),
            twist_lo: 10f32.powf(-cfg.normal_twist_db / 20.0),
        };
        // Smallest window gain over the accepted frequency range, for cheap early rejection.
        let mut g = 1.0f32;
        for f in freqs {
            let dw = 2.0 * PI * f * cfg.max_freq_deviation / sample_rate as f32;
            g = g.min(d.window_gain(dw));
        }
        d.min_gain = g;
        // Window gain table over the accepted offsets (with margin), linearly interpolated.
        let dw_max =
            2.0 * PI * 1.05 * cfg.max_freq_deviation * DTMF_HIGH_HZ[3] / sample_rate as f32;
        d.gain_step = dw_max / GAIN_TABLE as f32;
        for a in 0..8 {
            for b in 0..8 {
                if a != b {
                    d.leak[a][b] = leakage(w[a], w[b], hop, &taper);
                }
            }
        }
        for l in 0..4 {
            for h in 0..4 {
                let (a, b) = (d.leak[l][4 + h], d.leak[4 + h][l]);
                let det = (1.0 - (a.0 * b.0 - a.1 * b.1), -(a.0 * b.1 + a.1 * b.0));
                let m = det.0 * det.0 + det.1 * det.1;
                d.unmix_inv[l][h] = (det.0 / m, -det.1 / m);
            }
        }
        d.gain_scale = 1.0 / d.gain_step;
        for i in 0..GAIN_TABLE + 2 {
            d.gain_table[i] = d.window_gain(i as f32 * d.gain_step);
        }
        // A hit needs two tones of at least `min_amp` after window correction; the tapered
        // block energy then cannot be below this (with a 2x margin for estimation spread).
        d.min_block_energy = 0.5 * hop as f32 * d.min_amp * d.min_amp * g * g;
        Ok(d)
    }

    /// The configuration in use.
    pub fn config(&self) -> &DtmfConfig {
        &self.cfg
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Samples consumed so far.
    pub fn position(&self) -> u64 {
        self.segments * self.hop as u64 + self.fill as u64
    }

    /// True from the first hit of a tone until it has ended (or been rejected): while this is
    /// true a conference mixer should mute the channel's contribution.
    pub fn in_tone(&self) -> bool {
        self.state != State::Idle
    }

    /// While [`in_tone`](Self::in_tone), the estimated first sample of the tone.
    pub fn hit_started(&self) -> Option<u64> {
        (self.state != State::Idle).then_some(self.onset)
    }

    /// The sample just after the end of the most recent tone that was detected (confirmed or
    /// not), once it has ended.
    pub fn last_tone_end(&self) -> Option<u64> {
        self.last_end
    }

    /// The digit currently confirmed and not yet ended, if any.
    pub fn current_digit(&self) -> Option<char> {
        match self.state {
            State::Active { row, col, .. } => Some(DTMF_KEYS[row][col]),
            _ => None,
        }
    }

    /// Forget all state, as if newly constructed.
    pub fn reset(&mut self) {
        self.acc = [[0.0; 16]; 4];
        self.acc_e = [0.0; 8];
        self.fill = 0;
        self.seg_re = [[0.0; 8]; RING];
        self.seg_im = [[0.0; 8]; RING];
        self.seg_e = [0.0; RING];
        self.segments = 0;
        self.have_prev = false;
        self.state = State::Idle;
        self.tone_energy = 0.0;
        self.onset = 0;
        self.last_end = None;
    }

    /// Feed samples (any count); `events` is called for each digit start and end.
    pub fn process(&mut self, samples: &[i16], events: &mut impl FnMut(DtmfEvent)) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is only true when the CPU reported AVX2 and FMA at construction.
            unsafe { self.process_avx2(samples, events) };
            return;
        }
        self.process_with::<false>(samples, events)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn process_avx2(&mut self, samples: &[i16], events: &mut impl FnMut(DtmfEvent)) {
        self.process_with::<true>(samples, events)
    }

    #[inline(always)]
    fn process_with<const FMA: bool>(
        &mut self,
        samples: &[i16],
        events: &mut impl FnMut(DtmfEvent),
    ) {
        let mut rest = samples;
        while !rest.is_empty() {
            if self.fill == 0 && rest.len() >= self.hop {
                // A whole segment: accumulate in registers and store the sums directly.
                let slot = (self.segments as usize) % RING;
                let (now, later) = rest.split_at(self.hop);
                let (re, im) = (&mut self.seg_re[slot], &mut self.seg_im[slot]);
                self.seg_e[slot] = if FMA {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: FMA is only set on the AVX2+FMA path chosen at construction.
                    unsafe {
                        segment_avx2(now, &self.table, re, im)
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    segment::<false>(now, &self.table, re, im)
                } else {
                    segment::<false>(now, &self.table, re, im)
                };
                rest = later;
                self.finish_segment(events);
                continue;
            }
            let take = (self.hop - self.fill).min(rest.len());
            let (now, later) = rest.split_at(take);
            let tab = &self.table[self.fill..self.fill + take];
            if FMA {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: FMA is only set on the AVX2+FMA path chosen at construction.
                unsafe {
                    kernel_avx2(&mut self.acc, &mut self.acc_e, now, tab)
                };
            } else {
                kernel::<false>(&mut self.acc, &mut self.acc_e, now, tab);
            }
            self.fill += take;
            rest = later;
            if self.fill == self.hop {
                self.end_segment(events);
            }
        }
    }

    /// Window response (amplitude, 1 at the bin centre) of a block at a frequency offset of `dw`
    /// rad/sample.
    fn window_gain(&self, dw: f32) -> f32 {
        let h = self.hop as f32;
        let inner = if dw.abs() < 1e-9 {
            1.0
        } else {
            ((dw * h / 2.0).sin() / (h * (dw / 2.0).sin())).abs()
        };
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for (m, t) in self.taper.iter().enumerate() {
            let a = dw * h * m as f32;
            re += t * a.cos();
            im += t * a.sin();
        }
        inner * (re * re + im * im).sqrt()
    }

    /// [`window_gain`](Self::window_gain) from the table.
    #[inline(always)]
    fn gain_lookup(&self, dw: f32) -> f32 {
        let x = (dw.abs() * self.gain_scale).min(GAIN_TABLE as f32);
        let i = x as usize;
        let f = x - i as f32;
        self.gain_table[i] + f * (self.gain_table[i + 1] - self.gain_table[i])
    }

    fn slot(&self, age: usize) -> usize {
        // age 0 = newest completed segment
        (self.segments as usize + RING - 1 - age) % RING
    }

    #[inline(always)]
    fn end_segment(&mut self, events: &mut impl FnMut(DtmfEvent)) {
        let slot = (self.segments as usize) % RING;
        let a = &self.acc;
        for k in 0..8 {
            self.seg_re[slot][k] = (a[0][k] + a[1][k]) + (a[2][k] + a[3][k]);
            self.seg_im[slot][k] = (a[0][8 + k] + a[1][8 + k]) + (a[2][8 + k] + a[3][8 + k]);
        }
        let e = &self.acc_e;
        self.seg_e[slot] = ((e[0] + e[1]) + (e[2] + e[3])) + ((e[4] + e[5]) + (e[6] + e[7]));
        self.acc = [[0.0; 16]; 4];
        self.acc_e = [0.0; 8];
        self.fill = 0;
        self.finish_segment(events);
    }

    /// Segment `segments % RING` is complete: analyse the block ending with it and advance.
    #[inline(always)]
    fn finish_segment(&mut self, events: &mut impl FnMut(DtmfEvent)) {
        self.segments += 1;
        let hit = match self.state {
            // A confirmed digit whose newest segment still matches it: the block analysis could
            // only confirm it again, so it is skipped (the next analysed block has no frequency
            // reference and cannot hit).
            State::Active { row, col, .. } if self.segment_is_tone(0, row, col) => {
                self.have_prev = false;
                Some(Hit {
                    row,
                    col,
                    amp_low: self.amps.0,
                    amp_high: self.amps.1,
                })
            }
            _ if self.segments >= BLOCK_SEGMENTS as u64 => self.analyse_block(),
            _ => None,
        };
        self.step_state(hit, events);
    }

    /// Tapered, phase-aligned sum of the block's segment DFTs, `(re, im)` per bin.
    #[inline(always)]
    fn combine(&self, segs: &[usize; BLOCK_SEGMENTS]) -> ([f32; 8], [f32; 8]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is only true when the CPU reported AVX2 and FMA at construction.
            return unsafe { combine_avx2(self, segs) };
        }
        combine_generic(self, segs)
    }

    /// Phase-advance frequency offset (rad/sample) of bin `k` between the previous and the
    /// current block.
    fn freq_offset(&self, cur: (f32, f32), prev: (f32, f32), k: usize) -> f32 {
        let zr = cur.0 * prev.0 + cur.1 * prev.1;
        let zi = cur.1 * prev.0 - cur.0 * prev.1;
        let mut d = fast_atan2(zi, zr) - self.hop_phase[k];
        if d > PI {
            d -= 2.0 * PI;
        } else if d < -PI {
            d += 2.0 * PI;
        }
        d / self.hop as f32
    }

    /// Separates the two tones of a candidate pair: removes from bin `l` the window leakage of
    /// the tone in bin `h` and vice versa (a 2x2 solve with the precomputed leakage
    /// coefficients). Returns the complex amplitudes `((re, im) low, (re, im) high)`.
    #[inline(always)]
    fn unmix(&self, x: &[f32; 16], l: usize, h: usize) -> ((f32, f32), (f32, f32)) {
        let (xl, xh) = ((x[l], x[8 + l]), (x[h], x[8 + h]));
        let (c_lh, c_hl) = (self.leak[l][h], self.leak[h][l]);
        let cm = |a: (f32, f32), b: (f32, f32)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
        let inv = self.unmix_inv[l][h - 4];
        let t = cm(c_lh, xh);
        let sl = cm((xl.0 - t.0, xl.1 - t.1), inv);
        let t = cm(c_hl, xl);
        let sh = cm((xh.0 - t.0, xh.1 - t.1), inv);
        (sl, sh)
    }

    #[inline(always)]
    fn analyse_block(&mut self) -> Option<Hit> {
        let mut e = 0f32;
        for m in 0..BLOCK_SEGMENTS {
            e += self.taper[m] * self.seg_e[self.slot(BLOCK_SEGMENTS - 1 - m)];
        }
        // No hit is possible below this energy: skip the block (and the frequency reference).
        if e < self.min_block_energy {
            self.have_prev = false;
            return None;
        }
        let mut segs = [0usize; BLOCK_SEGMENTS];
        for (m, sl) in segs.iter_mut().enumerate() {
            *sl = self.slot(BLOCK_SEGMENTS - 1 - m);
        }
        let (xr, xi) = self.combine(&segs);
        let mut p = [0f32; 8];
        for k in 0..8 {
            p[k] = xr[k] * xr[k] + xi[k] * xi[k];
        }
        let had_prev = self.have_prev;
        let prev = self.prev_block;
        self.have_prev = true;
        self.prev_block[..8].copy_from_slice(&xr);
        self.prev_block[8..].copy_from_slice(&xi);
        if !had_prev {
            return None;
        }
        let row = argmax4(&p[..4]);
        let col = argmax4(&p[4..]);
        let (pl, ph) = (p[row], p[4 + col]);
        let h = self.hop as f32;
        // Bounds using the smallest window gain in the accepted band: cheap rejection of
        // silence, noise and speech before any trigonometry.
        let g2 = self.min_gain * self.min_gain;
        if 2.0 * (pl + ph) < self.cfg.min_energy_ratio * e * h * g2 {
            return None;
        }
        let amp_scale = 2.0 / (h * self.min_gain);
        if pl.sqrt() * amp_scale < self.min_amp || ph.sqrt() * amp_scale < self.min_amp {
            return None;
        }
        for k in 0..4 {
            if k != row && p[k] * self.rel_peak_lin > pl {
                return None;
            }
            if k != col && p[4 + k] * self.rel_peak_lin > ph {
                return None;
            }
        }
        let (cl, chh) = self.unmix(&self.prev_block, row, 4 + col);
        let (pvl, pvh) = self.unmix(&prev, row, 4 + col);
        let w_tol = 2.0 * PI * self.cfg.max_freq_deviation / self.rate as f32;
        let dl = self.freq_offset(cl, pvl, row);
        if dl.abs() > w_tol * self.freqs[row] {
            return None;
        }
        let dh = self.freq_offset(chh, pvh, 4 + col);
        if dh.abs() > w_tol * self.freqs[4 + col] {
            return None;
        }
        // The energy test uses the smaller of the raw and separated bin powers, so separation can
        // only make it stricter.
        let (gl, gh) = (self.gain_lookup(dl), self.gain_lookup(dh));
        let ul = cl.0 * cl.0 + cl.1 * cl.1;
        let uh = chh.0 * chh.0 + chh.1 * chh.1;
        let tone_e = 2.0 * (ul.min(pl) / (gl * gl) + uh.min(ph) / (gh * gh)) / h;
        let al = 2.0 * ul.sqrt() / (h * gl);
        let ah = 2.0 * uh.sqrt() / (h * gh);
        if al < self.min_amp || ah < self.min_amp {
            return None;
        }
        if ah > self.twist_hi * al || ah < self.twist_lo * al {
            return None;
        }
        if tone_e < self.cfg.min_energy_ratio * e {
            return None;
        }
        Some(Hit {
            row,
            col,
            amp_low: al,
            amp_high: ah,
        })
    }

    /// Whether the segment `age` hops back belongs to the tone `row`/`col`.
    fn segment_is_tone(&self, age: usize, row: usize, col: usize) -> bool {
        let slot = self.slot(age);
        let e = self.seg_e[slot];
        let te = self.tone_energy;
        if e < self.cfg.segment_min_energy * te || e > self.cfg.segment_max_energy * te {
            return false;
        }
        let (sr, si) = (&self.seg_re[slot], &self.seg_im[slot]);
        let (l, c) = (row, 4 + col);
        let proj =
            2.0 * (sr[l] * sr[l] + si[l] * si[l] + sr[c] * sr[c] + si[c] * si[c]) / self.hop as f32;
        proj >= self.cfg.segment_min_purity * e
    }

    /// Length in segments of the run of tone segments ending with the newest one.
    fn tone_run(&self, row: usize, col: usize) -> usize {
        let avail = (self.segments as usize).min(RING);
        (0..avail)
            .take_while(|&age| self.segment_is_tone(age, row, col))
            .count()
    }

    fn take_hit(&mut self, h: &Hit) {
        // The latest hit covers the most tone: it sets the reference level.
        self.tone_energy =
            self.hop as f32 * (h.amp_low * h.amp_low + h.amp_high * h.amp_high) / 2.0;
        self.amps = (h.amp_low, h.amp_high);
    }

    fn begin_pending(&mut self, h: &Hit, events: &mut impl FnMut(DtmfEvent)) {
        self.tone_energy = 0.0;
        self.take_hit(h);
        self.state = State::Pending {
            row: h.row,
            col: h.col,
            hits: 1,
        };
        self.pending_step(h.row, h.col, 1, events);
    }

    fn pending_step(
        &mut self,
        row: usize,
        col: usize,
        hits: u32,
        events: &mut impl FnMut(DtmfEvent),
    ) {
        let now = self.segments * self.hop as u64;
        let run = self.tone_run(row, col);
        self.onset = now - (run.max(1) * self.hop) as u64;
        if hits >= self.cfg.min_hits && run >= self.need_segments {
            self.state = State::Active {
                row,
                col,
                misses: 0,
                gap: 0,
            };
            self.tone_end = now;
            events(DtmfEvent {
                digit: DTMF_KEYS[row][col],
                kind: DtmfEventKind::Start,
                start: self.onset,
                end: None,
                at: now,
                low_dbm0: peak_to_dbm0(self.amps.0),
                high_dbm0: peak_to_dbm0(self.amps.1),
            });
        }
    }

    fn step_state(&mut self, hit: Option<Hit>, events: &mut impl FnMut(DtmfEvent)) {
        let now = self.segments * self.hop as u64;
        match self.state {
            State::Idle => {
                if let Some(h) = hit {
                    self.begin_pending(&h, events);
                }
            }
            State::Pending { row, col, hits } => match hit {
                Some(h) if h.row == row && h.col == col => {
                    self.take_hit(&h);
                    self.state = State::Pending {
                        row,
                        col,
                        hits: hits + 1,
                    };
                    self.pending_step(row, col, hits + 1, events);
                }
                Some(h) => self.begin_pending(&h, events),
                None => {
                    self.state = State::Idle;
                    self.last_end = Some(now - self.hop as u64);
                }
            },
            State::Active {
                row,
                col,
                misses,
                gap,
            } => {
                let tone_seg = self.segment_is_tone(0, row, col);
                let gap = if tone_seg { 0 } else { gap + 1 };
                if tone_seg {
                    self.tone_end = now;
                }
                let same = matches!(hit, Some(h) if h.row == row && h.col == col);
                let misses = if same { 0 } else { misses + 1 };
                if gap >= self.gap_segments || misses >= self.cfg.max_misses {
                    self.state = State::Idle;
                    self.last_end = Some(self.tone_end);
                    events(DtmfEvent {
                        digit: DTMF_KEYS[row][col],
                        kind: DtmfEventKind::End,
                        start: self.onset,
                        end: Some(self.tone_end),
                        at: now,
                        low_dbm0: peak_to_dbm0(self.amps.0),
                        high_dbm0: peak_to_dbm0(self.amps.1),
                    });
                    if let Some(h) = hit {
                        if !same {
                            self.begin_pending(&h, events);
                        }
                    }
                } else {
                    self.state = State::Active {
                        row,
                        col,
                        misses,
                        gap,
                    };
                }
            }
        }
    }
}

/// `atan2(y, x)` to within about 2e-4 rad (polynomial on the first octant), far below the phase
/// noise of a tone measurement.
#[inline(always)]
pub(crate) fn fast_atan2(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (mn, mx) = if ax < ay { (ax, ay) } else { (ay, ax) };
    if mx == 0.0 {
        return 0.0;
    }
    let a = mn / mx;
    let s = a * a;
    let mut r = ((-0.046_496_475 * s + 0.159_314_22) * s - 0.327_622_76) * s * a + a;
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 {
        -r
    } else {
        r
    }
}

/// Block response at `wa` to a complex exponential at `wb`, relative to the response at `wb`
/// (which is 1 for a normalised taper).
fn leakage(wa: f64, wb: f64, hop: usize, taper: &[f32; BLOCK_SEGMENTS]) -> (f32, f32) {
    let dw = wb - wa;
    let (mut dr, mut di) = (0.0f64, 0.0f64);
    for n in 0..hop {
        dr += (dw * n as f64).cos();
        di += (dw * n as f64).sin();
    }
    let (mut tr, mut ti) = (0.0f64, 0.0f64);
    for (m, &t) in taper.iter().enumerate() {
        let a = dw * (m * hop) as f64;
        tr += t as f64 * a.cos();
        ti += t as f64 * a.sin();
    }
    let h = hop as f64;
    (
        ((dr * tr - di * ti) / h) as f32,
        ((dr * ti + di * tr) / h) as f32,
    )
}

fn argmax4(p: &[f32]) -> usize {
    let mut best = 0;
    for k in 1..p.len() {
        if p[k] > p[best] {
            best = k;
        }
    }
    best
}

#[inline(always)]
fn mac<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// Adds the segment DFT terms and energy of `xs` (whose twiddles are `tab`) to the accumulators.
/// Samples are converted eight at a time; four independent partial sums keep the
/// multiply-accumulates off one dependency chain; the 16 lanes vectorise.
#[inline(always)]
fn kernel<const FMA: bool>(
    a: &mut [[f32; 16]; 4],
    ev: &mut [f32; 8],
    xs: &[i16],
    tab: &[[f32; 16]],
) {
    let n8 = xs.len() / 8 * 8;
    for (x8, t8) in xs[..n8].chunks_exact(8).zip(tab[..n8].chunks_exact(8)) {
        let mut xf = [0f32; 8];
        for j in 0..8 {
            xf[j] = x8[j] as f32;
        }
        for j in 0..8 {
            ev[j] = mac::<FMA>(xf[j], xf[j], ev[j]);
        }
        for j in 0..8 {
            let aj = &mut a[j % 4];
            for k in 0..16 {
                aj[k] = mac::<FMA>(xf[j], t8[j][k], aj[k]);
            }
        }
    }
    for (x, t) in xs[n8..].iter().zip(&tab[n8..]) {
        let x = *x as f32;
        for k in 0..16 {
            a[0][k] = mac::<FMA>(x, t[k], a[0][k]);
        }
        ev[0] = mac::<FMA>(x, x, ev[0]);
    }
}

/// One whole segment: DFT terms and energy of `xs` (`xs.len() == tab.len()`), written to
/// `re`/`im`; returns the energy.
#[inline(always)]
fn segment<const FMA: bool>(
    xs: &[i16],
    tab: &[[f32; 16]],
    re: &mut [f32; 8],
    im: &mut [f32; 8],
) -> f32 {
    let mut a = [[0f32; 16]; 4];
    let mut ev = [0f32; 8];
    kernel::<FMA>(&mut a, &mut ev, xs, tab);
    for k in 0..8 {
        re[k] = (a[0][k] + a[1][k]) + (a[2][k] + a[3][k]);
        im[k] = (a[0][8 + k] + a[1][8 + k]) + (a[2][8 + k] + a[3][8 + k]);
    }
    ((ev[0] + ev[1]) + (ev[2] + ev[3])) + ((ev[4] + ev[5]) + (ev[6] + ev[7]))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn segment_avx2(xs: &[i16], tab: &[[f32; 16]], re: &mut [f32; 8], im: &mut [f32; 8]) -> f32 {
    segment::<true>(xs, tab, re, im)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn kernel_avx2(a: &mut [[f32; 16]; 4], ev: &mut [f32; 8], xs: &[i16], tab: &[[f32; 16]]) {
    kernel::<true>(a, ev, xs, tab)
}

#[inline(always)]
fn combine_generic(d: &DtmfDetector, segs: &[usize; BLOCK_SEGMENTS]) -> ([f32; 8], [f32; 8]) {
    let mut xr = [0f32; 8];
    let mut xi = [0f32; 8];
    for (m, &slot) in segs.iter().enumerate() {
        let (sr, si) = (&d.seg_re[slot], &d.seg_im[slot]);
        let (rr, ri) = (&d.rot_re[m], &d.rot_im[m]);
        for k in 0..8 {
            xr[k] = xr[k] + sr[k] * rr[k] - si[k] * ri[k];
            xi[k] = xi[k] + sr[k] * ri[k] + si[k] * rr[k];
        }
    }
    (xr, xi)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn combine_avx2(d: &DtmfDetector, segs: &[usize; BLOCK_SEGMENTS]) -> ([f32; 8], [f32; 8]) {
    combine_generic(d, segs)
}

pub(crate) fn detect_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_atan2_accuracy() {
        let mut worst = 0f32;
        for i in 0..3600 {
            let a = (i as f32 / 3600.0) * 2.0 * PI - PI + 1e-4;
            for r in [1e-3f32, 1.0, 5e4] {
                let (y, x) = (r * a.sin(), r * a.cos());
                worst = worst.max((fast_atan2(y, x) - y.atan2(x)).abs());
            }
        }
        assert!(worst < 3e-4, "worst error {worst}");
    }

    #[test]
    fn gain_table_matches_exact() {
        let d = DtmfDetector::new(8000, DtmfConfig::att()).unwrap();
        for i in 0..100 {
            let dw = i as f32 * 0.0003 - 0.015;
            if dw.abs() <= d.gain_step * GAIN_TABLE as f32 {
                assert!((d.gain_lookup(dw) - d.window_gain(dw)).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn bad_parameters() {
        assert!(DtmfDetector::new(11025, DtmfConfig::att()).is_err());
        let mut c = DtmfConfig::att();
        c.min_hits = 1;
        assert!(DtmfDetector::new(8000, c).is_err());
        let mut c = DtmfConfig::att();
        c.min_duration_ms = 500.0;
        assert!(DtmfDetector::new(8000, c).is_err());
        let mut c = DtmfConfig::att();
        c.min_energy_ratio = 0.0;
        assert!(DtmfDetector::new(8000, c).is_err());
    }
}
