//! WAV files: a streaming reader that delivers mono 16-bit audio at a chosen rate, and a 16-bit
//! PCM writer for recorders whose output stays a valid file while it is being written.
//!
//! Headers are parsed and validated with [`hound`], which also encodes written files; the reader
//! decodes the sample data itself. Rate conversion is done by [`Resampler`].

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::dsp::resample::{Resampler, MAX_RATE_HZ, MIN_RATE_HZ};
use crate::{Error, Result};

/// Source frames decoded per refill of the reader's internal buffer.
const READ_BLOCK_FRAMES: usize = 2048;

/// I/O buffer size of the reader and writer.
const IO_BUFFER_BYTES: usize = 64 * 1024;

/// Bytes of a hound-written 16-bit PCM header that count towards the RIFF size field.
const PCM_HEADER_RIFF_BYTES: u64 = 36;

/// Converts a normalised sample (full scale ±1.0) to 16 bits: scaled by 32768, rounded to nearest
/// (halves away from zero) and saturated to `-32768..=32767`. NaN becomes 0.
#[inline]
fn to_i16(x: f64) -> i16 {
    (x * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

/// How the samples of a source file are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SampleKind {
    /// Signed integers (8-bit files are unsigned on disk; hound re-centres them).
    Int,
    /// IEEE 754 single precision.
    Float,
}

/// The parts of a WAV header needed to validate the format and explain what is wrong with it.
#[derive(Debug)]
struct HeaderInfo {
    channels: u16,
    rate: u32,
    block_align: u16,
    bits: u16,
    kind: SampleKind,
}

fn codec_name(tag: u16) -> &'static str {
    match tag {
        0x0002 => "MS ADPCM",
        0x0006 => "A-law",
        0x0007 => "mu-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG",
        0x0055 => "MP3",
        _ => "unknown codec",
    }
}

