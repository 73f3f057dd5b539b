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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! Hand-written AVX2 versions of the hottest kernels (16 samples per step).
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn energy_step(v: __m256i, e: __m256i, zero: __m256i) -> __m256i {
        // Pairs of squares as u32 (at most 2^31 each), widened to u64 before summing.
        let sq = _mm256_madd_epi16(v, v);
        let e = _mm256_add_epi64(e, _mm256_unpacklo_epi32(sq, zero));
        _mm256_add_epi64(e, _mm256_unpackhi_epi32(sq, zero))
    }

    #[inline(always)]
    unsafe fn hsum64(e: __m256i) -> u64 {
        let mut lanes = [0u64; 4];
        _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, e);
        lanes.iter().sum()
    }

    /// `acc = x` (or `acc += x` when `add`), returning the energy of `x`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn acc_energy(acc: &mut [i32], x: &[i16], add: bool) -> u64 {
        let n = acc.len().min(x.len());
        let (a, s) = (acc.as_mut_ptr(), x.as_ptr());
        let zero = _mm256_setzero_si256();
        let mut e = zero;
        let mut i = 0;
        while i + 16 <= n {
            let v = _mm256_loadu_si256(s.add(i) as *const __m256i);
            let lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v));
            let hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(v));
            let (p0, p1) = (a.add(i) as *mut __m256i, a.add(i + 8) as *mut __m256i);
            if add {
                _mm256_storeu_si256(p0, _mm256_add_epi32(_mm256_loadu_si256(p0), lo));
                _mm256_storeu_si256(p1, _mm256_add_epi32(_mm256_loadu_si256(p1), hi));
            } else {
                _mm256_storeu_si256(p0, lo);
                _mm256_storeu_si256(p1, hi);
            }
            e = energy_step(v, e, zero);
            i += 16;
        }
        let mut total = hsum64(e);
        while i < n {
            let v = *s.add(i) as i32;
            *a.add(i) = if add { (*a.add(i)).wrapping_add(v) } else { v };
            total += (v * v) as u64;
            i += 1;
        }
        total
    }

    /// `out = saturate(total - own)`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn saturate_sub(out: &mut [i16], total: &[i32], own: &[i16]) {
        let n = out.len().min(total.len()).min(own.len());
        let (o, t, x) = (out.as_mut_ptr(), total.as_ptr(), own.as_ptr());
        let mut i = 0;
        while i + 16 <= n {
            let v = _mm256_loadu_si256(x.add(i) as *const __m256i);
            let lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v));
            let hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256::<1>(v));
            let t0 = _mm256_loadu_si256(t.add(i) as *const __m256i);
            let t1 = _mm256_loadu_si256(t.add(i + 8) as *const __m256i);
            let d0 = _mm256_sub_epi32(t0, lo);
            let d1 = _mm256_sub_epi32(t1, hi);
            // packs works per 128-bit lane; the permute restores sample order.
            let packed = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(d0, d1));
            _mm256_storeu_si256(o.add(i) as *mut __m256i, packed);
            i += 16;
        }
        while i < n {
            let d = (*t.add(i)).wrapping_sub(*x.add(i) as i32);
            *o.add(i) = d.clamp(i16::MIN as i32, i16::MAX as i32) as i16;
            i += 1;
        }
    }
}

/// `acc[n] = x[n]`, returning the energy (sum of squares) of `x`: one pass for both.
#[inline]
pub fn widen_energy(acc: &mut [i32], x: &[i16]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the kernel stays within both slices.
        return unsafe { avx2::acc_energy(acc, x, false) };
    }
    widen_energy_portable(acc, x)
}

/// `acc[n] += x[n]`, returning the energy (sum of squares) of `x`: one pass for both.
#[inline]
pub fn add_i16_energy(acc: &mut [i32], x: &[i16]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the kernel stays within both slices.
        return unsafe { avx2::acc_energy(acc, x, true) };
    }
    add_i16_energy_portable(acc, x)
}

