//! Call-progress and fax tone detection from table-driven cadence specs.
//!
//! A [`CadenceSpec`] describes one tone: a cycle of [`CadenceElement`]s, each either a tone (one
//! to three frequencies) or silence, with the shortest and longest duration it may last. North
//! American call-progress tones and the fax tones are built in ([`CadenceSpec::na_dial`],
//! [`CadenceSpec::na_ringback`], [`CadenceSpec::na_busy`], [`CadenceSpec::na_reorder`],
//! [`CadenceSpec::sit`], [`CadenceSpec::cng`], [`CadenceSpec::ced`]); any other country's tones
//! are specs filled in by the user.
//!
//! # Method
//!
//! The input is cut into 10 ms segments; for each segment the detector computes its DFT at every
//! frequency named by any spec and its energy. Every 10 ms each distinct frequency set (a
//! *class*) is evaluated over a window of 2 to 5 segments, chosen so that the class's tones lie at
//! least two bins apart (20 ms for single tones, 50 ms for 440 + 480 Hz). A block belongs to a
//! class when, for each of its tones, the frequency measured from the phase advance between
//! consecutive blocks is within the spec's tolerance and the level (corrected for the window
//! response at that frequency) is at least the spec's minimum, the tones are within the allowed
//! twist, and together they carry at least 70 % of the window's energy. Of the classes that pass,
//! the purest wins; a block where none passes is *silence* (which includes speech and noise).
//!
//! Blocks form *runs*: a change of class takes effect once the new class has lasted 40 ms, so
//! shorter glitches (a phase reversal, a noise burst) do not split a run; a block whose tone
//! level has fallen 6 dB below the run's peak counts as silence, which places run boundaries at
//! the half-amplitude point of the window (within 10 ms of the true edge). Each spec then follows
//! the runs: its elements must appear in order (cyclically), each lasting between its minimum and
//! maximum. A spec is *confirmed* (a [`CadenceEventKind::Start`] event) once
//! [`CadenceSpec::confirm`] elements have been seen, the last of them still running but already
//! at its minimum duration; it *ends* (a [`CadenceEventKind::End`] event) at the first run that
//! breaks the cadence.
//!
//! Processing never allocates after construction.

use super::dtmf::fast_atan2;
use super::level::{dbm0_to_peak, mean_square_to_dbm0};
use super::tones::Tone;
use crate::{Error, Result};
use std::f32::consts::PI;

/// Segment (hop) duration in ms.
const SEGMENT_MS: u32 = 10;
/// Longest analysis window in segments.
const MAX_SEGMENTS: usize = 5;
/// Blocks a new class must persist before a run changes.
const DEBOUNCE: usize = 4;
/// Fraction of the window's energy the tones of a class must carry.
const MIN_PURITY: f32 = 0.7;
/// Most frequencies in one element.
pub const MAX_ELEMENT_FREQS: usize = 3;

/// One element of a cadence: a tone or silence, and how long it may last.
#[derive(Debug, Clone, PartialEq)]
pub struct CadenceElement {
    /// Frequencies in Hz (at most [`MAX_ELEMENT_FREQS`]); empty means silence.
    pub freqs: Vec<f32>,
    /// Shortest duration in ms.
    pub min_ms: f32,
    /// Longest duration in ms (`f32::INFINITY` for a continuous tone).
    pub max_ms: f32,
}

impl CadenceElement {
    /// A tone of `freqs` lasting `nominal_ms` within a relative `tolerance` (0.1 = +-10 %).
    pub fn tone(freqs: &[f32], nominal_ms: f32, tolerance: f32) -> Self {
        CadenceElement {
            freqs: freqs.to_vec(),
            min_ms: nominal_ms * (1.0 - tolerance),
            max_ms: nominal_ms * (1.0 + tolerance),
        }
    }

    /// Silence lasting `nominal_ms` within a relative `tolerance`.
    pub fn silence(nominal_ms: f32, tolerance: f32) -> Self {
        Self::tone(&[], nominal_ms, tolerance)
    }

    /// A continuous tone of `freqs`, recognised once it has lasted `min_ms`.
    pub fn continuous(freqs: &[f32], min_ms: f32) -> Self {
        CadenceElement {
            freqs: freqs.to_vec(),
            min_ms,
            max_ms: f32::INFINITY,
        }
    }

    fn is_tone(&self) -> bool {
        !self.freqs.is_empty()
    }
}

/// A tone to recognise: its cadence and acceptance limits. Fill one in for any country's tones.
#[derive(Debug, Clone, PartialEq)]
pub struct CadenceSpec {
    /// What to report when the cadence is recognised.
    pub tone: Tone,
    /// One cycle of the cadence, starting with a tone; it repeats.
    pub elements: Vec<CadenceElement>,
    /// Elements (counted from the first) to observe before reporting; the last of them need
    /// only have reached its minimum duration.
    pub confirm: usize,
    /// Minimum level of each frequency in dBm0.
    pub min_level_dbm0: f32,
    /// Largest level difference in dB between the frequencies of an element.
    pub max_twist_db: f32,
    /// Largest deviation of each frequency from nominal in Hz (at most 45).
    pub freq_tolerance_hz: f32,
    /// Accept 180-degree phase reversals within a tone (V.25 ANS with phase reversals).
    pub phase_reversals: bool,
}

