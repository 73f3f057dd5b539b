//! G.711 companding (ITU-T G.711): mu-law and A-law encode and decode between 16-bit linear PCM
//! and 8-bit code words.
//!
//! Linear values are on the 16-bit scale: mu-law's 14-bit and A-law's 13-bit linear codes are
//! shifted left by 2 and 3 bits respectively, so the largest decoded magnitudes are 32 124
//! (mu-law) and 32 256 (A-law). Code words are the transmitted octets (mu-law with all bits
//! inverted, A-law with the even bits inverted), as on the wire.

/// Bias added to mu-law magnitudes (on the 16-bit scale) so the segments become powers of two.
const MU_BIAS: i32 = 0x84;
/// Largest magnitude mu-law can encode before the bias would overflow segment 7.
const MU_CLIP: i32 = 32635;

/// Encode one linear sample to a mu-law code word.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let s = sample as i32;
    let sign: u8 = if s < 0 { 0x80 } else { 0 };
    let mag = s.unsigned_abs().min(MU_CLIP as u32) as i32 + MU_BIAS;
    // mag is in 132..=32767; segment = position of the top bit above bit 7.
    let top = 31 - (mag as u32).leading_zeros() as i32; // 7..=14
    let segment = (top - 7).clamp(0, 7);
    let mantissa = ((mag >> (segment + 3)) & 0x0F) as u8;
    !(sign | ((segment as u8) << 4) | mantissa)
}

/// Decode one mu-law code word to a linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let c = !code;
    let segment = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let mag = (((mantissa << 3) + MU_BIAS) << segment) - MU_BIAS;
    if c & 0x80 != 0 {
        -mag as i16
    } else {
        mag as i16
    }
}

/// Encode one linear sample to an A-law code word.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let s = (sample as i32) >> 3; // 13-bit signed
    let (sign, mag) = if s >= 0 { (0x80u8, s) } else { (0u8, -s - 1) };
    let code = if mag < 32 {
        // Segments 0 and 1 share step size 2 (on the 13-bit scale).
        (mag >> 1) as u8
    } else {
        let top = 31 - (mag as u32).leading_zeros() as i32; // 5..=11
        if top > 11 {
            0x7F
        } else {
            let segment = top - 4; // 1..=7
            ((segment as u8) << 4) | (((mag >> (segment)) & 0x0F) as u8)
        }
    };
    (sign | code) ^ 0x55
}

/// Decode one A-law code word to a linear sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    let c = code ^ 0x55;
    let segment = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    // Reconstruction at the middle of the decision interval, 13-bit scale.
    let mag13 = if segment == 0 {
        (mantissa << 1) + 1
    } else {
        ((mantissa << 1) + 33) << (segment - 1)
    };
    let mag = mag13 << 3;
    if c & 0x80 != 0 {
        mag as i16
    } else {
        -mag as i16
    }
}

/// Pass a buffer through mu-law encode and decode in place.
pub fn ulaw_roundtrip(samples: &mut [i16]) {
    for s in samples {
        *s = ulaw_to_linear(linear_to_ulaw(*s));
    }
}

/// Pass a buffer through A-law encode and decode in place.
pub fn alaw_roundtrip(samples: &mut [i16]) {
    for s in samples {
        *s = alaw_to_linear(linear_to_alaw(*s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_reference_points() {
        // Reconstruction values from the G.711 mu-law table (14-bit values * 4).
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0);
        assert_eq!(ulaw_to_linear(0x80), 8031 * 4);
        assert_eq!(ulaw_to_linear(0x00), -8031 * 4);
        assert_eq!(ulaw_to_linear(0xFE), 2 * 4);
        assert_eq!(ulaw_to_linear(0xEF), 33 * 4); // first value of segment 1
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
    }

    #[test]
    fn alaw_reference_points() {
        // A-law: code 0xD5 is the smallest positive value (1 on the 13-bit scale -> 8).
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 4032 * 8);
        assert_eq!(alaw_to_linear(0x2A), -4032 * 8);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn code_roundtrip_and_monotonic() {
        for c in 0..=255u8 {
            let x = ulaw_to_linear(c);
            if c != 0x7F {
                assert_eq!(linear_to_ulaw(x), c, "ulaw code {c:#x}");
            }
            assert_eq!(linear_to_alaw(alaw_to_linear(c)), c, "alaw code {c:#x}");
        }
        let mut prev_u = i16::MIN;
        let mut prev_a = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            let u = ulaw_to_linear(linear_to_ulaw(x));
            let a = alaw_to_linear(linear_to_alaw(x));
            assert!(u >= prev_u && a >= prev_a, "monotonic at {x}");
            prev_u = u;
            prev_a = a;
            // Quantisation error stays within half a step (step <= 1024 in segment 7).
            assert!((u as i32 - x as i32).abs() <= 1024 + 4, "ulaw error at {x}");
            assert!((a as i32 - x as i32).abs() <= 1024 + 8, "alaw error at {x}");
        }
    }
}