fn read_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` at a clean or partial end of file.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Walks the RIFF chunks up to the data chunk and validates the format. The error string is the
/// problem to report; I/O errors are passed through separately.
fn inspect_header<R: Read + Seek>(
    r: &mut R,
) -> io::Result<std::result::Result<HeaderInfo, String>> {
    let mut riff = [0u8; 12];
    if !read_full(r, &mut riff)? {
        return Ok(Err("not a RIFF/WAVE file (too short)".into()));
    }
    if &riff[0..4] == b"RF64" || &riff[0..4] == b"BW64" {
        return Ok(Err("unsupported format: RF64 (64-bit WAV)".into()));
    }
    if &riff[0..4] != b"RIFF" || &riff[8..12] != b"WAVE" {
        return Ok(Err("not a RIFF/WAVE file".into()));
    }
    let mut fmt: Option<Vec<u8>> = None;
    loop {
        let mut chunk = [0u8; 8];
        if !read_full(r, &mut chunk)? {
            return Ok(Err(if fmt.is_none() {
                "malformed WAV: no fmt chunk".into()
            } else {
                "malformed WAV: no data chunk".into()
            }));
        }
        let len = read_u32(&chunk, 4);
        match &chunk[0..4] {
            b"fmt " => {
                if len < 16 {
                    return Ok(Err(format!("malformed WAV: fmt chunk of {len} bytes")));
                }
                let mut body = vec![0u8; len.min(64) as usize];
                if !read_full(r, &mut body)? {
                    return Ok(Err("malformed WAV: truncated fmt chunk".into()));
                }
                r.seek(SeekFrom::Current(len as i64 - body.len() as i64))?;
                fmt = Some(body);
            }
            b"data" => break,
            _ => {
                r.seek(SeekFrom::Current(len as i64))?;
            }
        }
    }
    let Some(f) = fmt else {
        return Ok(Err("malformed WAV: data chunk before fmt chunk".into()));
    };
    let tag = read_u16(&f, 0);
    let channels = read_u16(&f, 2);
    let rate = read_u32(&f, 4);
    let block_align = read_u16(&f, 12);
    let container_bits = read_u16(&f, 14);
    let (kind, bits) = match tag {
        0x0001 => (SampleKind::Int, container_bits),
        0x0003 => (SampleKind::Float, container_bits),
        0xFFFE => {
            if f.len() < 40 {
                return Ok(Err(
                    "malformed WAV: short WAVE_FORMAT_EXTENSIBLE header".into()
                ));
            }
            let valid_bits = read_u16(&f, 18);
            let sub = read_u16(&f, 24);
            let bits = if valid_bits == 0 {
                container_bits
            } else {
                valid_bits
            };
            match sub {
                0x0001 => (SampleKind::Int, bits),
                0x0003 => (SampleKind::Float, bits),
                other => {
                    return Ok(Err(format!(
                        "unsupported format: codec 0x{other:04x} ({}) in WAVE_FORMAT_EXTENSIBLE",
                        codec_name(other)
                    )))
                }
            }
        }
        other => {
            return Ok(Err(format!(
                "unsupported format: codec 0x{other:04x} ({}); only PCM and IEEE float are read",
                codec_name(other)
            )))
        }
    };
    if channels == 0 {
        return Ok(Err("malformed WAV: zero channels".into()));
    }
    let container_bytes = block_align / channels;
    if container_bytes == 0
        || !block_align.is_multiple_of(channels)
        || u32::from(container_bits) > u32::from(container_bytes) * 8
    {
        return Ok(Err(format!(
            "malformed WAV: block align {block_align} does not fit {channels} channel(s) of {container_bits} bits"
        )));
    }
    let supported = match kind {
        SampleKind::Int => matches!(
            (container_bytes, bits),
            (1, 8) | (2, 16) | (3, 24) | (4, 24) | (4, 32)
        ),
        SampleKind::Float => (container_bytes, bits) == (4, 32),
    };
    if !supported {
        let what = match kind {
            SampleKind::Int => "",
            SampleKind::Float => " float",
        };
        return Ok(Err(format!(
            "unsupported format: {bits}-bit{what} in {container_bytes}-byte samples"
        )));
    }
    if !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&rate) {
        return Ok(Err(format!("unsupported sample rate: {rate} Hz")));
    }
    Ok(Ok(HeaderInfo {
        channels,
        rate,
        block_align,
        bits,
        kind,
    }))
}

/// Streaming reader of PCM WAV files that delivers mono 16-bit samples at a chosen rate.
///
/// Reads every PCM layout whose header [`hound`] accepts: 8-bit (unsigned), 16-, 24- and 32-bit
/// integer and 32-bit IEEE float, plain or `WAVE_FORMAT_EXTENSIBLE`, at any sample rate in
/// [`MIN_RATE_HZ`]`..=`[`MAX_RATE_HZ`], with any number of channels. 24-bit samples stored in
/// 4-byte containers are taken as the WAVE specification lays them out (left-justified, i.e. read
/// as 32-bit samples).
///
/// Each source frame is normalised to full scale ±1.0 (integers are divided by 2^(bits−1)),
/// the channels are averaged, the result is resampled to the target rate when the rates
/// differ (see [`Resampler`]; the output is time-aligned with the source and has
/// `ceil(source_frames * target_rate / source_rate)` samples), and finally scaled by 32768,
/// rounded to nearest (halves away from zero) and saturated to the `i16` range. Without
/// resampling this is exact: 16-bit mono files read back unchanged and 24-bit samples are
/// rounded to their top 16 bits. Non-finite float samples are read as 0 (NaN) or full scale
/// (infinities).
///
/// # Truncated files
///
/// A data chunk whose header claims more bytes than the file holds (a copy cut short, or a
/// streaming writer that puts a placeholder maximum size in the header) is not an error: [`open`](WavReader::open) counts the complete frames actually present,
/// [`source_frames`](WavReader::source_frames) reports that count, the reader delivers them and
/// then ends normally, and [`is_truncated`](WavReader::is_truncated) returns `true`. If the file
/// shrinks further while it is being read, [`read`](WavReader::read) returns
/// [`Error::BadFile`] with the problem "truncated data".
///
/// # Errors
///
/// Malformed or unsupported files give [`Error::BadFile`] whose message names the file and the
/// problem, e.g. `/x/a.wav: not a RIFF/WAVE file` or `/x/b.wav: unsupported format: 12-bit in
/// 2-byte samples`. Operating-system errors give [`Error::Io`]. No input makes the reader panic.
pub struct WavReader {
    path: PathBuf,
    file: BufReader<File>,
    data_offset: u64,
    info: HeaderInfo,
    target_rate: u32,
    source_frames: u64,
    declared_frames: u64,
    frames_read: u64,
    resampler: Resampler,
    raw: Vec<u8>,
    mono: Vec<f64>,
    mono_f32: Vec<f32>,
    resampled: Vec<f32>,
    pending: Vec<i16>,
    pending_pos: usize,
    finished: bool,
}

