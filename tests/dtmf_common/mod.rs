//! Shared helpers for the DTMF tests: deterministic random numbers, independent signal synthesis
//! (plain `sin()`), detection runners and a minimal WAV reader.
#![allow(dead_code)]

use std::f64::consts::PI;
use std::process::Command;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector, DtmfEvent, DtmfEventKind};

pub const LOW: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
pub const HIGH: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
pub const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
pub const DIGITS: &str = "123A456B789C*0#D";

pub fn pos(d: char) -> (usize, usize) {
    for (r, row) in KEYS.iter().enumerate() {
        if let Some(c) = row.iter().position(|&k| k == d) {
            return (r, c);
        }
    }
    panic!("not a digit {d}")
}

/// xorshift64* with a fixed seed.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize
    }
    /// Standard normal (Box-Muller).
    pub fn gauss(&mut self) -> f64 {
        let u1 = self.f64().max(1e-300);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

/// dBm0 of a full-scale sine (the G.711 convention), restated here so the tests do not depend on
/// the library's constant.
#[allow(clippy::approx_constant)]
pub const FULL_SCALE_DBM0: f64 = 3.14;

/// Peak amplitude of a sine at `dbm0` (0 dBm0 = 32767 * 10^(-3.14/20)), computed independently of
/// the library.
pub fn peak(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - FULL_SCALE_DBM0) / 20.0)
}

/// A description of one tone burst in a synthesised signal.
#[derive(Clone, Copy, Debug)]
pub struct Burst {
    pub f1: f64,
    pub a1: f64,
    pub f2: f64,
    pub a2: f64,
    pub start: usize,
    pub len: usize,
    pub ph1: f64,
    pub ph2: f64,
}

/// Adds bursts into a float buffer with plain sin().
pub fn add_bursts(buf: &mut [f64], rate: u32, bursts: &[Burst]) {
    for b in bursts {
        let w1 = 2.0 * PI * b.f1 / rate as f64;
        let w2 = 2.0 * PI * b.f2 / rate as f64;
        for n in 0..b.len {
            let i = b.start + n;
            if i >= buf.len() {
                break;
            }
            let t = n as f64;
            buf[i] += b.a1 * (w1 * t + b.ph1).sin() + b.a2 * (w2 * t + b.ph2).sin();
        }
    }
}

/// Digit burst with random phases.
#[allow(clippy::too_many_arguments)]
pub fn digit_burst(
    rng: &mut Rng,
    d: char,
    low_dbm0: f64,
    high_dbm0: f64,
    freq_err_low: f64,
    freq_err_high: f64,
    start: usize,
    len: usize,
) -> Burst {
    let (r, c) = pos(d);
    Burst {
        f1: LOW[r] * (1.0 + freq_err_low),
        a1: peak(low_dbm0),
        f2: HIGH[c] * (1.0 + freq_err_high),
        a2: peak(high_dbm0),
        start,
        len,
        ph1: rng.range(0.0, 2.0 * PI),
        ph2: rng.range(0.0, 2.0 * PI),
    }
}

pub fn add_white_noise(buf: &mut [f64], rng: &mut Rng, rms: f64) {
    for v in buf.iter_mut() {
        *v += rms * rng.gauss();
    }
}

