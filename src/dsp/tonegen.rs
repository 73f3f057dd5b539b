//! Tone generation: single and dual tones with optional on/off cadence, and DTMF digit strings.
//!
//! Oscillators are complex phasors advanced by one multiplication per sample (in f64, re-normalised
//! periodically), so frequency and phase stay exact over long runs and output is continuous across
//! [`fill`](ToneGen::fill) calls of any size. Filling never allocates.

use super::level::{dbm0_to_peak, FULL_SCALE_SINE_DBM0};
use crate::{Error, Result};

/// DTMF low-group (row) frequencies in Hz.
pub const DTMF_LOW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// DTMF high-group (column) frequencies in Hz.
pub const DTMF_HIGH_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// DTMF keypad: `DTMF_KEYS[row][column]`.
pub const DTMF_KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Row and column of a DTMF digit (`0-9 * # A-D`, letters in either case), if it is one.
pub fn dtmf_position(digit: char) -> Option<(usize, usize)> {
    let d = digit.to_ascii_uppercase();
    for (r, row) in DTMF_KEYS.iter().enumerate() {
        if let Some(c) = row.iter().position(|&k| k == d) {
            return Some((r, c));
        }
    }
    None
}

#[derive(Debug, Clone, Copy)]
struct Osc {
    re: f64,
    im: f64,
    step_re: f64,
    step_im: f64,
    amp: f64,
}

impl Osc {
    fn new(freq_hz: f64, rate: f64, amp: f64, phase: f64) -> Self {
        let w = 2.0 * std::f64::consts::PI * freq_hz / rate;
        Osc {
            re: phase.cos(),
            im: phase.sin(),
            step_re: w.cos(),
            step_im: w.sin(),
            amp,
        }
    }

    #[inline]
    fn next(&mut self) -> f64 {
        let v = self.im * self.amp;
        let re = self.re * self.step_re - self.im * self.step_im;
        let im = self.re * self.step_im + self.im * self.step_re;
        self.re = re;
        self.im = im;
        v
    }

    fn renormalise(&mut self) {
        let m = (self.re * self.re + self.im * self.im).sqrt();
        self.re /= m;
        self.im /= m;
    }
}

/// A single or dual tone, continuous or cadenced (on/off), at any sample rate.
#[derive(Debug, Clone)]
pub struct ToneGen {
    osc: [Osc; 2],
    count: usize,
    on: u64,
    off: u64,
    pos: u64,
    since_norm: u32,
}

fn check_rate_freq(rate: u32, f: f32) -> Result<()> {
    if rate == 0 {
        return Err(Error::arg("sample_rate", "must be positive"));
    }
    if !f.is_finite() || f <= 0.0 || f >= rate as f32 / 2.0 {
        return Err(Error::arg(
            "freq_hz",
            format!("{f} Hz is outside (0, {}) Hz", rate / 2),
        ));
    }
    Ok(())
}

fn check_level(dbm0: f32) -> Result<()> {
    if !dbm0.is_finite() || dbm0 as f64 > FULL_SCALE_SINE_DBM0 {
        return Err(Error::arg(
            "level_dbm0",
            format!("{dbm0} dBm0 is not a finite level at or below +3.14 dBm0"),
        ));
    }
    Ok(())
}

impl ToneGen {
    /// A continuous single tone of `freq_hz` at `level_dbm0`.
    pub fn single(sample_rate: u32, freq_hz: f32, level_dbm0: f32) -> Result<Self> {
        check_rate_freq(sample_rate, freq_hz)?;
        check_level(level_dbm0)?;
        let r = sample_rate as f64;
        let o = Osc::new(freq_hz as f64, r, dbm0_to_peak(level_dbm0) as f64, 0.0);
        Ok(ToneGen {
            osc: [o, o],
            count: 1,
            on: 0,
            off: 0,
            pos: 0,
            since_norm: 0,
        })
    }

    /// A continuous dual tone: `f1` at `level1_dbm0` plus `f2` at `level2_dbm0`.
    pub fn dual(
        sample_rate: u32,
        f1_hz: f32,
        level1_dbm0: f32,
        f2_hz: f32,
        level2_dbm0: f32,
    ) -> Result<Self> {
        check_rate_freq(sample_rate, f1_hz)?;
        check_rate_freq(sample_rate, f2_hz)?;
        check_level(level1_dbm0)?;
        check_level(level2_dbm0)?;
        let r = sample_rate as f64;
        Ok(ToneGen {
            osc: [
                Osc::new(f1_hz as f64, r, dbm0_to_peak(level1_dbm0) as f64, 0.0),
                Osc::new(f2_hz as f64, r, dbm0_to_peak(level2_dbm0) as f64, 0.0),
            ],
            count: 2,
            on: 0,
            off: 0,
            pos: 0,
            since_norm: 0,
        })
    }

