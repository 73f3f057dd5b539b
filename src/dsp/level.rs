//! Signal levels in dBm0 and gains in dB.
//!
//! tutti follows the G.711 convention for 16-bit linear PCM: a sine wave whose peak is
//! full scale (32767) is **+3.14 dBm0**, so 0 dBm0 is a sine of peak amplitude
//! `32767 * 10^(-3.14/20)` (about 22 880) and RMS of about 16 179.

/// Level in dBm0 of a full-scale sine wave.
#[allow(clippy::approx_constant)] // a level in dB, not pi
pub const FULL_SCALE_SINE_DBM0: f64 = 3.14;

/// Mean square (per sample) of a full-scale sine: `32767^2 / 2`.
const FULL_SCALE_SINE_MEAN_SQ: f64 = 32767.0 * 32767.0 / 2.0;

/// Level reported for digital silence.
pub const SILENCE_DBM0: f64 = -120.0;

/// Converts a mean square value (per sample, in i16 units squared) to dBm0.
pub fn mean_square_to_dbm0(mean_sq: f64) -> f64 {
    if mean_sq <= 0.0 {
        return SILENCE_DBM0;
    }
    (10.0 * (mean_sq / FULL_SCALE_SINE_MEAN_SQ).log10() + FULL_SCALE_SINE_DBM0).max(SILENCE_DBM0)
}

/// Converts a level in dBm0 to the mean square value it denotes.
pub fn dbm0_to_mean_square(dbm0: f64) -> f64 {
    FULL_SCALE_SINE_MEAN_SQ * 10f64.powf((dbm0 - FULL_SCALE_SINE_DBM0) / 10.0)
}

/// Peak amplitude of a sine wave at `dbm0`.
pub fn sine_amplitude_for_dbm0(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - FULL_SCALE_SINE_DBM0) / 20.0)
}

/// Peak amplitude (i16 units) of a sine at `dbm0`, in single precision (for tone generators
/// and detectors).
pub fn dbm0_to_peak(dbm0: f32) -> f32 {
    sine_amplitude_for_dbm0(dbm0 as f64) as f32
}

/// Level in dBm0 of a sine of peak amplitude `peak` (i16 units); `-inf` for 0.
pub fn peak_to_dbm0(peak: f32) -> f32 {
    (20.0 * (peak as f64 / sine_amplitude_for_dbm0(0.0)).log10()) as f32
}

/// Level of a frame in dBm0.
pub fn frame_dbm0(x: &[i16]) -> f64 {
    if x.is_empty() {
        return SILENCE_DBM0;
    }
    mean_square_to_dbm0(crate::dsp::mix::energy(x) as f64 / x.len() as f64)
}

/// Fixed-point gain unit: a gain of 1.0 is `GAIN_ONE` (Q12).
pub const GAIN_ONE: i32 = 1 << GAIN_SHIFT;
/// Fractional bits of fixed-point gains.
pub const GAIN_SHIFT: u32 = 12;
/// Highest gain accepted anywhere in tutti, in dB.
pub const MAX_GAIN_DB: f32 = 24.0;
/// Lowest gain accepted anywhere in tutti, in dB (anything this low is silence in Q12).
pub const MIN_GAIN_DB: f32 = -96.0;

/// Converts a gain in dB to tutti's Q12 fixed-point factor: `round(4096 * 10^(db/20))`.
///
/// This conversion, together with [`apply_gain_q12`], defines every gain applied by the mixer,
/// so that mix-minus stays exact: a term is the same integer wherever it is used.
pub fn gain_db_to_q12(db: f32) -> i32 {
    if db == 0.0 {
        return GAIN_ONE;
    }
    (GAIN_ONE as f64 * 10f64.powf(db as f64 / 20.0)).round() as i32
}

/// Checks that a gain in dB is finite and within [`MIN_GAIN_DB`, `MAX_GAIN_DB`].
pub fn check_gain_db(name: &'static str, db: f32) -> crate::Result<i32> {
    if !db.is_finite() || !(MIN_GAIN_DB..=MAX_GAIN_DB).contains(&db) {
        return Err(crate::Error::arg(
            name,
            format!("gain {db} dB is outside {MIN_GAIN_DB}..={MAX_GAIN_DB} dB"),
        ));
    }
    Ok(gain_db_to_q12(db))
}

/// Applies a Q12 gain to one sample value: `(x * g + 2048) >> 12` (round half up).
#[inline(always)]
pub fn apply_gain_q12(x: i32, g: i32) -> i32 {
    (x.wrapping_mul(g).wrapping_add(1 << (GAIN_SHIFT - 1))) >> GAIN_SHIFT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_is_3_14_dbm0() {
        let x: Vec<i16> = (0..8000)
            .map(|n| {
                (32767.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 8000.0).sin()).round()
                    as i16
            })
            .collect();
        let l = frame_dbm0(&x);
        assert!((l - FULL_SCALE_SINE_DBM0).abs() < 0.01, "{l}");
        let a = sine_amplitude_for_dbm0(0.0);
        assert!((a - 22826.4).abs() < 0.5, "{a}");
    }

    #[test]
    fn unity_gain_is_exact() {
        assert_eq!(gain_db_to_q12(0.0), GAIN_ONE);
        for x in [-32768, -1, 0, 1, 32767] {
            assert_eq!(apply_gain_q12(x, GAIN_ONE), x);
        }
        assert_eq!(gain_db_to_q12(-6.0), 2053);
        assert!(check_gain_db("g", 25.0).is_err());
        assert!(check_gain_db("g", f32::NAN).is_err());
    }
}