impl CadenceSpec {
    fn na(tone: Tone, elements: Vec<CadenceElement>, confirm: usize) -> Self {
        CadenceSpec {
            tone,
            elements,
            confirm,
            min_level_dbm0: -38.0,
            max_twist_db: 10.0,
            freq_tolerance_hz: 16.0,
            phase_reversals: false,
        }
    }

    /// North American dial tone: 350 + 440 Hz continuous, recognised after 500 ms.
    pub fn na_dial() -> Self {
        Self::na(
            Tone::Dial,
            vec![CadenceElement::continuous(&[350.0, 440.0], 500.0)],
            1,
        )
    }

    /// North American audible ringing: 440 + 480 Hz, 2 s on, 4 s off (+-15 %); recognised once
    /// a burst has lasted 1.7 s.
    pub fn na_ringback() -> Self {
        Self::na(
            Tone::Ringback,
            vec![
                CadenceElement::tone(&[440.0, 480.0], 2000.0, 0.15),
                CadenceElement::silence(4000.0, 0.15),
            ],
            1,
        )
    }

    /// North American busy: 480 + 620 Hz, 0.5 s on, 0.5 s off (+-15 %); recognised within one
    /// cycle (a burst and 425 ms of the following silence).
    pub fn na_busy() -> Self {
        Self::na(
            Tone::Busy,
            vec![
                CadenceElement::tone(&[480.0, 620.0], 500.0, 0.15),
                CadenceElement::silence(500.0, 0.15),
            ],
            2,
        )
    }

    /// North American reorder (fast busy): 480 + 620 Hz, 0.25 s on, 0.25 s off (+-15 %).
    pub fn na_reorder() -> Self {
        Self::na(
            Tone::Reorder,
            vec![
                CadenceElement::tone(&[480.0, 620.0], 250.0, 0.15),
                CadenceElement::silence(250.0, 0.15),
            ],
            2,
        )
    }

    /// Special information tone (ANSI T1.401): 913.8, 1370.6 and 1776.7 Hz segments, each 274 or
    /// 380 ms, back to back; recognised once the third segment has lasted 230 ms.
    pub fn sit() -> Self {
        let seg = |f: f32| CadenceElement {
            freqs: vec![f],
            min_ms: 230.0,
            max_ms: 440.0,
        };
        CadenceSpec {
            tone: Tone::Sit,
            elements: vec![seg(913.8), seg(1370.6), seg(1776.7)],
            confirm: 3,
            min_level_dbm0: -38.0,
            max_twist_db: 10.0,
            freq_tolerance_hz: 25.0,
            phase_reversals: false,
        }
    }

    /// Fax calling tone (T.30 CNG): 1100 Hz (+-38 Hz), 0.5 s on, 3 s off; recognised once a
    /// burst has lasted 400 ms.
    pub fn cng() -> Self {
        CadenceSpec {
            tone: Tone::Cng,
            elements: vec![
                CadenceElement {
                    freqs: vec![1100.0],
                    min_ms: 400.0,
                    max_ms: 650.0,
                },
                CadenceElement {
                    freqs: vec![],
                    min_ms: 2500.0,
                    max_ms: 3600.0,
                },
            ],
            confirm: 1,
            min_level_dbm0: -43.0,
            max_twist_db: 0.0,
            freq_tolerance_hz: 38.0,
            phase_reversals: false,
        }
    }

    /// Fax called-station / answer tone (T.30 CED, V.25 ANS, V.8 ANSam): 2100 Hz (+-15 Hz),
    /// with or without phase reversals every 450 ms and 15 Hz amplitude modulation; recognised
    /// once it has lasted 400 ms.
    pub fn ced() -> Self {
        CadenceSpec {
            tone: Tone::Ced,
            elements: vec![CadenceElement::continuous(&[2100.0], 400.0)],
            confirm: 1,
            min_level_dbm0: -43.0,
            max_twist_db: 0.0,
            freq_tolerance_hz: 15.0,
            phase_reversals: true,
        }
    }

    /// The North American call-progress tones: dial, ringback, busy, reorder, SIT.
    pub fn north_america() -> Vec<CadenceSpec> {
        vec![
            Self::na_dial(),
            Self::na_ringback(),
            Self::na_busy(),
            Self::na_reorder(),
            Self::sit(),
        ]
    }

    /// The fax tones: CNG and CED.
    pub fn fax() -> Vec<CadenceSpec> {
        vec![Self::cng(), Self::ced()]
    }

