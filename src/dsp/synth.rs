//! Synthetic test signals: speech-like talkers and background music.
//!
//! [`SpeechLike`] makes a deterministic, speech-like signal: talk spurts of 0.8 to 3 s separated
//! by pauses of 0.4 to 1.6 s; within a spurt, syllables of 110 to 260 ms, each a voiced vowel
//! (a glottal pulse train at the talker's pitch, with jitter, through two formant resonators)
//! or an unvoiced consonant (filtered noise), under a raised-cosine envelope. Different seeds
//! give different pitches, vowels and timing. It is used by `tutti demo`, `tutti bench` and
//! the tests; it is not speech, but it has speech's level statistics and spectrum envelope.

use std::f32::consts::PI;

use crate::dsp::level::sine_amplitude_for_dbm0;

/// A small deterministic PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Resonator {
    a1: f32,
    a2: f32,
    gain: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn set(&mut self, freq: f32, bw: f32, rate: f32) {
        let r = (-PI * bw / rate).exp();
        self.a1 = 2.0 * r * (2.0 * PI * freq / rate).cos();
        self.a2 = -r * r;
        self.gain = 1.0 - r;
    }

    #[inline]
    fn run(&mut self, x: f32) -> f32 {
        let y = self.gain * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

const VOWELS: [(f32, f32); 8] = [
    (730.0, 1090.0),
    (270.0, 2290.0),
    (530.0, 1840.0),
    (570.0, 840.0),
    (300.0, 870.0),
    (660.0, 1720.0),
    (490.0, 1350.0),
    (440.0, 1020.0),
];

/// A deterministic speech-like talker. See the module documentation.
#[derive(Debug, Clone)]
pub struct SpeechLike {
    rate: f32,
    rng: Rng,
    pitch: f32,
    amplitude: f32,
    talking: bool,
    state_left: u32,
    syl_len: u32,
    syl_pos: u32,
    voiced: bool,
    phase: f32,
    f0: f32,
    f1: Resonator,
    f2: Resonator,
}

impl SpeechLike {
    /// A talker at `rate` Hz whose talk spurts average about `level_dbm0`.
    pub fn new(rate: u32, seed: u64, level_dbm0: f64) -> Self {
        let mut rng = Rng::new(seed);
        let pitch = rng.range(95.0, 230.0);
        let start_talking = rng.uniform() < 0.5;
        let state_left = (rng.range(0.2, 1.2) * rate as f32) as u32;
        SpeechLike {
            rate: rate as f32,
            rng,
            pitch,
            // The envelope and the resonators' gains leave the spurt level near the target.
            amplitude: sine_amplitude_for_dbm0(level_dbm0) as f32 * 2.6,
            talking: start_talking,
            state_left,
            syl_len: 1,
            syl_pos: 1,
            voiced: true,
            phase: 0.0,
            f0: pitch,
            f1: Resonator::default(),
            f2: Resonator::default(),
        }
    }

    fn next_syllable(&mut self) {
        self.syl_len = (self.rng.range(0.11, 0.26) * self.rate) as u32;
        self.syl_pos = 0;
        self.voiced = self.rng.uniform() < 0.8;
        let (f1, f2) = VOWELS[(self.rng.next_u64() % VOWELS.len() as u64) as usize];
        let nyq = self.rate / 2.0 - 200.0;
        if self.voiced {
            self.f1.set(f1.min(nyq), 90.0, self.rate);
            self.f2.set(f2.min(nyq), 130.0, self.rate);
        } else {
            self.f1.set(2500f32.min(nyq), 900.0, self.rate);
            self.f2.set(3300f32.min(nyq), 1200.0, self.rate);
        }
        self.f0 = self.pitch * self.rng.range(0.85, 1.2);
    }

    /// Whether the talker is in a talk spurt now.
    pub fn is_talking(&self) -> bool {
        self.talking
    }

    /// One sample.
    #[inline]
    pub fn sample(&mut self) -> i16 {
        if self.state_left == 0 {
            self.talking = !self.talking;
            let secs = if self.talking {
                self.rng.range(0.8, 3.0)
            } else {
                self.rng.range(0.4, 1.6)
            };
            self.state_left = (secs * self.rate) as u32;
            self.syl_pos = self.syl_len;
        }
        self.state_left -= 1;
        if !self.talking {
            return 0;
        }
        if self.syl_pos >= self.syl_len {
            self.next_syllable();
        }
        let env = 0.5 - 0.5 * (2.0 * PI * self.syl_pos as f32 / self.syl_len as f32).cos();
        self.syl_pos += 1;
        let excitation = if self.voiced {
            self.phase += self.f0 * (1.0 + 0.01 * (self.rng.uniform() - 0.5)) / self.rate;
            let mut e = 0.0;
            if self.phase >= 1.0 {
                self.phase -= 1.0;
                e = self.rate / self.f0;
            }
            e + 0.3 * (self.rng.uniform() - 0.5)
        } else {
            2.0 * (self.rng.uniform() - 0.5)
        };
        let y = self.f1.run(excitation) + 0.6 * self.f2.run(excitation);
        (y * env * self.amplitude * if self.voiced { 0.12 } else { 0.5 }).clamp(-32768.0, 32767.0)
            as i16
    }

    /// Fills a buffer.
    pub fn fill(&mut self, out: &mut [i16]) {
        for v in out {
            *v = self.sample();
        }
    }
}

/// Soft background music: slowly changing three-note chords with a gentle attack.
#[derive(Debug, Clone)]
pub struct Music {
    rate: f32,
    n: u64,
    phases: [f32; 3],
    freqs: [f32; 3],
    amplitude: f32,
}

const CHORDS: [[f32; 3]; 4] = [
    [261.63, 329.63, 392.00],
    [220.00, 261.63, 329.63],
    [174.61, 220.00, 261.63],
    [196.00, 246.94, 293.66],
];

impl Music {
    /// Music at `rate` Hz around `level_dbm0`.
    pub fn new(rate: u32, level_dbm0: f64) -> Self {
        Music {
            rate: rate as f32,
            n: 0,
            phases: [0.0; 3],
            freqs: CHORDS[0],
            amplitude: sine_amplitude_for_dbm0(level_dbm0) as f32 / 3f32.sqrt(),
        }
    }

    /// Fills a buffer.
    pub fn fill(&mut self, out: &mut [i16]) {
        let bar = (self.rate * 2.0) as u64;
        for v in out {
            let pos = self.n % bar;
            if pos == 0 {
                self.freqs = CHORDS[((self.n / bar) % CHORDS.len() as u64) as usize];
            }
            let env =
                (pos as f32 / (0.05 * self.rate)).min(1.0) * (1.0 - 0.5 * pos as f32 / bar as f32);
            let mut s = 0.0;
            for k in 0..3 {
                self.phases[k] = (self.phases[k] + self.freqs[k] / self.rate).fract();
                s += (2.0 * PI * self.phases[k]).sin();
            }
            *v = (s * env * self.amplitude).clamp(-32768.0, 32767.0) as i16;
            self.n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::level::frame_dbm0;

    #[test]
    fn talkers_pause_and_differ() {
        let mut a = SpeechLike::new(8000, 1, -18.0);
        let mut b = SpeechLike::new(8000, 2, -18.0);
        let mut xa = vec![0i16; 8000 * 20];
        let mut xb = vec![0i16; 8000 * 20];
        a.fill(&mut xa);
        b.fill(&mut xb);
        assert_ne!(xa, xb);
        let frames: Vec<f64> = xa.chunks(160).map(frame_dbm0).collect();
        let silent = frames.iter().filter(|&&l| l < -100.0).count();
        let loud = frames.iter().filter(|&&l| l > -30.0).count();
        assert!(silent > frames.len() / 10, "pauses: {silent}");
        assert!(loud > frames.len() / 4, "talk: {loud}");
        let talk: Vec<i16> = xa
            .chunks(160)
            .filter(|f| frame_dbm0(f) > -40.0)
            .flatten()
            .copied()
            .collect();
        let l = frame_dbm0(&talk);
        assert!((l - -18.0).abs() < 6.0, "spurt level {l}");
    }
}
