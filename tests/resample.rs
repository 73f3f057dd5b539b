//! Tests of the streaming resampler: identity, argument checks, output length, chunking
//! invariance, passband accuracy, aliasing/image rejection and time alignment.

mod common;

use common::{db, peak_frequency, rms, sine, tone_amplitude, Rng};
use tutti::dsp::resample::Resampler;
use tutti::Error;

const RATES: [u32; 7] = [8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000];

/// Resamples `input` in one go, including the flush.
fn resample(from: u32, to: u32, input: &[f32]) -> Vec<f32> {
    let mut rs = Resampler::new(from, to).unwrap();
    let mut out = Vec::new();
    rs.process(input, &mut out);
    rs.flush(&mut out);
    out
}

fn to_f32(x: &[f64]) -> Vec<f32> {
    x.iter().map(|&v| v as f32).collect()
}

fn to_f64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

fn expected_len(n: usize, from: u32, to: u32) -> usize {
    (n as u64 * to as u64).div_ceil(from as u64) as usize
}

#[test]
fn identity_is_bit_exact_and_undelayed() {
    let mut rng = Rng(0x1234_5678);
    let input: Vec<f32> = (0..10_000)
        .map(|_| f32::from_bits(rng.next_u64() as u32))
        .collect();
    let mut rs = Resampler::new(16_000, 16_000).unwrap();
    assert!(rs.is_identity());
    assert_eq!(rs.delay(), 0);
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < input.len() {
        let n = (1 + rng.below(700) as usize).min(input.len() - pos);
        rs.process(&input[pos..pos + n], &mut out);
        assert_eq!(out.len(), pos + n, "identity output must not lag");
        pos += n;
    }
    rs.flush(&mut out);
    assert_eq!(out.len(), input.len());
    for (a, b) in input.iter().zip(&out) {
        assert_eq!(a.to_bits(), b.to_bits());
    }
}

#[test]
fn rejects_bad_rates() {
    for (from, to) in [
        (0, 8_000),
        (8_000, 0),
        (999, 8_000),
        (8_000, 768_001),
        (u32::MAX, 8_000),
    ] {
        match Resampler::new(from, to) {
            Err(Error::InvalidArgument { name, problem }) => {
                assert!(name == "from_hz" || name == "to_hz");
                assert!(problem.contains("Hz"), "{problem}");
            }
            other => panic!("{from}->{to}: expected InvalidArgument, got {other:?}"),
        }
    }
    assert!(Resampler::new(1_000, 768_000).is_ok());
}

#[test]
fn output_length_matches_ratio_for_all_pairs_and_chunkings() {
    let mut rng = Rng(42);
    let input: Vec<f32> = to_f32(&sine(440.0, 8_000.0, 0.5, 9_001));
    for &from in &RATES {
        for &to in &RATES {
            let mut rs = Resampler::new(from, to).unwrap();
            for len in [0usize, 1, 2, 1000, 9_001] {
                let mut out = Vec::new();
                let mut pos = 0;
                while pos < len {
                    let n = (1 + rng.below(1500) as usize).min(len - pos);
                    rs.process(&input[pos..pos + n], &mut out);
                    pos += n;
                }
                rs.flush(&mut out);
                assert_eq!(
                    out.len(),
                    expected_len(len, from, to),
                    "{from} -> {to}, {len} samples"
                );
                assert_eq!(rs.output_len_for(len as u64), out.len() as u64);
            }
        }
    }
}

#[test]
fn chunking_does_not_change_output_and_flush_restarts_stream() {
    let input = to_f32(&sine(700.0, 44_100.0, 0.7, 20_000));
    let whole = resample(44_100, 8_000, &input);
    let mut rs = Resampler::new(44_100, 8_000).unwrap();
    let mut rng = Rng(7);
    for _ in 0..2 {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < input.len() {
            let n = (rng.below(3000) as usize).min(input.len() - pos);
            rs.process(&input[pos..pos + n], &mut out);
            pos += n;
        }
        rs.flush(&mut out);
        assert_eq!(out, whole);
    }
}

