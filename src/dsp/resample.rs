//! Streaming mono sample-rate conversion.
//!
//! [`Resampler`] converts a mono `f32` stream from one fixed rate to another. It accepts input in
//! pieces of any length, buffers it internally to the block size of the underlying converter, and
//! compensates the converter's latency so that, once [`Resampler::flush`] has been called, the
//! output is time-aligned with the input and has the expected length.
//!
//! The conversion itself is done by the [`rubato`] crate:
//!
//! * For rate pairs whose ratio reduces to small integers (all the usual telephony and audio
//!   rates: 8, 11.025, 16, 22.05, 32, 44.1, 48, 88.2, 96 kHz ...) a synchronous FFT resampler is
//!   used. Its anti-aliasing filter rejects out-of-band content by well over 60 dB.
//! * For awkward ratios (rates whose greatest common divisor is small, e.g. 44 101 Hz to
//!   8 000 Hz) an asynchronous windowed-sinc resampler of comparable quality is used instead,
//!   because the FFT block would otherwise grow to a second of audio or more.
//!
//! Conversion between equal rates is an exact pass-through.
//!
//! Construction allocates the converter and its buffers; [`Resampler::process`] only grows the
//! caller's output vector. This type is meant for file and control-path work, not the real-time
//! audio tick.

use std::fmt;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, Resampler as RubatoResampler,
    SincInterpolationParameters, WindowFunction,
};

use crate::{Error, Result};

/// Lowest sample rate accepted by [`Resampler::new`], in Hz.
pub const MIN_RATE_HZ: u32 = 1_000;

/// Highest sample rate accepted by [`Resampler::new`], in Hz.
pub const MAX_RATE_HZ: u32 = 768_000;

/// Number of input frames the FFT converter transforms at a time (rounded up to a multiple of the
/// smallest block the rate pair allows).
const FFT_CHUNK_HINT: usize = 1024;

/// Largest input block (in frames) for which the FFT converter is used; beyond this the rate pair
/// is considered awkward and the sinc converter is used.
const MAX_FFT_BLOCK: usize = 4096;

/// Filter length of the sinc converter, in input samples (a multiple of 8).
const SINC_LEN: usize = 256;

/// Input chunk size of the sinc converter.
const SINC_CHUNK: usize = 1024;

/// A streaming mono resampler from one fixed sample rate to another.
///
/// Feed input with [`process`](Resampler::process) in pieces of any size; output is appended to
/// the caller's vector as soon as a full internal block has been converted. At the end of the
/// stream, [`flush`](Resampler::flush) drains the remaining samples. After a flush the total
/// output length is `ceil(input_len * to_hz / from_hz)` and the output is time-aligned with the
/// input: a feature at input sample `n` appears at output sample `n * to_hz / from_hz` — exactly
/// for the FFT converter, within half an output sample for the sinc converter used for awkward
/// ratios. The converter's internal latency ([`delay`](Resampler::delay)) is trimmed from the
/// start of the output.
///
/// After [`flush`](Resampler::flush) (or [`reset`](Resampler::reset)) the resampler is ready for a
/// new, independent stream.
///
/// When `from_hz == to_hz` the resampler is the identity: samples pass through bit-exactly and
/// without delay. Otherwise NaN input samples are taken as 0 and magnitudes are limited to
/// ±10⁶ (far beyond full scale), so that no input can upset the converter.
///
/// ```
/// use tutti::dsp::resample::Resampler;
///
/// let mut rs = Resampler::new(48_000, 8_000)?;
/// let input = vec![0.0f32; 4800];
/// let mut out = Vec::new();
/// rs.process(&input[..1000], &mut out);
/// rs.process(&input[1000..], &mut out);
/// rs.flush(&mut out);
/// assert_eq!(out.len(), 800);
/// # Ok::<(), tutti::Error>(())
/// ```
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    engine: Option<Engine>,
}

/// The rubato converter plus the buffering that adapts it to a free-form stream.
struct Engine {
    from_hz: u32,
    to_hz: u32,
    inner: Box<dyn RubatoResampler<f32>>,
    kind: EngineKind,
    /// Converter latency in output samples, trimmed from the start of each stream.
    delay: usize,
    /// Input that did not yet fill a block, padded to the block length when processed.
    pending: Vec<f32>,
    /// Scratch output of one block.
    block_out: Vec<f32>,
    /// Output samples still to drop from the start of the stream (converter latency).
    to_trim: usize,
    /// Input samples received since the start of the stream.
    total_in: u64,
    /// Output samples delivered since the start of the stream.
    total_out: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EngineKind {
    Fft,
    Sinc,
}

impl fmt::Debug for Resampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("engine", &self.engine.as_ref().map(|e| e.kind))
            .field("delay", &self.delay())
            .finish()
    }
}