    /// Set the starting phases in radians (before the first [`fill`](Self::fill)).
    pub fn with_phases(mut self, phase1: f64, phase2: f64) -> Self {
        for (o, p) in self.osc.iter_mut().zip([phase1, phase2]) {
            o.re = p.cos();
            o.im = p.sin();
        }
        self
    }

    /// Switch the tone on for `on_ms` and off for `off_ms`, repeating. `off_ms == 0` means
    /// continuous.
    pub fn with_cadence(mut self, sample_rate: u32, on_ms: f32, off_ms: f32) -> Result<Self> {
        if on_ms.is_nan() || on_ms <= 0.0 || off_ms.is_nan() || off_ms < 0.0 {
            return Err(Error::arg("cadence", "on_ms must be > 0 and off_ms >= 0"));
        }
        self.on = ms_to_samples(sample_rate, on_ms);
        self.off = ms_to_samples(sample_rate, off_ms);
        Ok(self)
    }

    #[inline]
    fn sample(&mut self) -> f64 {
        let mut v = self.osc[0].next();
        if self.count == 2 {
            v += self.osc[1].next();
        }
        v
    }

    fn tick_norm(&mut self) {
        self.since_norm += 1;
        if self.since_norm >= 4096 {
            self.since_norm = 0;
            self.osc[0].renormalise();
            self.osc[1].renormalise();
        }
    }

    /// Write the next `out.len()` samples. The oscillators keep running during the off part of a
    /// cadence, so each burst starts where the continuous tone would be.
    pub fn fill(&mut self, out: &mut [i16]) {
        let period = self.on + self.off;
        for o in out.iter_mut() {
            let v = self.sample();
            let audible = self.off == 0 || (self.pos % period) < self.on;
            *o = if audible { to_i16(v) } else { 0 };
            self.pos += 1;
            self.tick_norm();
        }
    }
}

fn ms_to_samples(rate: u32, ms: f32) -> u64 {
    (rate as f64 * ms as f64 / 1000.0).round() as u64
}

#[inline]
fn to_i16(v: f64) -> i16 {
    v.round().clamp(i16::MIN as f64, i16::MAX as f64) as i16
}

/// Timing and levels of a generated DTMF string.
#[derive(Debug, Clone, Copy)]
pub struct DtmfGenConfig {
    /// Duration of each digit's tone in ms.
    pub on_ms: f32,
    /// Silence after each digit in ms.
    pub off_ms: f32,
    /// Level of the low-group (row) tone in dBm0.
    pub low_dbm0: f32,
    /// Level of the high-group tone relative to the low-group tone in dB (positive: high louder).
    pub twist_db: f32,
    /// Relative frequency error applied to both tones (0.01 = +1 %).
    pub freq_error: f32,
}

impl Default for DtmfGenConfig {
    /// 100 ms on, 100 ms off, -10 dBm0 low tone, high tone 2 dB louder, exact frequencies.
    fn default() -> Self {
        DtmfGenConfig {
            on_ms: 100.0,
            off_ms: 100.0,
            low_dbm0: -10.0,
            twist_db: 2.0,
            freq_error: 0.0,
        }
    }
}

/// Generates a string of DTMF digits, phase-continuous across [`fill`](Self::fill) calls.
#[derive(Debug, Clone)]
pub struct DtmfGen {
    digits: Vec<(usize, usize)>,
    idx: usize,
    pos_in_digit: u64,
    on: u64,
    off: u64,
    osc: [Osc; 2],
    rate: f64,
    low_amp: f64,
    high_amp: f64,
    freq_error: f64,
    since_norm: u32,
}