impl std::fmt::Debug for WavReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavReader")
            .field("path", &self.path)
            .field("source_rate", &self.info.rate)
            .field("source_channels", &self.info.channels)
            .field("source_bits", &self.info.bits)
            .field("source_float", &(self.info.kind == SampleKind::Float))
            .field("source_frames", &self.source_frames)
            .field("target_rate", &self.target_rate)
            .field("frames_read", &self.frames_read)
            .finish()
    }
}

fn hound_open_error(path: &Path, e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) => match io.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::Other => {
                Error::bad_file(path, "malformed WAV: truncated header")
            }
            _ => Error::io(path, io),
        },
        hound::Error::FormatError(msg) => Error::bad_file(path, format!("malformed WAV: {msg}")),
        hound::Error::Unsupported => Error::bad_file(path, "unsupported format"),
        other => Error::bad_file(path, other.to_string()),
    }
}

/// Parses the header with hound from the start of `file`; returns hound's view of the format,
/// the number of frames the data chunk declares and the offset of its first byte.
fn parse_with_hound(path: &Path, file: &mut BufReader<File>) -> Result<(hound::WavSpec, u64, u64)> {
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io(path, e))?;
    let (spec, declared_frames) = {
        let reader = hound::WavReader::new(&mut *file).map_err(|e| hound_open_error(path, e))?;
        (reader.spec(), reader.duration() as u64)
    };
    let data_offset = file.stream_position().map_err(|e| Error::io(path, e))?;
    Ok((spec, declared_frames, data_offset))
}

