//! DSP kernels: mixing arithmetic, levels, talk detection, AGC, resampling, tone detection and
//! generation, G.711 companding.
//!
//! Nothing in this layer allocates after construction, performs I/O or knows about channels.

pub mod agc;
pub mod callprogress;
pub mod dtmf;
pub mod g711;
pub mod goertzel;
pub mod level;
pub mod mix;
pub mod resample;
pub mod synth;
pub mod talk;
pub mod tonegen;
pub mod tones;
