//! Goertzel filters: the DFT of a block of samples at arbitrary frequencies, one pass, O(1) state.
//!
//! Samples and results are f32; the two-term recurrence runs in f64, which keeps low frequencies at
//! high sample rates (coefficient close to 2) accurate over long blocks.

use crate::{Error, Result};

/// A single Goertzel filter evaluating the DFT of the samples pushed since the last reset at one
/// frequency.
#[derive(Debug, Clone)]
pub struct Goertzel {
    coeff: f64,
    cos: f64,
    sin: f64,
    s1: f64,
    s2: f64,
    count: usize,
    w: f64,
}

impl Goertzel {
    /// A filter for `freq_hz` at `sample_rate` Hz. The frequency must lie in `[0, rate/2]`.
    pub fn new(freq_hz: f32, sample_rate: u32) -> Result<Self> {
        if sample_rate == 0 {
            return Err(Error::arg("sample_rate", "must be positive"));
        }
        if !freq_hz.is_finite() || freq_hz < 0.0 || freq_hz > sample_rate as f32 / 2.0 {
            return Err(Error::arg(
                "freq_hz",
                format!("{freq_hz} Hz is outside 0..={} Hz", sample_rate / 2),
            ));
        }
        let w = 2.0 * std::f64::consts::PI * freq_hz as f64 / sample_rate as f64;
        Ok(Goertzel {
            coeff: 2.0 * w.cos(),
            cos: w.cos(),
            sin: w.sin(),
            s1: 0.0,
            s2: 0.0,
            count: 0,
            w,
        })
    }

    /// Feed one sample.
    #[inline]
    pub fn push(&mut self, x: f32) {
        let s = x as f64 + self.coeff * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s;
        self.count += 1;
    }

    /// Feed a block of samples.
    pub fn push_slice(&mut self, xs: &[f32]) {
        for &x in xs {
            self.push(x);
        }
    }

    /// Number of samples pushed since the last reset.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when no sample has been pushed since the last reset.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Squared magnitude `|X(f)|^2` of the DFT of the samples pushed so far.
    pub fn power(&self) -> f32 {
        (self.s1 * self.s1 + self.s2 * self.s2 - self.coeff * self.s1 * self.s2) as f32
    }

    /// Complex DFT `X(f) = sum x[n] e^{-j 2 pi f n / rate}` (n from 0 at the last reset), as
    /// `(re, im)`.
    pub fn dft(&self) -> (f32, f32) {
        if self.count == 0 {
            return (0.0, 0.0);
        }
        // y = s1 - e^{-jw} s2 is X(f) rotated by e^{jw(N-1)}.
        let yr = self.s1 - self.cos * self.s2;
        let yi = self.sin * self.s2;
        let a = -self.w * (self.count - 1) as f64;
        let (s, c) = a.sin_cos();
        ((yr * c - yi * s) as f32, (yr * s + yi * c) as f32)
    }

    /// Clear the state for a new block.
    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
        self.count = 0;
    }
}

/// A bank of Goertzel filters sharing one input stream.
#[derive(Debug, Clone)]
pub struct GoertzelBank {
    filters: Vec<Goertzel>,
}

impl GoertzelBank {
    /// One filter per entry of `freqs_hz` at `sample_rate`.
    pub fn new(freqs_hz: &[f32], sample_rate: u32) -> Result<Self> {
        if freqs_hz.is_empty() {
            return Err(Error::arg("freqs_hz", "needs at least one frequency"));
        }
        let filters = freqs_hz
            .iter()
            .map(|&f| Goertzel::new(f, sample_rate))
            .collect::<Result<Vec<_>>>()?;
        Ok(GoertzelBank { filters })
    }

    /// Feed a block of samples to every filter.
    pub fn push_slice(&mut self, xs: &[f32]) {
        for f in &mut self.filters {
            f.push_slice(xs);
        }
    }

    /// Write `|X(f)|^2` of each filter into `out` (as many as fit).
    pub fn powers(&self, out: &mut [f32]) {
        for (o, f) in out.iter_mut().zip(&self.filters) {
            *o = f.power();
        }
    }

    /// The filters, in the order of the frequencies given.
    pub fn filters(&self) -> &[Goertzel] {
        &self.filters
    }

    /// Reset every filter.
    pub fn reset(&mut self) {
        for f in &mut self.filters {
            f.reset();
        }
    }
}
