//! Mixing kernels: widening sums and differences in i32, fixed-point gains, saturation.
//!
//! Every kernel here works on whole frames. Arithmetic on the i32 accumulators is wrapping:
//! sums and differences are exact modulo 2^32, so a total minus the terms an output lacks is
//! exact whenever the true result fits in i32 (which the planner guarantees for each output).
//! Saturation to i16 happens once, at the output.
//!
//! On x86-64 each kernel is compiled twice, generically and with AVX2 enabled, and the AVX2
//! version is chosen at run time when the CPU has it.

use crate::dsp::level::{apply_gain_q12, GAIN_SHIFT};

macro_rules! kernel {
    ($(#[$m:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        #[inline]
        pub fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn generic($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) $(-> $ret)? { generic($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            generic($($arg),*)
        }
    };
}

kernel! {
    /// `acc[n] = x[n]` (widening copy).
    pub fn widen(acc: &mut [i32], x: &[i16]) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = v as i32;
        }
    }
}

kernel! {
    /// `acc[n] += x[n]`.
    pub fn add_i16(acc: &mut [i32], x: &[i16]) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = a.wrapping_add(v as i32);
        }
    }
}

kernel! {
    /// `acc[n] -= x[n]`.
    pub fn sub_i16(acc: &mut [i32], x: &[i16]) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = a.wrapping_sub(v as i32);
        }
    }
}

kernel! {
    /// `acc[n] = term(x[n], g)`, the Q12 gain of [`apply_gain_q12`].
    pub fn widen_scaled(acc: &mut [i32], x: &[i16], g: i32) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = apply_gain_q12(v as i32, g);
        }
    }
}

kernel! {
    /// `acc[n] += term(x[n], g)`.
    pub fn add_scaled(acc: &mut [i32], x: &[i16], g: i32) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = a.wrapping_add(apply_gain_q12(v as i32, g));
        }
    }
}

kernel! {
    /// `acc[n] -= term(x[n], g)`.
    pub fn sub_scaled(acc: &mut [i32], x: &[i16], g: i32) {
        for (a, &v) in acc.iter_mut().zip(x) {
            *a = a.wrapping_sub(apply_gain_q12(v as i32, g));
        }
    }
}

kernel! {
    /// `acc[n] += t[n]`.
    pub fn add_i32(acc: &mut [i32], t: &[i32]) {
        for (a, &v) in acc.iter_mut().zip(t) {
            *a = a.wrapping_add(v);
        }
    }
}

kernel! {
    /// `acc[n] -= t[n]`.
    pub fn sub_i32(acc: &mut [i32], t: &[i32]) {
        for (a, &v) in acc.iter_mut().zip(t) {
            *a = a.wrapping_sub(v);
        }
    }
}

kernel! {
    /// `out[n] = saturate(acc[n])`.
    pub fn saturate(out: &mut [i16], acc: &[i32]) {
        for (o, &v) in out.iter_mut().zip(acc) {
            *o = v.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
}

kernel! {
    /// `out[n] = saturate(total[n] - own[n])`: the mix-minus of one member, fused.
    pub fn saturate_sub(out: &mut [i16], total: &[i32], own: &[i16]) {
        for ((o, &t), &x) in out.iter_mut().zip(total).zip(own) {
            *o = t.wrapping_sub(x as i32).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
}

kernel! {
    /// `out[n] = saturate(term(acc[n], g))`, computed in i64 so large sums cannot overflow.
    pub fn saturate_scaled(out: &mut [i16], acc: &[i32], g: i32) {
        for (o, &v) in out.iter_mut().zip(acc) {
            let y = (v as i64 * g as i64 + (1 << (GAIN_SHIFT - 1))) >> GAIN_SHIFT;
            *o = y.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
        }
    }
}

kernel! {
    /// `out[n] = saturate(term(x[n], g))`: a gain applied to an i16 frame.
    pub fn scale_i16(out: &mut [i16], x: &[i16], g: i32) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = apply_gain_q12(v as i32, g).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
}

kernel! {
    /// In-place `x[n] = saturate(term(x[n], g))`.
    pub fn scale_in_place(x: &mut [i16], g: i32) {
        for v in x.iter_mut() {
            *v = apply_gain_q12(*v as i32, g).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
    }
}

kernel! {
    /// Sum of squares of a frame, exact.
    pub fn energy(x: &[i16]) -> u64 {
        // Pairs of squares fit in u32 (2 * 2^30); blocks of 64 pairs are summed in u64.
        let mut total = 0u64;
        for block in x.chunks(128) {
            let mut s = 0u64;
            let mut pairs = block.chunks_exact(2);
            for p in &mut pairs {
                let a = p[0] as i32;
                let b = p[1] as i32;
                s += ((a * a) as u32 + (b * b) as u32) as u64;
            }
            for &v in pairs.remainder() {
                s += (v as i32 * v as i32) as u64;
            }
            total += s;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sat(v: i64) -> i16 {
        v.clamp(-32768, 32767) as i16
    }

    #[test]
    fn kernels_match_scalar_definitions() {
        let mut seed = 0x1234_5678u32;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as i16
        };
        for len in [0usize, 1, 7, 80, 160, 961] {
            let x: Vec<i16> = (0..len).map(|_| rnd()).collect();
            let y: Vec<i16> = (0..len).map(|_| rnd()).collect();
            let g = 2053;
            let mut acc = vec![0i32; len];
            widen(&mut acc, &x);
            add_scaled(&mut acc, &y, g);
            sub_i16(&mut acc, &x);
            add_i16(&mut acc, &x);
            let mut out = vec![0i16; len];
            saturate(&mut out, &acc);
            for n in 0..len {
                let want = x[n] as i64 + ((y[n] as i64 * g as i64 + 2048) >> 12);
                assert_eq!(out[n], sat(want));
            }
            let mut out2 = vec![0i16; len];
            saturate_sub(&mut out2, &acc, &x);
            for n in 0..len {
                assert_eq!(out2[n], sat((y[n] as i64 * g as i64 + 2048) >> 12));
            }
            let e: u64 = x.iter().map(|&v| (v as i64 * v as i64) as u64).sum();
            assert_eq!(energy(&x), e);
            let mut s = vec![0i16; len];
            scale_i16(&mut s, &x, 8192);
            for n in 0..len {
                assert_eq!(s[n], sat(x[n] as i64 * 2));
            }
        }
        let full = vec![i16::MIN; 1000];
        assert_eq!(energy(&full), 1000 * (1u64 << 30));
    }
}
