//! The mixer's arithmetic, written from its documented definition for tests to compare
//! against: a gain of `g` dB is the Q12 factor `round(4096 * 10^(g/20))`, a term is
//! `(x * factor + 2048) >> 12`, and an output is saturated once to i16.
#![allow(dead_code)]

/// The Q12 factor of a gain in dB.
pub fn q12(db: f64) -> i64 {
    (4096.0 * 10f64.powf(db / 20.0)).round() as i64
}

/// One input's term at a gain in dB.
pub fn term(x: i64, db: f64) -> i64 {
    (x * q12(db) + 2048) >> 12
}

/// Saturation to i16.
pub fn sat(v: i64) -> i16 {
    v.clamp(-32768, 32767) as i16
}