impl WavReader {
    /// Opens `path` and prepares to deliver its audio as mono `i16` at `target_rate` Hz.
    ///
    /// `target_rate` must lie in [`MIN_RATE_HZ`]`..=`[`MAX_RATE_HZ`]
    /// ([`Error::InvalidArgument`] otherwise).
    pub fn open(path: impl AsRef<Path>, target_rate: u32) -> Result<WavReader> {
        let path = path.as_ref();
        if !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&target_rate) {
            return Err(Error::arg(
                "target_rate",
                format!("{target_rate} Hz is outside {MIN_RATE_HZ}..={MAX_RATE_HZ} Hz"),
            ));
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if file_len == 0 {
            return Err(Error::bad_file(path, "not a RIFF/WAVE file (empty file)"));
        }
        let mut file = BufReader::with_capacity(IO_BUFFER_BYTES, file);
        let info = inspect_header(&mut file)
            .map_err(|e| Error::io(path, e))?
            .map_err(|problem| Error::bad_file(path, problem))?;
        let (spec, declared_frames, data_offset) = parse_with_hound(path, &mut file)?;
        let kind = match spec.sample_format {
            hound::SampleFormat::Int => SampleKind::Int,
            hound::SampleFormat::Float => SampleKind::Float,
        };
        if spec.channels != info.channels
            || spec.sample_rate != info.rate
            || spec.bits_per_sample != info.bits
            || kind != info.kind
        {
            return Err(Error::bad_file(path, "malformed WAV: inconsistent header"));
        }
        let present_frames = file_len.saturating_sub(data_offset) / info.block_align as u64;
        let source_frames = declared_frames.min(present_frames);
        let resampler = Resampler::new(info.rate, target_rate)?;
        let channels = info.channels as usize;
        Ok(WavReader {
            path: path.to_path_buf(),
            file,
            data_offset,
            target_rate,
            source_frames,
            declared_frames,
            frames_read: 0,
            resampler,
            raw: Vec::with_capacity(READ_BLOCK_FRAMES * info.block_align as usize),
            mono: Vec::with_capacity(READ_BLOCK_FRAMES),
            mono_f32: Vec::with_capacity(READ_BLOCK_FRAMES),
            resampled: Vec::with_capacity(READ_BLOCK_FRAMES * 2),
            pending: Vec::with_capacity(READ_BLOCK_FRAMES * channels.min(4) * 2),
            pending_pos: 0,
            finished: false,
            info,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sample rate of the file, in Hz.
    pub fn source_rate(&self) -> u32 {
        self.info.rate
    }

    /// Number of channels in the file (they are averaged to mono).
    pub fn source_channels(&self) -> u16 {
        self.info.channels
    }

    /// Significant bits per sample in the file (8, 16, 24 or 32).
    pub fn source_bits(&self) -> u16 {
        self.info.bits
    }

    /// True when the file holds IEEE float samples.
    pub fn source_is_float(&self) -> bool {
        self.info.kind == SampleKind::Float
    }

    /// Length of the audio in source frames: the frames that will actually be delivered, which
    /// for a truncated file is fewer than its header claims.
    pub fn source_frames(&self) -> u64 {
        self.source_frames
    }

    /// True when the data chunk is shorter than its header claims (see the type's docs).
    pub fn is_truncated(&self) -> bool {
        self.source_frames < self.declared_frames
    }

    /// Output sample rate, in Hz.
    pub fn target_rate(&self) -> u32 {
        self.target_rate
    }

    /// Total number of samples [`read`](WavReader::read) delivers from the start of the file:
    /// `ceil(source_frames * target_rate / source_rate)`.
    pub fn target_frames(&self) -> u64 {
        self.resampler.output_len_for(self.source_frames)
    }

    /// Fills `out` with the next samples and returns how many were written.
    ///
    /// Fewer than `out.len()` samples are returned only at the end of the file; `Ok(0)` (with a
    /// non-empty `out`) means the end has been reached.
    pub fn read(&mut self, out: &mut [i16]) -> Result<usize> {
        let mut written = 0;
        while written < out.len() {
            let available = &self.pending[self.pending_pos..];
            if !available.is_empty() {
                let n = available.len().min(out.len() - written);
                out[written..written + n].copy_from_slice(&available[..n]);
                self.pending_pos += n;
                written += n;
                continue;
            }
            if self.finished {
                break;
            }
            self.refill()?;
        }
        Ok(written)
    }

    /// Restarts from the beginning of the file (for looping playback).
    pub fn rewind(&mut self) -> Result<()> {
        self.resampler.reset();
        self.pending.clear();
        self.pending_pos = 0;
        self.frames_read = 0;
        self.finished = false;
        self.file
            .seek(SeekFrom::Start(self.data_offset))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(())
    }

    /// Decodes the next block of source frames into `pending` (or flushes the resampler at the
    /// end of the source).
    fn refill(&mut self) -> Result<()> {
        self.pending.clear();
        self.pending_pos = 0;
        let frames = (self.source_frames - self.frames_read).min(READ_BLOCK_FRAMES as u64) as usize;
        if frames == 0 {
            self.resampled.clear();
            self.resampler.flush(&mut self.resampled);
            self.pending
                .extend(self.resampled.iter().map(|&x| to_i16(x as f64)));
            self.finished = true;
            return Ok(());
        }
        self.decode(frames)?;
        self.frames_read += frames as u64;
        if self.resampler.is_identity() {
            self.pending.extend(self.mono.iter().map(|&x| to_i16(x)));
        } else {
            self.mono_f32.clear();
            self.mono_f32.extend(self.mono.iter().map(|&x| x as f32));
            self.resampled.clear();
            self.resampler.process(&self.mono_f32, &mut self.resampled);
            self.pending
                .extend(self.resampled.iter().map(|&x| to_i16(x as f64)));
        }
        Ok(())
    }

    /// Decodes `frames` source frames into normalised mono samples in `self.mono`.
    fn decode(&mut self, frames: usize) -> Result<()> {
        let channels = self.info.channels as usize;
        let width = (self.info.block_align as usize) / channels;
        self.raw.resize(frames * channels * width, 0);
        let complete =
            read_full(&mut self.file, &mut self.raw).map_err(|e| Error::io(&self.path, e))?;
        if !complete {
            return Err(Error::bad_file(&self.path, "truncated data"));
        }
        self.mono.clear();
        let per_channel = 1.0 / channels as f64;
        let frame_bytes = channels * width;
        match (self.info.kind, width) {
            (SampleKind::Float, _) => {
                for frame in self.raw.chunks_exact(frame_bytes) {
                    let sum: f64 = frame
                        .chunks_exact(4)
                        .map(|b| {
                            let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                            if v.is_finite() {
                                v as f64
                            } else if v.is_nan() {
                                0.0
                            } else {
                                v.signum() as f64
                            }
                        })
                        .sum();
                    self.mono.push(sum * per_channel);
                }
            }
            (SampleKind::Int, _) => {
                let (decode, full_scale): (fn(&[u8]) -> i64, f64) = match width {
                    1 => (|b| b[0] as i64 - 128, 128.0),
                    2 => (|b| i16::from_le_bytes([b[0], b[1]]) as i64, 32_768.0),
                    3 => (
                        |b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as i64,
                        8_388_608.0,
                    ),
                    _ => (
                        |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
                        2_147_483_648.0,
                    ),
                };
                let scale = per_channel / full_scale;
                for frame in self.raw.chunks_exact(frame_bytes) {
                    let sum: i64 = frame.chunks_exact(width).map(decode).sum();
                    self.mono.push(sum as f64 * scale);
                }
            }
        }
        Ok(())
    }
}

/// Reads a whole WAV file as mono `i16` at `target_rate` Hz (see [`WavReader`] for the
/// conversion rules).
pub fn read_wav_mono(path: impl AsRef<Path>, target_rate: u32) -> Result<Vec<i16>> {
    let mut reader = WavReader::open(path, target_rate)?;
    let mut out = vec![0i16; reader.target_frames().min(1 << 28) as usize];
    let mut len = 0;
    loop {
        if len == out.len() {
            out.resize(len + 4096, 0);
        }
        let n = reader.read(&mut out[len..])?;
        if n == 0 {
            break;
        }
        len += n;
    }
    out.truncate(len);
    Ok(out)
}

/// A file that refuses all further I/O once an operation on it has failed, so that the header
/// last written successfully is never overwritten with sizes covering data that did not reach
/// the file.
struct GuardedFile {
    file: File,
    failed: bool,
}

impl GuardedFile {
    fn check(&self) -> io::Result<()> {
        if self.failed {
            Err(io::Error::other("an earlier write to this file failed"))
        } else {
            Ok(())
        }
    }

    fn guard<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r {
            if e.kind() != io::ErrorKind::Interrupted {
                self.failed = true;
            }
        }
        r
    }
}

impl Write for GuardedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        let r = self.file.write(buf);
        self.guard(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        let r = self.file.flush();
        self.guard(r)
    }
}

impl Seek for GuardedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.check()?;
        let r = self.file.seek(pos);
        self.guard(r)
    }
}

