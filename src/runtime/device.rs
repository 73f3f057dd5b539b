//! The sound card as a conference party (feature `device`): capture and playback through
//! cpal, adapted to the processor's rate and frame size.
//!
//! The device callbacks only move samples between the device and two lock-free rings at the
//! device's rate (mono, `f32` in 16-bit units); they never block, lock or allocate, and play
//! silence when the ring is empty. A pump thread converts between those rings and an
//! [`AppEndpoint`] at the processor's rate (resampling with [`Resampler`]), in whole frames.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SizedSample};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::AppEndpoint;
use crate::dsp::resample::Resampler;
use crate::{Error, Result};

/// A sound device as listed by [`list_devices`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device's name (pass it to [`SoundCard::open`]).
    pub name: String,
    /// Whether it captures.
    pub input: bool,
    /// Whether it plays.
    pub output: bool,
    /// Its default sample rate, in Hz.
    pub default_rate: Option<u32>,
}

fn dev_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::state("sound card", format!("{what}: {e}"))
}

/// The devices of the default host.
pub fn list_devices() -> Result<Vec<DeviceInfo>> {
    let host = cpal::default_host();
    let devices = host.devices().map_err(|e| dev_err("listing devices", e))?;
    Ok(devices
        .map(|d| {
            let input = d.default_input_config().ok();
            let output = d.default_output_config().ok();
            DeviceInfo {
                name: d.name().unwrap_or_else(|_| "?".into()),
                input: input.is_some(),
                output: output.is_some(),
                default_rate: output.or(input).map(|c| c.sample_rate().0),
            }
        })
        .collect())
}

/// Counters of a sound card party.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SoundCardStats {
    /// Device samples captured.
    pub captured: u64,
    /// Device samples played.
    pub played: u64,
    /// Captured samples dropped because the capture ring was full.
    pub capture_dropped: u64,
    /// Playback samples the device wanted and did not get (played as silence).
    pub playback_missing: u64,
}

#[derive(Default)]
struct Counters {
    captured: AtomicU64,
    played: AtomicU64,
    capture_dropped: AtomicU64,
    playback_missing: AtomicU64,
}

/// Capture and playback on one device, exchanging frames with the processor through an
/// [`AppEndpoint`]. Dropping it (or [`SoundCard::close`]) stops the streams.
pub struct SoundCard {
    _input: Option<cpal::Stream>,
    _output: Option<cpal::Stream>,
    stop: Arc<AtomicBool>,
    pump: Option<JoinHandle<AppEndpoint>>,
    counters: Arc<Counters>,
    name: String,
}

impl std::fmt::Debug for SoundCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoundCard")
            .field("name", &self.name)
            .finish()
    }
}

fn find_device(name: Option<&str>, input: bool) -> Result<cpal::Device> {
    let host = cpal::default_host();
    match name {
        None => if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        }
        .ok_or_else(|| Error::state("sound card", "no default device")),
        Some(n) => host
            .devices()
            .map_err(|e| dev_err("listing devices", e))?
            .find(|d| d.name().map(|x| x == n).unwrap_or(false))
            .ok_or_else(|| Error::arg("device", format!("no device named {n:?}"))),
    }
}

fn build_input<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut prod: HeapProd<f32>,
    counters: Arc<Counters>,
) -> Result<cpal::Stream>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let ch = config.channels.max(1) as usize;
    device
        .build_input_stream(
            config,
            move |data: &[T], _: &cpal::InputCallbackInfo| {
                let mut dropped = 0u64;
                for frame in data.chunks(ch) {
                    let sum: f32 = frame.iter().map(|s| f32::from_sample(*s)).sum();
                    if prod.try_push(sum / ch as f32 * 32767.0).is_err() {
                        dropped += 1;
                    }
                }
                let n = (data.len() / ch) as u64;
                counters.captured.fetch_add(n, Ordering::Relaxed);
                counters
                    .capture_dropped
                    .fetch_add(dropped, Ordering::Relaxed);
            },
            |e| eprintln!("tutti sound card: capture: {e}"),
            None,
        )
        .map_err(|e| dev_err("opening capture", e))
}

fn build_output<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut cons: HeapCons<f32>,
    counters: Arc<Counters>,
) -> Result<cpal::Stream>
where
    T: SizedSample + FromSample<f32>,
{
    let ch = config.channels.max(1) as usize;
    device
        .build_output_stream(
            config,
            move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
                let mut missing = 0u64;
                for frame in data.chunks_mut(ch) {
                    let v = match cons.try_pop() {
                        Some(v) => v / 32768.0,
                        None => {
                            missing += 1;
                            0.0
                        }
                    };
                    for s in frame.iter_mut() {
                        *s = T::from_sample(v);
                    }
                }
                let n = (data.len() / ch) as u64;
                counters.played.fetch_add(n, Ordering::Relaxed);
                counters
                    .playback_missing
                    .fetch_add(missing, Ordering::Relaxed);
            },
            |e| eprintln!("tutti sound card: playback: {e}"),
            None,
        )
        .map_err(|e| dev_err("opening playback", e))
}