/// `out[n] = saturate(total[n] - own[n])`: the mix-minus of one member, fused.
#[inline]
pub fn saturate_sub(out: &mut [i16], total: &[i32], own: &[i16]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the kernel stays within the three slices.
        return unsafe { avx2::saturate_sub(out, total, own) };
    }
    saturate_sub_portable(out, total, own)
}

/// `dst[n] = src[n]` for whole frames.
///
/// Frames are short (80 to 1920 samples); a plain vector loop beats the C library's `memcpy`,
/// whose `rep movsb` path is slow for such sizes on some CPUs.
#[inline]
pub fn copy(dst: &mut [i16], src: &[i16]) {
    let n = dst.len().min(src.len());
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn copy_avx2(d: *mut i16, s: *const i16, n: usize) {
            use std::arch::x86_64::*;
            let mut i = 0;
            while i + 16 <= n {
                let v = _mm256_loadu_si256(s.add(i) as *const __m256i);
                _mm256_storeu_si256(d.add(i) as *mut __m256i, v);
                i += 16;
            }
            while i < n {
                *d.add(i) = *s.add(i);
                i += 1;
            }
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present; every access stays within the first `n` elements of
            // both slices, and unaligned loads and stores are allowed.
            unsafe { copy_avx2(dst.as_mut_ptr(), src.as_ptr(), n) };
            return;
        }
    }
    dst[..n].copy_from_slice(&src[..n]);
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

/// `acc[n] = x[n]` (or `acc[n] += x[n]` when `add`), returning the energy of `x`: the
/// portable form of the AVX2 kernel.
#[inline]
fn acc_energy_portable(acc: &mut [i32], x: &[i16], add: bool) -> u64 {
    let base = |a: i32| if add { a } else { 0 };
    let mut e = 0u64;
    let mut pairs = acc.chunks_exact_mut(2).zip(x.chunks_exact(2));
    for (a, v) in &mut pairs {
        let (p, q) = (v[0] as i32, v[1] as i32);
        a[0] = base(a[0]).wrapping_add(p);
        a[1] = base(a[1]).wrapping_add(q);
        e += ((p * p) as u32 + (q * q) as u32) as u64;
    }
    let done = acc.len().min(x.len()) / 2 * 2;
    for (a, &v) in acc[done..].iter_mut().zip(&x[done..]) {
        *a = base(*a).wrapping_add(v as i32);
        e += (v as i32 * v as i32) as u64;
    }
    e
}

/// `acc[n] = x[n]`, returning the energy (sum of squares) of `x`: one pass for both.
pub fn widen_energy_portable(acc: &mut [i32], x: &[i16]) -> u64 {
    acc_energy_portable(acc, x, false)
}

/// `acc[n] += x[n]`, returning the energy (sum of squares) of `x`: one pass for both.
pub fn add_i16_energy_portable(acc: &mut [i32], x: &[i16]) -> u64 {
    acc_energy_portable(acc, x, true)
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

/// `out[n] = saturate(total[n] - own[n])`: the mix-minus of one member, fused.
#[inline]
pub fn saturate_sub_portable(out: &mut [i16], total: &[i32], own: &[i16]) {
    for ((o, &t), &x) in out.iter_mut().zip(total).zip(own) {
        *o = t
            .wrapping_sub(x as i32)
            .clamp(i16::MIN as i32, i16::MAX as i32) as i16;
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
            let mut a3 = vec![0i32; len];
            assert_eq!(widen_energy_portable(&mut a3, &x), e);
            assert_eq!(
                add_i16_energy_portable(&mut a3, &y),
                y.iter().map(|&v| (v as i64 * v as i64) as u64).sum::<u64>()
            );
            let mut o3 = vec![0i16; len];
            let mut o4 = vec![0i16; len];
            saturate_sub_portable(&mut o3, &a3, &x);
            saturate_sub(&mut o4, &a3, &x);
            assert_eq!(o3, o4);
            let mut a2 = vec![0i32; len];
            assert_eq!(widen_energy(&mut a2, &x), e);
            assert_eq!(add_i16_energy(&mut a2, &x), e);
            for n in 0..len {
                assert_eq!(a2[n], 2 * x[n] as i32);
            }
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