/// Largest input magnitude passed to the converter; far beyond full scale (1.0), small enough
/// that the converter's sums stay finite.
const MAX_INPUT_MAGNITUDE: f32 = 1.0e6;

/// Replaces NaN by 0 and limits the magnitude of other samples to [`MAX_INPUT_MAGNITUDE`].
#[inline]
fn sanitize(x: f32) -> f32 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(-MAX_INPUT_MAGNITUDE, MAX_INPUT_MAGNITUDE)
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn check_rate(name: &'static str, hz: u32) -> Result<()> {
    if !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&hz) {
        return Err(Error::arg(
            name,
            format!("sample rate {hz} Hz is outside {MIN_RATE_HZ}..={MAX_RATE_HZ} Hz"),
        ));
    }
    Ok(())
}

impl Resampler {
    /// Creates a resampler from `from_hz` to `to_hz`.
    ///
    /// Both rates must lie in [`MIN_RATE_HZ`]`..=`[`MAX_RATE_HZ`]; otherwise
    /// [`Error::InvalidArgument`] is returned. Equal rates give an exact pass-through.
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Resampler> {
        check_rate("from_hz", from_hz)?;
        check_rate("to_hz", to_hz)?;
        let engine = if from_hz == to_hz {
            None
        } else {
            Some(Engine::new(from_hz, to_hz)?)
        };
        Ok(Resampler {
            from_hz,
            to_hz,
            engine,
        })
    }

    /// Input sample rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output sample rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// True when the rates are equal and samples pass through unchanged.
    pub fn is_identity(&self) -> bool {
        self.engine.is_none()
    }

    /// Latency of the underlying converter, in output samples.
    ///
    /// While streaming, the output lags the input by this many samples plus up to one internal
    /// block; [`flush`](Resampler::flush) delivers the lagging part. The delay is already
    /// compensated in the output (it is not silence at the start), so callers only need it to
    /// judge how far behind a live stream the output runs. Zero for the identity.
    pub fn delay(&self) -> usize {
        self.engine.as_ref().map_or(0, |e| e.delay)
    }

    /// Number of output samples a complete stream of `input_len` samples produces (including the
    /// samples delivered by [`flush`](Resampler::flush)): `ceil(input_len * to_hz / from_hz)`.
    pub fn output_len_for(&self, input_len: u64) -> u64 {
        let num = input_len as u128 * self.to_hz as u128;
        num.div_ceil(self.from_hz as u128) as u64
    }

    /// Converts `input` and appends the output that is ready to `out`.
    ///
    /// Input may have any length, including zero. Output lags the input (see
    /// [`delay`](Resampler::delay)); call [`flush`](Resampler::flush) at the end of the stream.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        match &mut self.engine {
            None => out.extend_from_slice(input),
            Some(engine) => engine.process(input, out),
        }
    }

    /// Ends the stream: appends all remaining output to `out`, so that the total output length
    /// equals [`output_len_for`](Resampler::output_len_for) the total input length, and resets the
    /// resampler for a new stream.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if let Some(engine) = &mut self.engine {
            engine.flush(out);
            engine.reset();
        }
    }

    /// Discards all buffered input and converter state, starting a new stream.
    pub fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset();
        }
    }
}

impl Engine {
    fn new(from_hz: u32, to_hz: u32) -> Result<Engine> {
        let (from, to) = (from_hz as usize, to_hz as usize);
        let g = gcd(from as u64, to as u64) as usize;
        let min_block_in = from / g;
        let min_block_out = to / g;
        let construction_error =
            |e: rubato::ResamplerConstructionError| Error::arg("to_hz", e.to_string());
        let (inner, kind): (Box<dyn RubatoResampler<f32>>, EngineKind) =
            if min_block_in <= MAX_FFT_BLOCK && min_block_out <= MAX_FFT_BLOCK {
                // The converter's filter is centred on input sample floor(block_in / 2), so the
                // latency is exactly block_out / 2 output samples when both blocks are even.
                let mut blocks = FFT_CHUNK_HINT.div_ceil(min_block_in);
                if (blocks * min_block_in) % 2 == 1 || (blocks * min_block_out) % 2 == 1 {
                    blocks += 1;
                }
                let fft = Fft::<f32>::new_custom(
                    from,
                    to,
                    blocks * min_block_in,
                    1,
                    1,
                    WindowFunction::BlackmanHarris2,
                    FixedSync::Both,
                )
                .map_err(construction_error)?;
                (Box::new(fft), EngineKind::Fft)
            } else {
                let params =
                    SincInterpolationParameters::new(SINC_LEN, WindowFunction::BlackmanHarris2);
                let sinc = Async::<f32>::new_sinc(
                    to as f64 / from as f64,
                    1.0,
                    &params,
                    SINC_CHUNK,
                    1,
                    FixedAsync::Input,
                )
                .map_err(construction_error)?;
                (Box::new(sinc), EngineKind::Sinc)
            };
        let pending = Vec::with_capacity(inner.input_frames_max());
        let block_out = vec![0.0; inner.output_frames_max()];
        let delay = match kind {
            EngineKind::Fft => inner.output_delay(),
            // The sinc converter's latency is half its filter length in input samples, less one
            // output sample; it is generally fractional and is rounded here.
            EngineKind::Sinc => {
                let half_filter = (SINC_LEN / 2) as f64;
                (half_filter * to as f64 / from as f64 - 1.0)
                    .round()
                    .max(0.0) as usize
            }
        };
        Ok(Engine {
            delay,
            from_hz,
            to_hz,
            inner,
            kind,
            pending,
            block_out,
            to_trim: delay,
            total_in: 0,
            total_out: 0,
        })
    }