impl DtmfGen {
    /// A generator for `digits` (`0-9 * # A-D`; spaces are ignored) at `sample_rate`.
    pub fn new(sample_rate: u32, digits: &str, cfg: DtmfGenConfig) -> Result<Self> {
        if sample_rate < 4000 {
            return Err(Error::arg("sample_rate", "must be at least 4000 Hz"));
        }
        check_level(cfg.low_dbm0)?;
        check_level(cfg.low_dbm0 + cfg.twist_db)?;
        if cfg.on_ms.is_nan() || cfg.on_ms <= 0.0 || cfg.off_ms.is_nan() || cfg.off_ms < 0.0 {
            return Err(Error::arg("cfg", "on_ms must be > 0 and off_ms >= 0"));
        }
        if cfg.freq_error.is_nan() || cfg.freq_error.abs() >= 0.2 {
            return Err(Error::arg("cfg.freq_error", "must be within +-20 %"));
        }
        let mut list = Vec::with_capacity(digits.len());
        for ch in digits.chars().filter(|c| !c.is_whitespace()) {
            list.push(
                dtmf_position(ch)
                    .ok_or_else(|| Error::arg("digits", format!("{ch:?} is not a DTMF digit")))?,
            );
        }
        let rate = sample_rate as f64;
        let mut g = DtmfGen {
            digits: list,
            idx: 0,
            pos_in_digit: 0,
            on: ms_to_samples(sample_rate, cfg.on_ms),
            off: ms_to_samples(sample_rate, cfg.off_ms),
            osc: [Osc::new(1.0, rate, 0.0, 0.0); 2],
            rate,
            low_amp: dbm0_to_peak(cfg.low_dbm0) as f64,
            high_amp: dbm0_to_peak(cfg.low_dbm0 + cfg.twist_db) as f64,
            freq_error: cfg.freq_error as f64,
            since_norm: 0,
        };
        g.load_digit();
        Ok(g)
    }

    fn load_digit(&mut self) {
        if let Some(&(r, c)) = self.digits.get(self.idx) {
            let k = 1.0 + self.freq_error;
            let (p0, p1) = (
                self.osc[0].im.atan2(self.osc[0].re),
                self.osc[1].im.atan2(self.osc[1].re),
            );
            self.osc[0] = Osc::new(DTMF_LOW_HZ[r] as f64 * k, self.rate, self.low_amp, p0);
            self.osc[1] = Osc::new(DTMF_HIGH_HZ[c] as f64 * k, self.rate, self.high_amp, p1);
        }
    }

    /// True once every digit and its trailing silence has been written.
    pub fn is_done(&self) -> bool {
        self.idx >= self.digits.len()
    }

    /// Total length of the string in samples.
    pub fn total_samples(&self) -> u64 {
        self.digits.len() as u64 * (self.on + self.off)
    }

    /// Write the next `out.len()` samples; after the end of the string, silence. Returns the
    /// number of samples that belonged to the string.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        let mut written = 0;
        for o in out.iter_mut() {
            if self.is_done() {
                *o = 0;
                continue;
            }
            let a = self.osc[0].next();
            let b = self.osc[1].next();
            *o = if self.pos_in_digit < self.on {
                to_i16(a + b)
            } else {
                0
            };
            written += 1;
            self.since_norm += 1;
            if self.since_norm >= 4096 {
                self.since_norm = 0;
                self.osc[0].renormalise();
                self.osc[1].renormalise();
            }
            self.pos_in_digit += 1;
            if self.pos_in_digit >= self.on + self.off {
                self.pos_in_digit = 0;
                self.idx += 1;
                self.load_digit();
            }
        }
        written
    }
}

/// One element of a [`CadenceGen`]: up to three frequencies (none: silence) for a number of
/// samples (`u64::MAX`: forever).
#[derive(Debug, Clone, Copy)]
struct GenElement {
    freqs: [f32; 3],
    n: usize,
    len: u64,
}

/// Generates a cadenced tone from a [`CadenceSpec`](super::callprogress::CadenceSpec): each
/// element at the middle of its allowed duration (a continuous element for
/// [`CadenceGen::CONTINUOUS_MS`]), every frequency at the same level, oscillators
/// phase-continuous across elements.
#[derive(Debug, Clone)]
pub struct CadenceGen {
    elems: Vec<GenElement>,
    idx: usize,
    pos: u64,
    cycles_left: Option<u32>,
    osc: [Osc; 3],
    rate: f64,
    amp: f64,
    since_norm: u32,
}

impl CadenceGen {
    /// How long a continuous element (one without a maximum duration) lasts, in ms.
    pub const CONTINUOUS_MS: f32 = 10_000.0;