pub fn to_i16(buf: &[f64]) -> Vec<i16> {
    buf.iter()
        .map(|v| v.round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Runs a detector over `samples` in random-sized chunks; returns all events.
pub fn detect_chunked(
    rate: u32,
    cfg: DtmfConfig,
    samples: &[i16],
    rng: &mut Rng,
) -> Vec<DtmfEvent> {
    let mut det = DtmfDetector::new(rate, cfg).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        let n = (1 + rng.below(300)).min(samples.len() - i);
        det.process(&samples[i..i + n], &mut |e| out.push(e));
        i += n;
    }
    // Flush with silence so digits end.
    det.process(&vec![0i16; rate as usize / 5], &mut |e| out.push(e));
    out
}

pub fn starts(events: &[DtmfEvent]) -> Vec<DtmfEvent> {
    events
        .iter()
        .copied()
        .filter(|e| e.kind == DtmfEventKind::Start)
        .collect()
}

pub fn start_digits(events: &[DtmfEvent]) -> String {
    starts(events).iter().map(|e| e.digit).collect()
}

/// Reads a 16-bit PCM mono WAV file: (rate, samples).
pub fn read_wav(path: &std::path::Path) -> (u32, Vec<i16>) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[0..4], b"RIFF");
    assert_eq!(&b[8..12], b"WAVE");
    let mut i = 12;
    let mut rate = 0;
    let mut channels = 1;
    while i + 8 <= b.len() {
        let id = &b[i..i + 4];
        let len = u32::from_le_bytes(b[i + 4..i + 8].try_into().unwrap()) as usize;
        let body = &b[i + 8..(i + 8 + len).min(b.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]) as usize;
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            let bits = u16::from_le_bytes([body[14], body[15]]);
            assert_eq!(bits, 16, "16-bit PCM only");
        } else if id == b"data" {
            let s: Vec<i16> = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .step_by(channels)
                .collect();
            return (rate, s);
        }
        i += 8 + len + (len & 1);
    }
    panic!("no data chunk in {}", path.display());
}

pub fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

/// Channel impairment applied to the signal before detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Linear,
    Ulaw,
    Alaw,
}

pub const CODECS: [Codec; 3] = [Codec::Linear, Codec::Ulaw, Codec::Alaw];

pub fn apply_codec(s: &mut [i16], c: Codec) {
    match c {
        Codec::Linear => {}
        Codec::Ulaw => tutti::dsp::g711::ulaw_roundtrip(s),
        Codec::Alaw => tutti::dsp::g711::alaw_roundtrip(s),
    }
}

/// Synthesises `bursts` (plus optional white noise of `noise_rms`) into `len` samples, applies
/// the codec and runs the detector in random chunks.
pub fn run(
    rate: u32,
    cfg: DtmfConfig,
    codec: Codec,
    bursts: &[Burst],
    len: usize,
    noise_rms: f64,
    rng: &mut Rng,
) -> Vec<DtmfEvent> {
    let mut buf = vec![0.0; len];
    add_bursts(&mut buf, rate, bursts);
    if noise_rms > 0.0 {
        add_white_noise(&mut buf, rng, noise_rms);
    }
    let mut s = to_i16(&buf);
    apply_codec(&mut s, codec);
    detect_chunked(rate, cfg, &s, rng)
}

pub fn ms(rate: u32, ms: f64) -> usize {
    (rate as f64 * ms / 1000.0).round() as usize
}

/// Speaks `text` with espeak-ng (`voice`, words per minute `speed`, `pitch`) and band-limits
/// it to 300-3400 Hz at 8 kHz with sox; `n` keeps the temporary files of calls apart.
pub fn synth(
    dir: &std::path::Path,
    voice: &str,
    speed: u32,
    pitch: u32,
    text: &str,
    n: usize,
) -> Vec<i16> {
    let raw = dir.join(format!("raw{n}.wav"));
    let bp = dir.join(format!("bp{n}.wav"));
    let ok = Command::new("espeak-ng")
        .args([
            "-v",
            voice,
            "-s",
            &speed.to_string(),
            "-p",
            &pitch.to_string(),
            "-w",
        ])
        .arg(&raw)
        .arg(text)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "espeak-ng failed for voice {voice}");
    let ok = Command::new("sox")
        .arg(&raw)
        .args(["-r", "8000", "-b", "16", "-c", "1"])
        .arg(&bp)
        .args(["sinc", "300-3400"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "sox failed");
    read_wav(&bp).1
}

/// Scales speech so that its active level (RMS over 10 ms frames within 30 dB of the loudest
/// frame) is `dbm0`; saturates like a codec would.
pub fn level_to(s: &[i16], dbm0: f64) -> Vec<i16> {
    let frames: Vec<f64> = s
        .chunks(80)
        .map(|c| c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / c.len() as f64)
        .collect();
    let max = frames.iter().cloned().fold(0.0, f64::max);
    let active: Vec<f64> = frames.iter().cloned().filter(|&e| e > max * 1e-3).collect();
    let ms = active.iter().sum::<f64>() / active.len().max(1) as f64;
    let target = peak(dbm0).powi(2) / 2.0;
    let g = (target / ms).sqrt();
    s.iter()
        .map(|&v| (v as f64 * g).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}