/// A 16-bit PCM WAV writer (mono or interleaved stereo) for recorders.
///
/// The file on disk is a valid WAV at all times: the header is written when the file is created,
/// and its size fields are brought up to date (together with the audio written so far) at least
/// every [`flush_interval_frames`](WavFileWriter::flush_interval_frames) frames of audio —
/// 250 ms by default — as well as on [`flush`](WavFileWriter::flush) and
/// [`finalize`](WavFileWriter::finalize). If the process dies (even by `SIGKILL`), the file
/// reads back with at most the last flush interval of audio missing. Audio written after the
/// last header update may be present past the end of the data chunk, where readers ignore it.
///
/// I/O errors (disk full, file-size limit, ...) are returned as [`Error::Io`] naming the file.
/// After such an error the writer stops touching the file, which keeps the header from the
/// last successful update: the file remains a valid WAV holding the audio up to that point.
/// Further calls return [`Error::InvalidState`].
///
/// A WAV file holds at most 4 GiB of audio (about 74 hours of 8 kHz mono, 6 hours of 48 kHz
/// stereo); a write that would exceed that returns [`Error::Capacity`] and writes nothing.
///
/// Dropping the writer without [`finalize`](WavFileWriter::finalize) still updates the header,
/// but any error is then lost.
pub struct WavFileWriter {
    path: PathBuf,
    writer: Option<hound::WavWriter<BufWriter<GuardedFile>>>,
    sample_rate: u32,
    channels: u16,
    frames_written: u64,
    frames_since_flush: u64,
    flush_interval_frames: u64,
    max_frames: u64,
    failed: bool,
}

impl std::fmt::Debug for WavFileWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavFileWriter")
            .field("path", &self.path)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames_written", &self.frames_written)
            .field("flush_interval_frames", &self.flush_interval_frames)
            .field("failed", &self.failed)
            .finish()
    }
}