impl SoundCard {
    /// Opens capture and playback on the named device (or the defaults) and starts moving
    /// audio between it and `endpoint` (typically from
    /// [`RuntimeHandle::app_channel`](super::RuntimeHandle::app_channel)) at `rate` Hz.
    pub fn open(name: Option<&str>, endpoint: AppEndpoint, rate: u32) -> Result<SoundCard> {
        let counters = Arc::new(Counters::default());
        let in_dev = find_device(name, true)?;
        let out_dev = find_device(name, false)?;
        let in_cfg = in_dev
            .default_input_config()
            .map_err(|e| dev_err("capture configuration", e))?;
        let out_cfg = out_dev
            .default_output_config()
            .map_err(|e| dev_err("playback configuration", e))?;
        let in_rate = in_cfg.sample_rate().0;
        let out_rate = out_cfg.sample_rate().0;
        // Half a second of device audio each way.
        let (cap_prod, cap_cons) = HeapRb::<f32>::new(in_rate as usize / 2).split();
        let (play_prod, play_cons) = HeapRb::<f32>::new(out_rate as usize / 2).split();
        let sc: cpal::StreamConfig = in_cfg.config();
        let input = match in_cfg.sample_format() {
            cpal::SampleFormat::F32 => build_input::<f32>(&in_dev, &sc, cap_prod, counters.clone()),
            cpal::SampleFormat::I16 => build_input::<i16>(&in_dev, &sc, cap_prod, counters.clone()),
            cpal::SampleFormat::I32 => build_input::<i32>(&in_dev, &sc, cap_prod, counters.clone()),
            cpal::SampleFormat::U16 => build_input::<u16>(&in_dev, &sc, cap_prod, counters.clone()),
            f => return Err(dev_err("capture", format!("sample format {f} unsupported"))),
        }?;
        let oc: cpal::StreamConfig = out_cfg.config();
        let output = match out_cfg.sample_format() {
            cpal::SampleFormat::F32 => {
                build_output::<f32>(&out_dev, &oc, play_cons, counters.clone())
            }
            cpal::SampleFormat::I16 => {
                build_output::<i16>(&out_dev, &oc, play_cons, counters.clone())
            }
            cpal::SampleFormat::I32 => {
                build_output::<i32>(&out_dev, &oc, play_cons, counters.clone())
            }
            cpal::SampleFormat::U16 => {
                build_output::<u16>(&out_dev, &oc, play_cons, counters.clone())
            }
            f => {
                return Err(dev_err(
                    "playback",
                    format!("sample format {f} unsupported"),
                ))
            }
        }?;
        let mut rs_in = Resampler::new(in_rate, rate)?;
        let mut rs_out = Resampler::new(rate, out_rate)?;
        input.play().map_err(|e| dev_err("starting capture", e))?;
        output.play().map_err(|e| dev_err("starting playback", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let pump = {
            let stop = stop.clone();
            let mut ep = endpoint;
            let (mut cap_cons, mut play_prod) = (cap_cons, play_prod);
            std::thread::Builder::new()
                .name("tutti-soundcard".into())
                .spawn(move || {
                    let l = ep.frame_len();
                    let mut raw = vec![0f32; 4096];
                    let mut conv = Vec::new();
                    let mut pending: Vec<i16> = Vec::new();
                    let mut frame = vec![0i16; l];
                    let mut back = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        // Capture: device rate to processor frames.
                        loop {
                            let n = cap_cons.pop_slice(&mut raw);
                            if n == 0 {
                                break;
                            }
                            conv.clear();
                            rs_in.process(&raw[..n], &mut conv);
                            pending.extend(conv.iter().map(|v| v.clamp(-32768.0, 32767.0) as i16));
                        }
                        while pending.len() >= l {
                            let _ = ep.write(&pending[..l]);
                            pending.drain(..l);
                        }
                        // Playback: processor frames to device rate.
                        while ep.readable() > 0 {
                            let _ = ep.read(&mut frame);
                            let x: Vec<f32> = frame.iter().map(|&s| s as f32).collect();
                            back.clear();
                            rs_out.process(&x, &mut back);
                            play_prod.push_slice(&back);
                        }
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    ep
                })
                .map_err(|e| dev_err("spawn", e))?
        };
        Ok(SoundCard {
            _input: Some(input),
            _output: Some(output),
            stop,
            pump: Some(pump),
            counters,
            name: name.unwrap_or("default").to_string(),
        })
    }

    /// The device's counters.
    pub fn stats(&self) -> SoundCardStats {
        let c = &self.counters;
        SoundCardStats {
            captured: c.captured.load(Ordering::Relaxed),
            played: c.played.load(Ordering::Relaxed),
            capture_dropped: c.capture_dropped.load(Ordering::Relaxed),
            playback_missing: c.playback_missing.load(Ordering::Relaxed),
        }
    }

    /// Stops the streams and returns the endpoint.
    pub fn close(mut self) -> Option<AppEndpoint> {
        self.stop_pump()
    }

    fn stop_pump(&mut self) -> Option<AppEndpoint> {
        self._input = None;
        self._output = None;
        self.stop.store(true, Ordering::Relaxed);
        self.pump.take().and_then(|p| p.join().ok())
    }
}

impl Drop for SoundCard {
    fn drop(&mut self) {
        let _ = self.stop_pump();
    }
}
