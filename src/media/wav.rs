//! WAV reading and writing (temporary minimal version).
#![allow(missing_docs)]
use crate::{Error, Result};
use std::path::{Path, PathBuf};

pub struct WavReader {
    path: PathBuf,
    data: Vec<i16>,
    pos: usize,
}

impl WavReader {
    pub fn open(path: impl AsRef<Path>, target_rate: u32) -> Result<WavReader> {
        let path = path.as_ref().to_path_buf();
        let mut r = hound::WavReader::open(&path).map_err(|e| Error::bad_file(&path, e.to_string()))?;
        let spec = r.spec();
        if spec.sample_rate != target_rate {
            return Err(Error::bad_file(&path, "rate"));
        }
        let ch = spec.channels as usize;
        let s: Vec<i16> = r.samples::<i16>().collect::<std::result::Result<_, _>>().map_err(|e| Error::bad_file(&path, e.to_string()))?;
        let data = s.chunks(ch).map(|c| (c.iter().map(|&v| v as i32).sum::<i32>() / ch as i32) as i16).collect();
        Ok(WavReader { path, data, pos: 0 })
    }
    pub fn read(&mut self, out: &mut [i16]) -> Result<usize> {
        let n = out.len().min(self.data.len() - self.pos);
        out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        let _ = &self.path;
        Ok(n)
    }
    pub fn rewind(&mut self) -> Result<()> { self.pos = 0; Ok(()) }
    pub fn source_frames(&self) -> u64 { self.data.len() as u64 }
}

pub struct WavFileWriter {
    w: hound::WavWriter<std::io::BufWriter<std::fs::File>>,
    frames: u64,
    ch: u16,
}

impl WavFileWriter {
    pub fn create(path: impl AsRef<Path>, sample_rate: u32, channels: u16) -> Result<Self> {
        let spec = hound::WavSpec { channels, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        let w = hound::WavWriter::create(path.as_ref(), spec).map_err(|e| Error::bad_file(path.as_ref(), e.to_string()))?;
        Ok(WavFileWriter { w, frames: 0, ch: channels })
    }
    pub fn write(&mut self, x: &[i16]) -> Result<()> {
        for &v in x { self.w.write_sample(v).map_err(|e| Error::bad_file("x", e.to_string()))?; }
        self.frames += (x.len() / self.ch as usize) as u64;
        Ok(())
    }
    pub fn finalize(self) -> Result<()> { self.w.finalize().map_err(|e| Error::bad_file("x", e.to_string())) }
    pub fn frames_written(&self) -> u64 { self.frames }
}

pub fn read_wav_mono(path: impl AsRef<Path>, target_rate: u32) -> Result<Vec<i16>> {
    Ok(WavReader::open(path, target_rate)?.data)
}

pub fn write_wav_mono(path: impl AsRef<Path>, rate: u32, samples: &[i16]) -> Result<()> {
    let mut w = WavFileWriter::create(path, rate, 1)?;
    w.write(samples)?;
    w.finalize()
}