impl WavFileWriter {
    /// Creates (or truncates) `path` and writes a valid, empty 16-bit PCM WAV header to it.
    ///
    /// `channels` must be 1 or 2 and `sample_rate` within
    /// [`MIN_RATE_HZ`]`..=`[`MAX_RATE_HZ`] ([`Error::InvalidArgument`] otherwise).
    pub fn create(path: impl AsRef<Path>, sample_rate: u32, channels: u16) -> Result<Self> {
        let path = path.as_ref();
        if !(1..=2).contains(&channels) {
            return Err(Error::arg(
                "channels",
                format!("{channels} channels; only mono and stereo are written"),
            ));
        }
        if !(MIN_RATE_HZ..=MAX_RATE_HZ).contains(&sample_rate) {
            return Err(Error::arg(
                "sample_rate",
                format!("{sample_rate} Hz is outside {MIN_RATE_HZ}..={MAX_RATE_HZ} Hz"),
            ));
        }
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let file = BufWriter::with_capacity(
            IO_BUFFER_BYTES,
            GuardedFile {
                file,
                failed: false,
            },
        );
        let spec = hound::WavSpec {
            channels,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::new(file, spec).map_err(|e| write_error(path, e))?;
        let bytes_per_frame = 2 * channels as u64;
        let mut this = WavFileWriter {
            path: path.to_path_buf(),
            writer: Some(writer),
            sample_rate,
            channels,
            frames_written: 0,
            frames_since_flush: 0,
            flush_interval_frames: (sample_rate as u64 / 4).max(1),
            max_frames: (u32::MAX as u64 - PCM_HEADER_RIFF_BYTES) / bytes_per_frame,
            failed: false,
        };
        this.flush()?;
        Ok(this)
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Number of interleaved channels (1 or 2).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Frames accepted by [`write`](WavFileWriter::write) so far.
    pub fn frames_written(&self) -> u64 {
        self.frames_written
    }

    /// Largest amount of audio, in frames, written between two header updates.
    pub fn flush_interval_frames(&self) -> u64 {
        self.flush_interval_frames
    }

    /// Sets how many frames of audio may be written between two header updates (at least 1).
    /// Smaller values lose less audio if the process dies, at the cost of a few more system
    /// calls; the default is a quarter of a second.
    pub fn set_flush_interval_frames(&mut self, frames: u64) {
        self.flush_interval_frames = frames.max(1);
    }

    /// Appends interleaved samples (`channels` per frame).
    pub fn write(&mut self, interleaved: &[i16]) -> Result<()> {
        let channels = self.channels as usize;
        if !interleaved.len().is_multiple_of(channels) {
            return Err(Error::arg(
                "interleaved",
                format!(
                    "{} samples is not a whole number of {channels}-channel frames",
                    interleaved.len()
                ),
            ));
        }
        let frames = (interleaved.len() / channels) as u64;
        if self.frames_written + frames > self.max_frames {
            return Err(Error::Capacity(format!(
                "{}: a WAV file holds at most {} frames of {channels}-channel 16-bit audio",
                self.path.display(),
                self.max_frames
            )));
        }
        let mut rest = interleaved;
        while !rest.is_empty() {
            let room = self.flush_interval_frames
                - self.frames_since_flush.min(self.flush_interval_frames);
            let take_frames = (rest.len() / channels).min(room.max(1) as usize);
            let (piece, tail) = rest.split_at(take_frames * channels);
            self.write_piece(piece)?;
            self.frames_written += take_frames as u64;
            self.frames_since_flush += take_frames as u64;
            if self.frames_since_flush >= self.flush_interval_frames {
                self.flush()?;
            }
            rest = tail;
        }
        Ok(())
    }

    fn live_writer(&mut self) -> Result<&mut hound::WavWriter<BufWriter<GuardedFile>>> {
        match (&mut self.writer, self.failed) {
            (Some(w), false) => Ok(w),
            _ => Err(Error::state(
                self.path.display().to_string(),
                "an earlier write failed; the file holds the audio up to the last header update",
            )),
        }
    }

    fn write_piece(&mut self, piece: &[i16]) -> Result<()> {
        let writer = self.live_writer()?;
        let mut samples = writer.get_i16_writer(piece.len() as u32);
        for &s in piece {
            samples.write_sample(s);
        }
        let r = samples.flush();
        r.map_err(|e| self.fail(e))
    }

    fn fail(&mut self, e: hound::Error) -> Error {
        self.failed = true;
        write_error(&self.path, e)
    }

    /// Writes all buffered audio to the file and updates the header's sizes.
    pub fn flush(&mut self) -> Result<()> {
        let writer = self.live_writer()?;
        let r = writer.flush();
        r.map_err(|e| self.fail(e))?;
        self.frames_since_flush = 0;
        Ok(())
    }

    /// Completes the file: writes all buffered audio and the final header.
    pub fn finalize(mut self) -> Result<()> {
        self.live_writer()?;
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        writer.finalize().map_err(|e| self.fail(e))
    }
}

fn write_error(path: &Path, e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) => Error::io(path, io),
        other => Error::io(path, io::Error::other(other.to_string())),
    }
}

/// Writes `samples` as a complete mono 16-bit PCM WAV file at `rate` Hz.
pub fn write_wav_mono(path: impl AsRef<Path>, rate: u32, samples: &[i16]) -> Result<()> {
    let mut writer = WavFileWriter::create(path, rate, 1)?;
    writer.write(samples)?;
    writer.finalize()
}