    fn reset(&mut self) {
        self.inner.reset();
        self.pending.clear();
        self.to_trim = self.delay;
        self.total_in = 0;
        self.total_out = 0;
    }

    fn process(&mut self, mut input: &[f32], out: &mut Vec<f32>) {
        self.total_in += input.len() as u64;
        loop {
            let need = self.inner.input_frames_next();
            let take = need.saturating_sub(self.pending.len()).min(input.len());
            self.pending
                .extend(input[..take].iter().map(|&x| sanitize(x)));
            input = &input[take..];
            if self.pending.len() < need {
                return;
            }
            Self::run_block(
                &mut *self.inner,
                &mut self.block_out,
                &self.pending,
                None,
                &mut self.to_trim,
                &mut self.total_out,
                u64::MAX,
                out,
            );
            self.pending.clear();
        }
    }

    fn flush(&mut self, out: &mut Vec<f32>) {
        let target = {
            let num = self.total_in as u128 * self.to_hz as u128;
            num.div_ceil(self.from_hz as u128) as u64
        };
        let mut partial = self.pending.len();
        // Each round consumes the pending input (then silence) until the delayed tail is out.
        // The bound guards against a converter that stops producing output.
        let max_rounds = 4 + (self.to_trim + target.saturating_sub(self.total_out) as usize);
        let mut rounds = 0;
        while self.total_out < target && rounds < max_rounds {
            let need = self.inner.input_frames_next();
            self.pending.resize(need.max(self.pending.len()), 0.0);
            Self::run_block(
                &mut *self.inner,
                &mut self.block_out,
                &self.pending,
                Some(partial),
                &mut self.to_trim,
                &mut self.total_out,
                target,
                out,
            );
            self.pending.iter_mut().for_each(|s| *s = 0.0);
            partial = 0;
            rounds += 1;
        }
        // Should the converter ever fall short, pad so the promised length holds.
        while self.total_out < target {
            out.push(0.0);
            self.total_out += 1;
        }
        self.pending.clear();
    }

    /// Converts one block and appends its output, dropping the first `to_trim` samples of the
    /// stream and anything beyond `limit` total output samples.
    #[allow(clippy::too_many_arguments)]
    fn run_block(
        inner: &mut dyn RubatoResampler<f32>,
        block_out: &mut [f32],
        block: &[f32],
        partial: Option<usize>,
        to_trim: &mut usize,
        total_out: &mut u64,
        limit: u64,
        out: &mut Vec<f32>,
    ) {
        let frames_in = block.len();
        let frames_out = block_out.len();
        let (Ok(adapter_in), Ok(mut adapter_out)) = (
            InterleavedSlice::new(block, 1, frames_in),
            InterleavedSlice::new_mut(block_out, 1, frames_out),
        ) else {
            return;
        };
        let indexing = Indexing {
            partial_len: partial,
            ..Indexing::default()
        };
        let produced =
            match inner.process_into_buffer(&adapter_in, &mut adapter_out, Some(&indexing)) {
                Ok((_, produced)) => produced,
                // The buffers are sized from the converter's own maxima, so this does not happen; if
                // it did, the block is dropped and flush pads the stream to its promised length.
                Err(_) => return,
            };
        let mut produced = &block_out[..produced];
        let trim = (*to_trim).min(produced.len());
        produced = &produced[trim..];
        *to_trim -= trim;
        let room = limit.saturating_sub(*total_out);
        let keep = (produced.len() as u64).min(room) as usize;
        out.extend_from_slice(&produced[..keep]);
        *total_out += keep as u64;
    }
}
