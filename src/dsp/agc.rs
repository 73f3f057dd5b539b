//! Automatic gain control for speech.
//!
//! The AGC estimates the average level of speech (frames classed as speech only) and moves its
//! gain slowly towards `target - level`, bounded by `min_gain_db..=max_gain_db`. Frames that are
//! not speech (below `speech_threshold_dbm0`, or less than 9 dB above the noise floor) never
//! update the estimate, and the gain applied to them is at most 0 dB: silence and noise are
//! never raised. The noise floor is the minimum frame level over the last 1.5 s (five
//! sub-windows of 300 ms), so speech, which pauses between syllables, stands above it while
//! steady noise does not: a new steady noise is recognised as noise within 1.5 s. Gain changes
//! are ramped sample by sample across each frame.

use crate::dsp::level::{dbm0_to_mean_square, GAIN_ONE};

/// AGC settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgcConfig {
    /// Average speech level to reach, in dBm0.
    pub target_dbm0: f64,
    /// Largest gain the AGC applies, in dB.
    pub max_gain_db: f64,
    /// Smallest gain (largest attenuation) the AGC applies, in dB.
    pub min_gain_db: f64,
    /// Time constant of the speech-level estimate, in ms.
    pub level_time_ms: u32,
    /// Time constant with which the gain falls, in ms.
    pub attack_ms: u32,
    /// Time constant with which the gain rises, in ms.
    pub release_ms: u32,
    /// Frames below this level are never speech.
    pub speech_threshold_dbm0: f64,
}

impl Default for AgcConfig {
    fn default() -> Self {
        AgcConfig {
            target_dbm0: -12.0,
            max_gain_db: 15.0,
            min_gain_db: -15.0,
            level_time_ms: 1000,
            attack_ms: 300,
            release_ms: 2000,
            speech_threshold_dbm0: -45.0,
        }
    }
}

/// Per-stream AGC state.
#[derive(Debug, Clone)]
pub struct Agc {
    target_ms: f64,
    min_gain: f64,
    max_gain: f64,
    speech_floor_ms: f64,
    level_alpha: f64,
    attack_alpha: f64,
    release_alpha: f64,
    window_min: [f64; 5],
    window_pos: usize,
    window_frames: u32,
    window_left: u32,
    speech_ms: f64,
    gain: f64,
    applied_q12: i32,
    hangover: u32,
    hang_frames: u32,
}

fn alpha(frame_ms: u32, tau_ms: u32) -> f64 {
    1.0 - (-(frame_ms as f64) / tau_ms.max(1) as f64).exp()
}

impl Agc {
    /// An AGC for frames of `frame_ms` milliseconds.
    pub fn new(config: &AgcConfig, frame_ms: u32) -> Self {
        Agc {
            target_ms: dbm0_to_mean_square(config.target_dbm0),
            min_gain: 10f64.powf(config.min_gain_db.min(0.0) / 20.0),
            max_gain: 10f64.powf(config.max_gain_db.max(0.0) / 20.0),
            speech_floor_ms: dbm0_to_mean_square(config.speech_threshold_dbm0),
            level_alpha: alpha(frame_ms, config.level_time_ms),
            attack_alpha: alpha(frame_ms, config.attack_ms),
            release_alpha: alpha(frame_ms, config.release_ms),
            window_min: [f64::INFINITY; 5],
            window_pos: 0,
            window_frames: 300u32.div_ceil(frame_ms.max(1)),
            window_left: 300u32.div_ceil(frame_ms.max(1)),
            speech_ms: 0.0,
            gain: 1.0,
            applied_q12: GAIN_ONE,
            hangover: 0,
            hang_frames: 200u32.div_ceil(frame_ms.max(1)),
        }
    }

    /// Current gain in dB (the speech gain, before the no-raise rule for non-speech frames).
    pub fn gain_db(&self) -> f64 {
        20.0 * self.gain.log10()
    }

    fn update(&mut self, mean_sq: f64) -> i32 {
        // Minimum statistics over five sub-windows.
        let cur = &mut self.window_min[self.window_pos];
        *cur = cur.min(mean_sq);
        let floor = self
            .window_min
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        self.window_left -= 1;
        if self.window_left == 0 {
            self.window_left = self.window_frames;
            self.window_pos = (self.window_pos + 1) % self.window_min.len();
            self.window_min[self.window_pos] = f64::INFINITY;
        }
        let speech = mean_sq >= self.speech_floor_ms && mean_sq >= floor.max(1e-3) * 7.94;
        if speech {
            self.hangover = self.hang_frames;
            self.speech_ms = if self.speech_ms == 0.0 {
                mean_sq
            } else {
                self.speech_ms + self.level_alpha * (mean_sq - self.speech_ms)
            };
            let want = (self.target_ms / self.speech_ms)
                .sqrt()
                .clamp(self.min_gain, self.max_gain);
            let a = if want < self.gain {
                self.attack_alpha
            } else {
                self.release_alpha
            };
            self.gain += a * (want - self.gain);
        } else if self.hangover > 0 {
            self.hangover -= 1;
        }
        let g = if speech || self.hangover > 0 {
            self.gain
        } else {
            self.gain.min(1.0)
        };
        (g * GAIN_ONE as f64).round() as i32
    }