    fn validate(&self, rate: u32) -> Result<()> {
        if self.elements.is_empty() || !self.elements[0].is_tone() {
            return Err(Error::arg("elements", "the first element must be a tone"));
        }
        if self.confirm == 0 {
            return Err(Error::arg("confirm", "must be at least 1"));
        }
        if !(self.freq_tolerance_hz > 0.0 && self.freq_tolerance_hz <= 45.0) {
            return Err(Error::arg("freq_tolerance_hz", "must be in (0, 45] Hz"));
        }
        if !self.min_level_dbm0.is_finite() {
            return Err(Error::arg("min_level_dbm0", "must be finite"));
        }
        if self.max_twist_db.is_nan() || self.max_twist_db < 0.0 {
            return Err(Error::arg("max_twist_db", "must be >= 0"));
        }
        for e in &self.elements {
            if e.freqs.len() > MAX_ELEMENT_FREQS {
                return Err(Error::arg("freqs", "at most 3 frequencies per element"));
            }
            for &f in &e.freqs {
                if !(f >= 100.0 && f <= rate as f32 / 2.0 - 100.0) {
                    return Err(Error::arg(
                        "freqs",
                        format!("{f} Hz is outside 100 Hz .. rate/2 - 100 Hz"),
                    ));
                }
            }
            if !(e.min_ms >= 0.0 && e.max_ms >= e.min_ms) {
                return Err(Error::arg("min_ms", "need 0 <= min_ms <= max_ms"));
            }
        }
        Ok(())
    }
}

/// Whether a [`CadenceEvent`] marks the recognition or the end of a tone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CadenceEventKind {
    /// The cadence has been recognised.
    Start,
    /// The cadence has been broken or the tone has stopped.
    End,
}

/// A tone recognised or ended. Sample positions count from the first sample given to the
/// detector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CadenceEvent {
    /// Index of the spec in the list given to [`CadenceDetector::new`].
    pub spec: usize,
    /// The spec's tone.
    pub tone: Tone,
    /// Start or end.
    pub kind: CadenceEventKind,
    /// Estimated first sample of the cadence's first tone (10 ms resolution).
    pub start: u64,
    /// For [`CadenceEventKind::End`], the sample just after the last tone element.
    pub end: Option<u64>,
    /// Position at which the event was decided.
    pub at: u64,
    /// Level of the most recent tone element (all its frequencies together) in dBm0.
    pub level_dbm0: f32,
}

#[derive(Debug, Clone)]
struct Class {
    /// Indices into the detector's frequency list.
    bins: [usize; MAX_ELEMENT_FREQS],
    n: usize,
    /// Window in segments.
    m: usize,
    /// `prev[i]`: the previous block's DFT of bin `i`.
    prev: [(f32, f32); MAX_ELEMENT_FREQS],
    have_prev: bool,
    min_amp: f32,
    twist_lin: f32,
    tol_w: f32,
    reversals: bool,
    /// Smallest window response over the accepted frequency range, squared.
    min_gain2: f32,
}

#[derive(Debug, Clone, Copy)]
struct Elem {
    class: usize,
    min: u64,
    max: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Idle,
    Track {
        elem: usize,
        matched: usize,
        start: u64,
        active: bool,
        last_on_end: u64,
    },
}

#[derive(Debug, Clone)]
struct SpecState {
    tone: Tone,
    elems: Vec<Elem>,
    confirm: usize,
    phase: Phase,
    level_ms: f64,
}

/// A finished or running run of blocks of one class.
#[derive(Debug, Clone, Copy, Default)]
struct Run {
    class: usize,
    start: u64,
    peak: f32,
    ms_sum: f64,
    blocks: u32,
}

/// A streaming call-progress and fax tone detector for one channel.
#[derive(Debug, Clone)]
pub struct CadenceDetector {
    rate: u32,
    hop: usize,
    /// Distinct frequencies.
    w: Vec<f32>,
    /// `cos_tab[k * hop + n] = cos(w_k n)`, `sin_tab[..] = -sin(w_k n)`.
    cos_tab: Vec<f32>,
    sin_tab: Vec<f32>,
    /// The current segment's samples as f32.
    xbuf: Vec<f32>,
    /// `rot[k * MAX_SEGMENTS + j]`: rotation of a segment `j` hops into the window for bin `k`.
    rot: Vec<(f32, f32)>,
    /// `hop_phase[k]`: nominal phase advance per hop, wrapped.
    hop_phase: Vec<f32>,
    /// Segment ring: `seg[slot * nf + k]`.
    seg: Vec<(f32, f32)>,
    seg_e: [f32; MAX_SEGMENTS],
    fill: usize,
    segments: u64,
    classes: Vec<Class>,
    specs: Vec<SpecState>,
    run: Run,
    cand: Run,
    cand_count: usize,
    /// Amplitudes and block mid-points of the candidate's blocks (for backdating its start).
    cand_amp: [(f32, u64); DEBOUNCE],
    min_energy: f32,
    avx2: bool,
}