    /// A generator for `spec` at `sample_rate`, each frequency at `level_dbm0`, repeating the
    /// cycle `cycles` times (`None`: forever).
    pub fn new(
        sample_rate: u32,
        spec: &super::callprogress::CadenceSpec,
        level_dbm0: f32,
        cycles: Option<u32>,
    ) -> Result<Self> {
        check_level(level_dbm0)?;
        if spec.elements.is_empty() || cycles == Some(0) {
            return Err(Error::arg(
                "spec",
                "needs at least one element and one cycle",
            ));
        }
        let mut elems = Vec::with_capacity(spec.elements.len());
        for e in &spec.elements {
            if e.freqs.len() > 3 {
                return Err(Error::arg("freqs", "at most 3 frequencies per element"));
            }
            let mut freqs = [0f32; 3];
            for (i, &f) in e.freqs.iter().enumerate() {
                check_rate_freq(sample_rate, f)?;
                freqs[i] = f;
            }
            let ms = if e.max_ms.is_finite() {
                (e.min_ms + e.max_ms) / 2.0
            } else {
                Self::CONTINUOUS_MS.max(e.min_ms)
            };
            if ms.is_nan() || ms <= 0.0 {
                return Err(Error::arg("elements", "durations must be positive"));
            }
            elems.push(GenElement {
                freqs,
                n: e.freqs.len(),
                len: ms_to_samples(sample_rate, ms).max(1),
            });
        }
        let rate = sample_rate as f64;
        let mut g = CadenceGen {
            elems,
            idx: 0,
            pos: 0,
            cycles_left: cycles,
            osc: [Osc::new(1.0, rate, 0.0, 0.0); 3],
            rate,
            amp: dbm0_to_peak(level_dbm0) as f64,
            since_norm: 0,
        };
        g.load();
        Ok(g)
    }

    fn load(&mut self) {
        let e = self.elems[self.idx];
        for i in 0..e.n {
            let p = self.osc[i].im.atan2(self.osc[i].re);
            self.osc[i] = Osc::new(e.freqs[i] as f64, self.rate, self.amp, p);
        }
    }

    /// True once every cycle has been written.
    pub fn is_done(&self) -> bool {
        self.cycles_left == Some(0)
    }

    /// Write the next `out.len()` samples (silence once done). Returns true while not done.
    pub fn fill(&mut self, out: &mut [i16]) -> bool {
        for o in out.iter_mut() {
            if self.is_done() {
                *o = 0;
                continue;
            }
            let e = self.elems[self.idx];
            let mut v = 0.0;
            for osc in self.osc.iter_mut().take(e.n) {
                v += osc.next();
            }
            *o = to_i16(v);
            self.since_norm += 1;
            if self.since_norm >= 4096 {
                self.since_norm = 0;
                self.osc.iter_mut().for_each(Osc::renormalise);
            }
            self.pos += 1;
            if self.pos >= e.len {
                self.pos = 0;
                self.idx += 1;
                if self.idx == self.elems.len() {
                    self.idx = 0;
                    if let Some(c) = self.cycles_left.as_mut() {
                        *c -= 1;
                    }
                }
                if !self.is_done() {
                    self.load();
                }
            }
        }
        !self.is_done()
    }
}

/// A tone generator usable as a channel's output source: a DTMF string, a cadenced
/// call-progress tone, or a single or dual tone.
#[derive(Debug, Clone)]
pub enum ToneSource {
    /// A DTMF digit string; finishes after the last digit's trailing silence.
    Dtmf(DtmfGen),
    /// A cadenced tone; finishes after its cycles (never, if unlimited).
    Cadence(CadenceGen),
    /// A single or dual tone, continuous or on/off; never finishes.
    Dual(ToneGen),
}

impl ToneSource {
    /// A DTMF string source (see [`DtmfGen::new`]).
    pub fn dtmf(sample_rate: u32, digits: &str, cfg: DtmfGenConfig) -> Result<Self> {
        DtmfGen::new(sample_rate, digits, cfg).map(ToneSource::Dtmf)
    }

    /// A cadenced tone source (see [`CadenceGen::new`]).
    pub fn cadence(
        sample_rate: u32,
        spec: &super::callprogress::CadenceSpec,
        level_dbm0: f32,
        cycles: Option<u32>,
    ) -> Result<Self> {
        CadenceGen::new(sample_rate, spec, level_dbm0, cycles).map(ToneSource::Cadence)
    }

    /// A continuous dual tone source (see [`ToneGen::dual`]).
    pub fn dual(
        sample_rate: u32,
        f1_hz: f32,
        level1_dbm0: f32,
        f2_hz: f32,
        level2_dbm0: f32,
    ) -> Result<Self> {
        ToneGen::dual(sample_rate, f1_hz, level1_dbm0, f2_hz, level2_dbm0).map(ToneSource::Dual)
    }

    /// Write the next `out.len()` samples (silence after the end). Returns true while the source
    /// has not finished. Never allocates.
    pub fn fill(&mut self, out: &mut [i16]) -> bool {
        match self {
            ToneSource::Dtmf(g) => {
                g.fill(out);
                !g.is_done()
            }
            ToneSource::Cadence(g) => g.fill(out),
            ToneSource::Dual(g) => {
                g.fill(out);
                true
            }
        }
    }

    /// True once the source has finished.
    pub fn is_done(&self) -> bool {
        match self {
            ToneSource::Dtmf(g) => g.is_done(),
            ToneSource::Cadence(g) => g.is_done(),
            ToneSource::Dual(_) => false,
        }
    }
}
