//! Helpers shared by the media integration tests: signal generation, spectral measurement, temp
//! dirs and a hand-written WAV encoder that is independent of the crate under test.
#![allow(dead_code)]

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh, empty directory under the system temp dir, unique to this process and call, removed
/// (with its contents) when dropped, also when the test fails.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Creates a [`TempDir`] whose name contains `tag`.
pub fn temp_dir(tag: &str) -> TempDir {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "tutti-test-{tag}-{}-{n}-{nanos}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

/// `n` samples of `amp * sin(2π f t)` at `rate`.
pub fn sine(freq: f64, rate: f64, amp: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| amp * (2.0 * PI * freq * i as f64 / rate).sin())
        .collect()
}

/// Amplitude of the `freq` component of `x` (sampled at `rate`), by a single-bin DFT with a Hann
/// window. For a pure sine of amplitude A this returns ≈ A.
pub fn tone_amplitude(x: &[f64], freq: f64, rate: f64) -> f64 {
    let n = x.len();
    let (mut re, mut im, mut wsum) = (0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
        let ph = 2.0 * PI * freq * i as f64 / rate;
        re += w * v * ph.cos();
        im -= w * v * ph.sin();
        wsum += w;
    }
    2.0 * (re * re + im * im).sqrt() / wsum
}

/// Frequency (Hz) of the strongest component of `x` between `lo` and `hi`, searched on a 1 Hz
/// grid and refined to 0.05 Hz.
pub fn peak_frequency(x: &[f64], rate: f64, lo: f64, hi: f64) -> f64 {
    let mut best = (lo, 0.0);
    let mut f = lo;
    while f <= hi {
        let a = tone_amplitude(x, f, rate);
        if a > best.1 {
            best = (f, a);
        }
        f += 1.0;
    }
    let centre = best.0;
    let mut f = centre - 1.0;
    while f <= centre + 1.0 {
        let a = tone_amplitude(x, f, rate);
        if a > best.1 {
            best = (f, a);
        }
        f += 0.05;
    }
    best.0
}

/// RMS of `x`.
pub fn rms(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

/// 20·log10(a / b).
pub fn db(a: f64, b: f64) -> f64 {
    20.0 * (a / b).log10()
}

/// A deterministic xorshift pseudo-random generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Description of a WAV file to encode by hand.
pub struct WavSpec {
    /// wFormatTag (1 PCM, 3 float, 0xFFFE extensible, anything else for error tests).
    pub format_tag: u16,
    pub channels: u16,
    pub rate: u32,
    /// wBitsPerSample (container bits).
    pub bits: u16,
    /// Bytes per frame; normally channels * bits / 8.
    pub block_align: u16,
    /// For the extensible format: wValidBitsPerSample and the sub-format (1 PCM, 3 float).
    pub extensible: Option<(u16, u16)>,
}

impl WavSpec {
    pub fn pcm(channels: u16, rate: u32, bits: u16) -> WavSpec {
        WavSpec {
            format_tag: 1,
            channels,
            rate,
            bits,
            block_align: channels * bits.div_ceil(8),
            extensible: None,
        }
    }
    pub fn float(channels: u16, rate: u32) -> WavSpec {
        WavSpec {
            format_tag: 3,
            ..WavSpec::pcm(channels, rate, 32)
        }
    }
}

/// Encodes a complete WAV file: RIFF header, fmt chunk, an unrelated "LIST" chunk, data chunk.
/// `declared_data_len` overrides the data chunk's size field (for truncation tests).
pub fn wav_bytes(spec: &WavSpec, data: &[u8], declared_data_len: Option<u32>) -> Vec<u8> {
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&spec.format_tag.to_le_bytes());
    fmt.extend_from_slice(&spec.channels.to_le_bytes());
    fmt.extend_from_slice(&spec.rate.to_le_bytes());
    fmt.extend_from_slice(&(spec.rate * spec.block_align as u32).to_le_bytes());
    fmt.extend_from_slice(&spec.block_align.to_le_bytes());
    fmt.extend_from_slice(&spec.bits.to_le_bytes());
    if let Some((valid_bits, sub)) = spec.extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&valid_bits.to_le_bytes());
        fmt.extend_from_slice(&0u32.to_le_bytes());
        // KSDATAFORMAT_SUBTYPE_xxx: {0000xxxx-0000-0010-8000-00aa00389b71}
        fmt.extend_from_slice(&(sub as u32).to_le_bytes());
        fmt.extend_from_slice(&[
            0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
        ]);
    }
    let list = b"INFOISFT\x06\x00\x00\x00tutti\x00";
    let mut body = Vec::new();
    body.extend_from_slice(b"WAVE");
    body.extend_from_slice(b"fmt ");
    body.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    body.extend_from_slice(&fmt);
    body.extend_from_slice(b"LIST");
    body.extend_from_slice(&(list.len() as u32).to_le_bytes());
    body.extend_from_slice(list);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&declared_data_len.unwrap_or(data.len() as u32).to_le_bytes());
    body.extend_from_slice(data);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// True when `sox` can be run.
pub fn have_sox() -> bool {
    std::process::Command::new("sox")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