/// DFT of the segment `x` at every frequency of the tables (`out[k] = (re, im)`); returns its
/// energy.
#[inline(always)]
fn segment_dft<const FMA: bool>(
    x: &[f32],
    cos_tab: &[f32],
    sin_tab: &[f32],
    out: &mut [(f32, f32)],
) -> f32 {
    let hop = x.len();
    let nf = out.len();
    let mut k = 0;
    // Two frequencies (four dot products) at a time: independent accumulation chains.
    while k + 2 <= nf {
        let [a, b, c, d] = dot4::<FMA>(
            x,
            [
                &cos_tab[k * hop..],
                &sin_tab[k * hop..],
                &cos_tab[(k + 1) * hop..],
                &sin_tab[(k + 1) * hop..],
            ],
        );
        out[k] = (a, b);
        out[k + 1] = (c, d);
        k += 2;
    }
    if k < nf {
        let [a, b, e, _] = dot4::<FMA>(x, [&cos_tab[k * hop..], &sin_tab[k * hop..], x, x]);
        out[k] = (a, b);
        return e;
    }
    dot4::<FMA>(x, [x, x, x, x])[0]
}

/// Four dot products of `x` with the rows `t` (each at least as long as `x`), eight lanes each.
#[inline(always)]
fn dot4<const FMA: bool>(x: &[f32], t: [&[f32]; 4]) -> [f32; 4] {
    let n = x.len();
    let mut acc = [[0f32; 8]; 4];
    let mut i = 0;
    while i + 8 <= n {
        let xv: &[f32; 8] = x[i..i + 8].try_into().unwrap();
        for (r, a) in t.iter().zip(acc.iter_mut()) {
            let y: &[f32; 8] = r[i..i + 8].try_into().unwrap();
            for j in 0..8 {
                a[j] = if FMA {
                    xv[j].mul_add(y[j], a[j])
                } else {
                    a[j] + xv[j] * y[j]
                };
            }
        }
        i += 8;
    }
    let mut out = [0f32; 4];
    for (o, (r, a)) in out.iter_mut().zip(t.iter().zip(&acc)) {
        let mut tail = 0f32;
        for m in i..n {
            tail += x[m] * r[m];
        }
        *o = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])) + tail;
    }
    out
}

/// [`segment_dft`] with AVX2 and FMA intrinsics: eight samples per step, four independent
/// accumulators.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
unsafe fn segment_dft_avx2(
    x: &[f32],
    cos_tab: &[f32],
    sin_tab: &[f32],
    out: &mut [(f32, f32)],
) -> f32 {
    use std::arch::x86_64::*;
    let hop = x.len();
    let n8 = hop / 8 * 8;
    let hsum = |v: __m256| -> f32 {
        let mut l = [0f32; 8];
        // SAFETY: `l` holds eight f32.
        unsafe { _mm256_storeu_ps(l.as_mut_ptr(), v) };
        ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
    };
    let xp = x.as_ptr();
    // SAFETY (loads): i + 8 <= n8 <= x.len().
    let mut e = _mm256_setzero_ps();
    let mut i = 0;
    while i < n8 {
        let v = _mm256_loadu_ps(xp.add(i));
        e = _mm256_fmadd_ps(v, v, e);
        i += 8;
    }
    let energy = hsum(e) + x[n8..].iter().map(|v| v * v).sum::<f32>();
    for (k, o) in out.iter_mut().enumerate() {
        let (c, s) = (
            &cos_tab[k * hop..(k + 1) * hop],
            &sin_tab[k * hop..(k + 1) * hop],
        );
        let (cp, sp) = (c.as_ptr(), s.as_ptr());
        let (mut r0, mut r1, mut i0, mut i1) = (
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
            _mm256_setzero_ps(),
        );
        let mut j = 0;
        // SAFETY (all loads below): every index is below n8 <= hop, the length of `x`, `c` and
        // `s`.
        while j + 16 <= n8 {
            let (v0, v1) = (_mm256_loadu_ps(xp.add(j)), _mm256_loadu_ps(xp.add(j + 8)));
            r0 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(cp.add(j)), r0);
            i0 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(sp.add(j)), i0);
            r1 = _mm256_fmadd_ps(v1, _mm256_loadu_ps(cp.add(j + 8)), r1);
            i1 = _mm256_fmadd_ps(v1, _mm256_loadu_ps(sp.add(j + 8)), i1);
            j += 16;
        }
        if j < n8 {
            let v0 = _mm256_loadu_ps(xp.add(j));
            r0 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(cp.add(j)), r0);
            i0 = _mm256_fmadd_ps(v0, _mm256_loadu_ps(sp.add(j)), i0);
            j += 8;
        }
        let mut re = hsum(_mm256_add_ps(r0, r1));
        let mut im = hsum(_mm256_add_ps(i0, i1));
        for m in j..hop {
            re += x[m] * c[m];
            im += x[m] * s[m];
        }
        *o = (re, im);
    }
    energy
}