/// Checks frequency and level of a tone after conversion, away from the stream edges.
fn check_tone(from: u32, to: u32, freq: f64) {
    let amp = 0.5;
    let input = to_f32(&sine(freq, from as f64, amp, from as usize));
    let out = to_f64(&resample(from, to, &input));
    assert_eq!(out.len(), to as usize);
    let mid = &out[to as usize / 10..to as usize * 9 / 10];
    let f = peak_frequency(mid, to as f64, freq - 50.0, freq + 50.0);
    assert!((f - freq).abs() < 0.5, "{from}->{to}: frequency {f} Hz");
    let a = tone_amplitude(mid, freq, to as f64);
    let err = db(a, amp);
    assert!(err.abs() < 0.5, "{from}->{to}: level error {err:.3} dB");
    // Beyond the tone itself, the output is clean: residual after removing the tone.
    let phase_fit: Vec<f64> = {
        let n0 = to as usize / 10;
        let (mut s, mut c) = (0.0, 0.0);
        for (i, &v) in mid.iter().enumerate() {
            let ph = 2.0 * std::f64::consts::PI * freq * (i + n0) as f64 / to as f64;
            s += v * ph.sin();
            c += v * ph.cos();
        }
        let norm = 2.0 / mid.len() as f64;
        let (s, c) = (s * norm, c * norm);
        mid.iter()
            .enumerate()
            .map(|(i, &v)| {
                let ph = 2.0 * std::f64::consts::PI * freq * (i + n0) as f64 / to as f64;
                v - s * ph.sin() - c * ph.cos()
            })
            .collect()
    };
    let snr = db(amp / 2f64.sqrt(), rms(&phase_fit));
    assert!(snr > 60.0, "{from}->{to}: SNR {snr:.1} dB");
}

#[test]
fn one_khz_tone_44100_to_8000_keeps_frequency_and_level() {
    check_tone(44_100, 8_000, 1_000.0);
}

#[test]
fn tones_keep_frequency_and_level_across_telephony_rates() {
    for (from, to) in [
        (48_000, 8_000),
        (8_000, 48_000),
        (8_000, 16_000),
        (16_000, 8_000),
        (32_000, 44_100),
        (44_100, 48_000),
        (8_000, 44_100),
    ] {
        check_tone(from, to, 1_000.0);
    }
}

#[test]
fn six_khz_at_48k_to_8k_is_rejected_by_60_db() {
    let amp = 0.5;
    let input = to_f32(&sine(6_000.0, 48_000.0, amp, 48_000));
    let out = to_f64(&resample(48_000, 8_000, &input));
    assert_eq!(out.len(), 8_000);
    let mid = &out[800..7_200];
    let alias = tone_amplitude(mid, 2_000.0, 8_000.0);
    let level = db(rms(mid) * 2f64.sqrt(), amp);
    let alias_db = db(alias, amp);
    println!("6 kHz @48k -> 8k: residual {level:.1} dB, alias at 2 kHz {alias_db:.1} dB");
    assert!(level < -60.0, "residual {level:.1} dB");
    assert!(alias_db < -60.0, "alias {alias_db:.1} dB");
}

#[test]
fn upsampling_8k_to_48k_rejects_images() {
    let amp = 0.5;
    let input = to_f32(&sine(1_000.0, 8_000.0, amp, 8_000));
    let out = to_f64(&resample(8_000, 48_000, &input));
    let mid = &out[4_800..43_200];
    for image in [7_000.0, 9_000.0, 15_000.0, 17_000.0] {
        let a = db(tone_amplitude(mid, image, 48_000.0), amp);
        assert!(a < -60.0, "image at {image} Hz: {a:.1} dB");
    }
}

fn argmax_abs(x: &[f32]) -> usize {
    x.iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(i, _)| i)
        .unwrap()
}

#[test]
fn impulse_stays_aligned() {
    for &from in &RATES {
        for &to in &RATES {
            if from == to {
                continue;
            }
            let n = from as usize / 2;
            let pos = n / 3 + 17;
            let mut input = vec![0.0f32; n];
            input[pos] = 1.0;
            let out = resample(from, to, &input);
            let expected = pos as f64 * to as f64 / from as f64;
            let got = argmax_abs(&out) as f64;
            assert!(
                (got - expected).abs() <= 2.0,
                "{from}->{to}: impulse at {got}, expected {expected:.2}"
            );
        }
    }
}