    /// Applies the AGC to a frame in place.
    pub fn process(&mut self, x: &mut [i16]) {
        if x.is_empty() {
            return;
        }
        let ms = crate::dsp::mix::energy(x) as f64 / x.len() as f64;
        let target = self.update(ms);
        let start = self.applied_q12;
        let n = x.len() as i64;
        for (i, v) in x.iter_mut().enumerate() {
            let g = start as i64 + (target as i64 - start as i64) * (i as i64 + 1) / n;
            let y = (*v as i64 * g + 2048) >> 12;
            *v = y.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
        }
        self.applied_q12 = target;
    }

    /// Applies the AGC to a mix accumulator, saturating into `out`.
    pub fn process_acc(&mut self, acc: &[i32], out: &mut [i16]) {
        if acc.is_empty() {
            return;
        }
        let ms = acc.iter().map(|&v| (v as f64) * (v as f64)).sum::<f64>() / acc.len() as f64;
        let target = self.update(ms);
        let start = self.applied_q12;
        let n = acc.len() as i64;
        for (i, (o, &v)) in out.iter_mut().zip(acc).enumerate() {
            let g = start as i64 + (target as i64 - start as i64) * (i as i64 + 1) / n;
            let y = (v as i64 * g + 2048) >> 12;
            *o = y.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
        }
        self.applied_q12 = target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::level::{frame_dbm0, sine_amplitude_for_dbm0};

    /// Speech-like test signal: a 300 Hz tone bursting on for 300 ms and off for 200 ms, over
    /// low noise.
    fn talker(dbm0: f64, noise: i16, frames: usize, seed: &mut u32) -> Vec<Vec<i16>> {
        let a = sine_amplitude_for_dbm0(dbm0);
        (0..frames)
            .map(|f| {
                (0..160)
                    .map(|i| {
                        let n = f * 160 + i;
                        *seed ^= *seed << 13;
                        *seed ^= *seed >> 17;
                        *seed ^= *seed << 5;
                        let r = (*seed % (2 * noise as u32 + 1)) as i32 - noise as i32;
                        let on = (n / 8) % 500 < 300;
                        let s = if on {
                            a * (2.0 * std::f64::consts::PI * 300.0 * n as f64 / 8000.0).sin()
                        } else {
                            0.0
                        };
                        (s.round() as i32 + r).clamp(-32768, 32767) as i16
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn quiet_talker_is_raised_towards_target() {
        let mut seed = 7;
        let frames = talker(-26.0, 20, 1500, &mut seed);
        let mut agc = Agc::new(&AgcConfig::default(), 20);
        let mut last_on = Vec::new();
        for (i, f) in frames.into_iter().enumerate() {
            let mut f = f;
            agc.process(&mut f);
            // Frame fully inside a burst: 20 ms frames, bursts of 300 ms every 500 ms.
            if i > 1200 && (i * 20) % 500 < 260 && (i * 20) % 500 > 20 {
                last_on.push(frame_dbm0(&f));
            }
        }
        let avg = last_on.iter().sum::<f64>() / last_on.len() as f64;
        assert!(
            (avg - -12.0).abs() < 2.0,
            "speech level after AGC {avg} dBm0"
        );
        assert!((agc.gain_db() - 14.0).abs() < 1.5, "gain {}", agc.gain_db());
    }

    #[test]
    fn loud_talker_is_lowered_and_gain_is_bounded() {
        let mut seed = 9;
        let mut agc = Agc::new(&AgcConfig::default(), 20);
        for mut f in talker(0.0, 20, 1000, &mut seed) {
            agc.process(&mut f);
        }
        assert!(
            (agc.gain_db() - -12.0).abs() < 1.5,
            "gain {}",
            agc.gain_db()
        );
        let mut agc = Agc::new(&AgcConfig::default(), 20);
        for mut f in talker(-50.0 + 10.0, 3, 1500, &mut seed) {
            agc.process(&mut f);
        }
        assert!(agc.gain_db() <= 15.0 + 1e-9);
    }

    #[test]
    fn never_raises_silence_or_noise() {
        let mut seed = 3;
        let mut agc = Agc::new(&AgcConfig::default(), 20);
        // Some speech first drives the gain up...
        for mut f in talker(-26.0, 20, 600, &mut seed) {
            agc.process(&mut f);
        }
        assert!(agc.gain_db() > 6.0);
        // ...then steady noise alone must not come out louder than it went in.
        for i in 0..500 {
            let f: Vec<i16> = (0..160)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    ((seed % 401) as i32 - 200) as i16
                })
                .collect();
            let mut g = f.clone();
            agc.process(&mut g);
            // Once the noise has been steady for 1.5 s it is never raised.
            if i >= 75 {
                assert!(frame_dbm0(&g) <= frame_dbm0(&f) + 0.01, "frame {i}");
            }
        }
        let mut zero = vec![0i16; 160];
        agc.process(&mut zero);
        assert!(zero.iter().all(|&v| v == 0));
    }
}