fn wrap(a: f32) -> f32 {
    let mut a = a % (2.0 * PI);
    if a > PI {
        a -= 2.0 * PI;
    } else if a < -PI {
        a += 2.0 * PI;
    }
    a
}

impl CadenceDetector {
    /// A detector for `specs` at `sample_rate` Hz (a multiple of 100 Hz, 8000 to 96000).
    pub fn new(sample_rate: u32, specs: &[CadenceSpec]) -> Result<Self> {
        if !(8000..=96000).contains(&sample_rate) || !sample_rate.is_multiple_of(100) {
            return Err(Error::arg(
                "sample_rate",
                format!("{sample_rate} Hz: need a multiple of 100 Hz in 8000..=96000"),
            ));
        }
        let hop = (sample_rate / 1000 * SEGMENT_MS) as usize;
        let mut freqs: Vec<f32> = Vec::new();
        let mut classes: Vec<Class> = vec![Class {
            bins: [0; MAX_ELEMENT_FREQS],
            n: 0,
            m: 2,
            prev: [(0.0, 0.0); MAX_ELEMENT_FREQS],
            have_prev: false,
            min_amp: 0.0,
            twist_lin: 1.0,
            tol_w: 0.0,
            reversals: false,
            min_gain2: 1.0,
        }];
        let mut class_freqs: Vec<Vec<f32>> = vec![Vec::new()];
        let mut states = Vec::with_capacity(specs.len());
        let to_samples = |ms: f32| -> u64 {
            if ms.is_finite() {
                (ms as f64 * sample_rate as f64 / 1000.0).round() as u64
            } else {
                u64::MAX
            }
        };
        for spec in specs {
            spec.validate(sample_rate)?;
            let mut elems = Vec::with_capacity(spec.elements.len());
            for e in &spec.elements {
                let class = if e.is_tone() {
                    let mut fs = e.freqs.clone();
                    fs.sort_by(|a, b| a.total_cmp(b));
                    let idx = match class_freqs.iter().position(|c| {
                        c.len() == fs.len() && c.iter().zip(&fs).all(|(a, b)| (a - b).abs() < 0.05)
                    }) {
                        Some(i) => i,
                        None => {
                            let mut bins = [0; MAX_ELEMENT_FREQS];
                            for (i, &f) in fs.iter().enumerate() {
                                bins[i] = match freqs.iter().position(|&g| (g - f).abs() < 0.05) {
                                    Some(k) => k,
                                    None => {
                                        freqs.push(f);
                                        freqs.len() - 1
                                    }
                                };
                            }
                            // Window: tones at least two bins apart.
                            let mut sep = f32::INFINITY;
                            for a in 0..fs.len() {
                                for b in a + 1..fs.len() {
                                    sep = sep.min((fs[a] - fs[b]).abs());
                                }
                            }
                            let m = (2..=MAX_SEGMENTS)
                                .find(|&m| sep * (m as f32 * SEGMENT_MS as f32 / 1000.0) >= 1.99)
                                .ok_or_else(|| {
                                    Error::arg(
                                        "freqs",
                                        "frequencies of an element closer than 40 Hz",
                                    )
                                })?;
                            classes.push(Class {
                                bins,
                                n: fs.len(),
                                m,
                                prev: [(0.0, 0.0); MAX_ELEMENT_FREQS],
                                have_prev: false,
                                min_amp: f32::INFINITY,
                                twist_lin: 1.0,
                                tol_w: 0.0,
                                reversals: false,
                                min_gain2: 1.0,
                            });
                            class_freqs.push(fs);
                            classes.len() - 1
                        }
                    };
                    // A class shared by several specs takes the most permissive limits.
                    let c = &mut classes[idx];
                    c.min_amp = c.min_amp.min(dbm0_to_peak(spec.min_level_dbm0));
                    c.twist_lin = c.twist_lin.max(10f32.powf(spec.max_twist_db / 20.0));
                    c.tol_w = c
                        .tol_w
                        .max(2.0 * PI * spec.freq_tolerance_hz / sample_rate as f32);
                    c.reversals |= spec.phase_reversals;
                    idx
                } else {
                    0
                };
                elems.push(Elem {
                    class,
                    min: to_samples(e.min_ms),
                    max: to_samples(e.max_ms),
                });
            }
            states.push(SpecState {
                tone: spec.tone,
                elems,
                confirm: spec.confirm,
                phase: Phase::Idle,
                level_ms: 0.0,
            });
        }
        for c in classes.iter_mut().skip(1) {
            let n = (c.m * hop) as f32;
            let dw = c.tol_w;
            let g = ((dw * n / 2.0).sin() / (n * (dw / 2.0).sin())).abs();
            c.min_gain2 = g.max(0.2).powi(2);
        }
        let nf = freqs.len();
        let wd: Vec<f64> = freqs
            .iter()
            .map(|&f| 2.0 * std::f64::consts::PI * f as f64 / sample_rate as f64)
            .collect();
        let mut cos_tab = Vec::with_capacity(hop * nf);
        let mut sin_tab = Vec::with_capacity(hop * nf);
        for &w in &wd {
            for n in 0..hop {
                let a = w * n as f64;
                cos_tab.push(a.cos() as f32);
                sin_tab.push(-a.sin() as f32);
            }
        }
        let mut rot = Vec::with_capacity(nf * MAX_SEGMENTS);
        for &w in &wd {
            for j in 0..MAX_SEGMENTS {
                let a = w * (j * hop) as f64;
                rot.push((a.cos() as f32, -a.sin() as f32));
            }
        }
        let hop_phase = wd
            .iter()
            .map(|&w| {
                let a = (w * hop as f64).rem_euclid(2.0 * std::f64::consts::PI);
                (if a > std::f64::consts::PI {
                    a - 2.0 * std::f64::consts::PI
                } else {
                    a
                }) as f32
            })
            .collect();
        let min_amp = classes[1..]
            .iter()
            .map(|c| c.min_amp)
            .fold(f32::INFINITY, f32::min);
        Ok(CadenceDetector {
            rate: sample_rate,
            hop,
            w: wd.iter().map(|&w| w as f32).collect(),
            cos_tab,
            sin_tab,
            xbuf: vec![0.0; hop],
            rot,
            hop_phase,
            seg: vec![(0.0, 0.0); MAX_SEGMENTS * nf],
            seg_e: [0.0; MAX_SEGMENTS],
            fill: 0,
            segments: 0,
            classes,
            specs: states,
            run: Run::default(),
            cand: Run::default(),
            cand_count: 0,
            cand_amp: [(0.0, 0); DEBOUNCE],
            // Below this energy per segment no class can pass (a tone at the smallest level
            // with a 2x margin): the block is silence without further work.
            min_energy: if min_amp.is_finite() {
                0.25 * hop as f32 * min_amp * min_amp
            } else {
                f32::INFINITY
            },
            avx2: super::dtmf::detect_avx2(),
        })
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.rate
    }