#[test]
fn step_onset_stays_aligned() {
    for (from, to) in [
        (48_000, 8_000),
        (8_000, 48_000),
        (44_100, 16_000),
        (8_000, 11_025),
    ] {
        let n = from as usize / 4;
        let onset = n / 2 + 5;
        let input: Vec<f32> = (0..n).map(|i| if i < onset { 0.0 } else { 0.5 }).collect();
        let out = resample(from, to, &input);
        let crossing = out.iter().position(|&v| v >= 0.25).unwrap() as f64;
        let expected = onset as f64 * to as f64 / from as f64;
        assert!(
            (crossing - expected).abs() <= 2.0,
            "{from}->{to}: onset at {crossing}, expected {expected:.2}"
        );
    }
}

#[test]
fn awkward_ratio_uses_high_quality_path_too() {
    let (from, to) = (44_101, 8_000);
    let rs = Resampler::new(from, to).unwrap();
    assert!(!rs.is_identity());
    check_tone(from, to, 1_000.0);
    let amp = 0.5;
    let input = to_f32(&sine(6_000.0, from as f64, amp, from as usize));
    let out = to_f64(&resample(from, to, &input));
    assert_eq!(out.len(), expected_len(from as usize, from, to));
    let level = db(rms(&out[800..7_200]) * 2f64.sqrt(), amp);
    assert!(level < -60.0, "awkward ratio residual {level:.1} dB");

    let n = from as usize / 2;
    let pos = 10_007;
    let mut input = vec![0.0f32; n];
    input[pos] = 1.0;
    let out = resample(from, to, &input);
    let expected = pos as f64 * to as f64 / from as f64;
    let got = argmax_abs(&out) as f64;
    assert!(
        (got - expected).abs() <= 2.0,
        "impulse at {got}, expected {expected:.2}"
    );
}

/// Output lag, in output samples, of a 500 Hz tone relative to the ideal resampled tone.
fn measured_lag(from: u32, to: u32) -> f64 {
    use std::f64::consts::PI;
    let f = 500.0;
    let input = to_f32(&sine(f, from as f64, 0.5, from as usize));
    let out = resample(from, to, &input);
    let n0 = to as usize / 10;
    let (mut s, mut c) = (0.0, 0.0);
    for (i, &v) in out[n0..to as usize * 9 / 10].iter().enumerate() {
        let ph = 2.0 * PI * f * (i + n0) as f64 / to as f64;
        s += v as f64 * ph.sin();
        c += v as f64 * ph.cos();
    }
    -c.atan2(s) * to as f64 / (2.0 * PI * f)
}

#[test]
fn sub_sample_alignment() {
    for &from in &RATES {
        for &to in &RATES {
            let lag = measured_lag(from, to);
            assert!(lag.abs() < 0.01, "{from}->{to}: lag {lag:.3} samples");
        }
    }
    for (from, to) in [
        (44_101, 8_000),
        (8_000, 44_101),
        (7_919, 16_000),
        (48_000, 44_101),
    ] {
        let lag = measured_lag(from, to);
        assert!(lag.abs() <= 0.5, "{from}->{to}: lag {lag:.3} samples");
    }
}

#[test]
fn non_finite_and_huge_input_cannot_upset_the_converter() {
    let mut input = to_f32(&sine(1_000.0, 48_000.0, 0.5, 20_000));
    for (i, v) in [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -1.0e38,
    ]
    .into_iter()
    .enumerate()
    {
        input[3_000 + i * 2_000] = v;
    }
    for (from, to) in [(48_000, 8_000), (48_000, 44_101), (48_000, 16_000)] {
        let out = resample(from, to, &input);
        assert_eq!(out.len(), expected_len(input.len(), from, to));
        assert!(out.iter().all(|v| v.is_finite()), "{from}->{to}");
    }
}
