//! DSP kernels: mixing arithmetic, levels, talk detection, AGC and resampling.
//!
//! Nothing in this layer allocates after construction, performs I/O or knows about channels.

pub mod agc;
pub mod level;
pub mod mix;
pub mod talk;