    /// Samples consumed so far.
    pub fn position(&self) -> u64 {
        self.segments * self.hop as u64 + self.fill as u64
    }

    /// Whether the spec at `index` is currently recognised (between its start and end events).
    pub fn is_active(&self, index: usize) -> bool {
        matches!(
            self.specs.get(index).map(|s| s.phase),
            Some(Phase::Track { active: true, .. })
        )
    }

    /// Whether any spec is currently recognised.
    pub fn any_active(&self) -> bool {
        (0..self.specs.len()).any(|i| self.is_active(i))
    }

    /// Forget all state, as if newly constructed.
    pub fn reset(&mut self) {
        self.fill = 0;
        self.segments = 0;
        self.seg_e = [0.0; MAX_SEGMENTS];
        for c in &mut self.classes {
            c.have_prev = false;
        }
        for s in &mut self.specs {
            s.phase = Phase::Idle;
        }
        self.run = Run::default();
        self.cand = Run::default();
        self.cand_count = 0;
    }

    /// Feed samples (any count); `events` is called for each tone start and end.
    pub fn process(&mut self, samples: &[i16], events: &mut impl FnMut(CadenceEvent)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.hop - self.fill).min(rest.len());
            let (now, later) = rest.split_at(take);
            for (d, &x) in self.xbuf[self.fill..self.fill + take].iter_mut().zip(now) {
                *d = x as f32;
            }
            self.fill += take;
            rest = later;
            if self.fill == self.hop {
                self.fill = 0;
                self.end_segment();
                self.segments += 1;
                self.block(events);
            }
        }
    }

    /// The segment in `xbuf` is complete: stores its DFT at every frequency and its energy.
    fn end_segment(&mut self) {
        let slot = (self.segments as usize) % MAX_SEGMENTS;
        let nf = self.w.len();
        let out = &mut self.seg[slot * nf..(slot + 1) * nf];
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is only true when the CPU reported AVX2 and FMA at construction.
            self.seg_e[slot] =
                unsafe { segment_dft_avx2(&self.xbuf, &self.cos_tab, &self.sin_tab, out) };
            return;
        }
        self.seg_e[slot] = segment_dft::<false>(&self.xbuf, &self.cos_tab, &self.sin_tab, out);
    }

    /// Slot of the segment `age` hops back (0 = newest).
    fn slot(&self, age: usize) -> usize {
        (self.segments as usize + MAX_SEGMENTS - 1 - age) % MAX_SEGMENTS
    }

    /// Evaluates class `ci` on the newest window; returns `(purity, amplitude sum, tone mean
    /// square)` when it passes.
    fn eval_class(&mut self, ci: usize, quiet: bool) -> Option<(f32, f32, f32)> {
        let nf = self.w.len();
        let c = &self.classes[ci];
        let m = c.m;
        if quiet || (self.segments as usize) < m {
            self.classes[ci].have_prev = false;
            return None;
        }
        let mut e = 0f32;
        for age in 0..m {
            e += self.seg_e[self.slot(age)];
        }
        let nwin = (m * self.hop) as f32;
        let mut x = [(0f32, 0f32); MAX_ELEMENT_FREQS];
        for (i, xi) in x.iter_mut().enumerate().take(c.n) {
            let k = c.bins[i];
            for j in 0..m {
                let s = self.seg[self.slot(m - 1 - j) * nf + k];
                let r = self.rot[k * MAX_SEGMENTS + j];
                xi.0 += s.0 * r.0 - s.1 * r.1;
                xi.1 += s.0 * r.1 + s.1 * r.0;
            }
        }
        let had_prev = c.have_prev;
        let prev = c.prev;
        let cm = &mut self.classes[ci];
        cm.prev = x;
        cm.have_prev = true;
        if !had_prev {
            return None;
        }
        let c = &self.classes[ci];
        // Upper bound of the tone energy (every tone at the worst accepted offset): most blocks
        // are rejected here, before any trigonometry.
        let raw: f32 = x[..c.n].iter().map(|v| v.0 * v.0 + v.1 * v.1).sum();
        if 2.0 * raw < MIN_PURITY * e * nwin * c.min_gain2 {
            return None;
        }
        let h = self.hop as f32;
        let mut amps = [0f32; MAX_ELEMENT_FREQS];
        let mut tone_e = 0f32;
        for i in 0..c.n {
            let k = c.bins[i];
            let (cr, ci_) = x[i];
            let (pr, pi) = prev[i];
            let zr = cr * pr + ci_ * pi;
            let zi = ci_ * pr - cr * pi;
            if zr == 0.0 && zi == 0.0 {
                return None;
            }
            let mut d = wrap(fast_atan2(zi, zr) - self.hop_phase[k]);
            if c.reversals {
                if d > PI / 2.0 {
                    d -= PI;
                } else if d < -PI / 2.0 {
                    d += PI;
                }
            }
            let dw = d / h;
            if dw.abs() > c.tol_w {
                return None;
            }
            // Rectangular-window response at the measured offset.
            let g = if dw.abs() < 1e-7 {
                1.0
            } else {
                ((dw * nwin / 2.0).sin() / (nwin * (dw / 2.0).sin())).abs()
            };
            if g < 0.2 {
                return None;
            }
            let p = cr * cr + ci_ * ci_;
            let a = 2.0 * p.sqrt() / (nwin * g);
            if a < c.min_amp {
                return None;
            }
            amps[i] = a;
            tone_e += nwin * a * a / 2.0;
        }
        let (mut lo, mut hi) = (f32::INFINITY, 0f32);
        for &a in &amps[..c.n] {
            lo = lo.min(a);
            hi = hi.max(a);
        }
        if hi > c.twist_lin * lo * 1.0001 {
            return None;
        }
        let purity = tone_e / e.max(1.0);
        if purity < MIN_PURITY {
            return None;
        }
        let amp_sum: f32 = amps[..c.n].iter().sum();
        Some((purity, amp_sum, tone_e / nwin))
    }

    fn block(&mut self, events: &mut impl FnMut(CadenceEvent)) {
        let quiet = self.seg_e[self.slot(0)] < self.min_energy
            && self.seg_e[self.slot(1)] < self.min_energy;
        let mut best: Option<(usize, f32, f32, f32)> = None;
        for ci in 1..self.classes.len() {
            if let Some((p, a, ms)) = self.eval_class(ci, quiet) {
                if best.is_none_or(|b| p > b.1) {
                    best = Some((ci, p, a, ms));
                }
            }
        }
        let end = self.segments * self.hop as u64;
        let (mut class, mut amp, mut ms) = best.map_or((0, 0.0, 0.0), |b| (b.0, b.2, b.3));
        // A tone that has faded 6 dB below its run's peak counts as silence.
        if class != 0 && class == self.run.class && amp < 0.5 * self.run.peak {
            (class, amp, ms) = (0, 0.0, 0.0);
        }
        let wclass = if class != 0 { class } else { self.run.class };
        let half = if wclass != 0 {
            (self.classes[wclass].m * self.hop / 2) as u64
        } else {
            self.hop as u64
        };
        let mid = end.saturating_sub(half);
        if class == self.run.class {
            self.cand_count = 0;
            self.run.peak = self.run.peak.max(amp);
            self.run.ms_sum += ms as f64;
            self.run.blocks += 1;
        } else {
            if self.cand_count == 0 || self.cand.class != class {
                self.cand = Run {
                    class,
                    start: mid,
                    peak: 0.0,
                    ms_sum: 0.0,
                    blocks: 0,
                };
                self.cand_count = 0;
            }
            self.cand_amp[self.cand_count] = (amp, mid);
            self.cand_count += 1;
            self.cand.peak = self.cand.peak.max(amp);
            self.cand.ms_sum += ms as f64;
            self.cand.blocks += 1;
            if self.cand_count >= DEBOUNCE {
                let mut new = self.cand;
                if new.class != 0 {
                    // Start at the first block at half the run's amplitude.
                    if let Some(&(_, t)) = self.cand_amp.iter().find(|(a, _)| *a >= 0.5 * new.peak)
                    {
                        new.start = t;
                    }
                }
                let old = self.run;
                self.run = new;
                self.cand_count = 0;
                self.run_changed(old, new.start, events);
            }
        }
        self.progress(mid, end, events);
    }

    /// The run `old` ended at `at`; `self.run` has begun.
    fn run_changed(&mut self, old: Run, at: u64, events: &mut impl FnMut(CadenceEvent)) {
        let new_class = self.run.class;
        for si in 0..self.specs.len() {
            let s = &mut self.specs[si];
            if let Phase::Track {
                elem,
                matched,
                start,
                active,
                last_on_end,
            } = s.phase
            {
                let e = s.elems[elem];
                let d = at.saturating_sub(old.start);
                let next = (elem + 1) % s.elems.len();
                let on = e.class != 0;
                let last_on_end = if on { at } else { last_on_end };
                if on && old.blocks > 0 {
                    s.level_ms = old.ms_sum / old.blocks as f64;
                }
                if e.class == old.class
                    && d >= e.min
                    && d <= e.max
                    && s.elems[next].class == new_class
                {
                    s.phase = Phase::Track {
                        elem: next,
                        matched: matched + 1,
                        start,
                        active,
                        last_on_end,
                    };
                } else {
                    s.phase = Phase::Idle;
                    if active {
                        events(CadenceEvent {
                            spec: si,
                            tone: s.tone,
                            kind: CadenceEventKind::End,
                            start,
                            end: Some(last_on_end),
                            at: self.segments * self.hop as u64,
                            level_dbm0: mean_square_to_dbm0(s.level_ms) as f32,
                        });
                    }
                }
            }
            let s = &mut self.specs[si];
            if s.phase == Phase::Idle && new_class != 0 && s.elems[0].class == new_class {
                s.phase = Phase::Track {
                    elem: 0,
                    matched: 0,
                    start: self.run.start,
                    active: false,
                    last_on_end: self.run.start,
                };
            }
        }
    }

    /// Checks the running run against every tracking spec.
    fn progress(&mut self, mid: u64, end: u64, events: &mut impl FnMut(CadenceEvent)) {
        let d = mid.saturating_sub(self.run.start);
        for si in 0..self.specs.len() {
            let s = &mut self.specs[si];
            let Phase::Track {
                elem,
                matched,
                start,
                active,
                last_on_end,
            } = s.phase
            else {
                continue;
            };
            let e = s.elems[elem];
            if e.class != 0 && self.run.blocks > 0 {
                s.level_ms = self.run.ms_sum / self.run.blocks as f64;
            }
            if d > e.max {
                s.phase = Phase::Idle;
                if active {
                    let end_at = if e.class != 0 {
                        self.run.start.saturating_add(e.max)
                    } else {
                        last_on_end
                    };
                    events(CadenceEvent {
                        spec: si,
                        tone: s.tone,
                        kind: CadenceEventKind::End,
                        start,
                        end: Some(end_at),
                        at: end,
                        level_dbm0: mean_square_to_dbm0(s.level_ms) as f32,
                    });
                }
            } else if !active && matched + 1 >= s.confirm && d >= e.min {
                s.phase = Phase::Track {
                    elem,
                    matched,
                    start,
                    active: true,
                    last_on_end,
                };
                events(CadenceEvent {
                    spec: si,
                    tone: s.tone,
                    kind: CadenceEventKind::Start,
                    start,
                    end: None,
                    at: end,
                    level_dbm0: mean_square_to_dbm0(s.level_ms) as f32,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_specs() {
        let mut s = CadenceSpec::na_busy();
        s.elements.swap(0, 1);
        assert!(CadenceDetector::new(8000, &[s]).is_err());
        let mut s = CadenceSpec::na_busy();
        s.elements[0].freqs = vec![480.0, 500.0];
        assert!(CadenceDetector::new(8000, &[s]).is_err());
        let mut s = CadenceSpec::na_busy();
        s.confirm = 0;
        assert!(CadenceDetector::new(8000, &[s]).is_err());
        assert!(CadenceDetector::new(11025, &CadenceSpec::fax()).is_err());
    }

    #[test]
    fn window_choice() {
        let d = CadenceDetector::new(8000, &CadenceSpec::north_america()).unwrap();
        // dial 350+440: 30 ms; ringback 440+480: 50 ms; busy 480+620: 20 ms; SIT tones: 20 ms.
        let ms: Vec<usize> = d.classes[1..].iter().map(|c| c.m * 10).collect();
        assert_eq!(ms, vec![30, 50, 20, 20, 20, 20]);
    }
}
