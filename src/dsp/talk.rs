//! Talk detection: frame level with hysteresis, an attack time and a hang time.
//!
//! The detector works on frame energies (sums of squares) against thresholds precomputed in
//! the same unit, so the per-frame cost is two comparisons and a smoothing step.

use crate::dsp::level::{dbm0_to_mean_square, mean_square_to_dbm0};

/// Talk detector settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TalkConfig {
    /// A frame at or above this level counts towards the start of talking.
    pub on_dbm0: f64,
    /// A frame below this level counts towards the end of talking (hysteresis: below `on_dbm0`).
    pub off_dbm0: f64,
    /// Loud frames needed, in ms, before talking is reported.
    pub attack_ms: u32,
    /// Quiet time, in ms, after which talking is reported to have stopped.
    pub hang_ms: u32,
}

impl Default for TalkConfig {
    fn default() -> Self {
        TalkConfig {
            on_dbm0: -36.0,
            off_dbm0: -42.0,
            attack_ms: 40,
            hang_ms: 500,
        }
    }
}

/// A change of talking state reported by [`TalkDetector::process_energy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TalkChange {
    /// The input started talking.
    Started,
    /// The input stopped talking.
    Stopped,
}

/// Per-input talk detector.
#[derive(Debug, Clone)]
pub struct TalkDetector {
    on_energy: u64,
    off_energy: u64,
    attack_frames: u32,
    hang_frames: u32,
    frame_len: usize,
    talking: bool,
    count: u32,
    smooth_energy: u64,
}

impl TalkDetector {
    /// A detector for frames of `frame_len` samples lasting `frame_ms` each.
    pub fn new(config: &TalkConfig, frame_len: usize, frame_ms: u32) -> Self {
        let per_frame = |dbm0: f64| (dbm0_to_mean_square(dbm0) * frame_len as f64) as u64;
        let frames = |ms: u32| ms.div_ceil(frame_ms.max(1)).max(1);
        TalkDetector {
            on_energy: per_frame(config.on_dbm0),
            off_energy: per_frame(config.off_dbm0.min(config.on_dbm0)),
            attack_frames: frames(config.attack_ms),
            hang_frames: frames(config.hang_ms),
            frame_len,
            talking: false,
            count: 0,
            smooth_energy: 0,
        }
    }

    /// Feeds the energy (sum of squares) of one frame; returns a change of state, if any.
    #[inline]
    pub fn process_energy(&mut self, energy: u64) -> Option<TalkChange> {
        // One-pole smoothing with a time constant of 4 frames, for status reports.
        self.smooth_energy = self.smooth_energy - (self.smooth_energy >> 2) + (energy >> 2);
        if self.talking {
            if energy < self.off_energy {
                self.count += 1;
                if self.count >= self.hang_frames {
                    self.talking = false;
                    self.count = 0;
                    return Some(TalkChange::Stopped);
                }
            } else {
                self.count = 0;
            }
        } else if energy >= self.on_energy {
            self.count += 1;
            if self.count >= self.attack_frames {
                self.talking = true;
                self.count = 0;
                return Some(TalkChange::Started);
            }
        } else {
            self.count = 0;
        }
        None
    }

    /// Forces the state to "not talking"; returns true when it was talking.
    pub fn reset(&mut self) -> bool {
        let was = self.talking;
        self.talking = false;
        self.count = 0;
        self.smooth_energy = 0;
        was
    }

    /// Whether the input is currently reported as talking.
    pub fn is_talking(&self) -> bool {
        self.talking
    }

    /// Smoothed level over the last few frames, in dBm0.
    pub fn level_dbm0(&self) -> f64 {
        mean_square_to_dbm0(self.smooth_energy as f64 / self.frame_len.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::level::sine_amplitude_for_dbm0;

    fn tone_energy(dbm0: f64, len: usize) -> u64 {
        let a = sine_amplitude_for_dbm0(dbm0);
        (0..len)
            .map(|n| {
                let v = (a * (n as f64 * 0.7).sin()).round() as i64;
                (v * v) as u64
            })
            .sum()
    }

    #[test]
    fn hysteresis_attack_and_hang() {
        let cfg = TalkConfig::default();
        let mut d = TalkDetector::new(&cfg, 160, 20);
        let loud = tone_energy(-20.0, 160);
        let mid = tone_energy(-39.0, 160); // between off and on
        let quiet = tone_energy(-60.0, 160);
        assert_eq!(d.process_energy(loud), None);
        assert_eq!(d.process_energy(loud), Some(TalkChange::Started));
        // Between the thresholds: keeps talking indefinitely.
        for _ in 0..100 {
            assert_eq!(d.process_energy(mid), None);
        }
        // 500 ms hang = 25 frames of 20 ms.
        for _ in 0..24 {
            assert_eq!(d.process_energy(quiet), None);
        }
        assert_eq!(d.process_energy(quiet), Some(TalkChange::Stopped));
        // A level between thresholds does not start talking.
        for _ in 0..100 {
            assert_eq!(d.process_energy(mid), None);
        }
        assert!(!d.is_talking());
    }
}
