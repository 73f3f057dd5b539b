//! Goertzel correctness against a direct DFT, and tone generator level, phase continuity and
//! round trip through the DTMF detector.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector, DtmfEventKind};
use tutti::dsp::goertzel::{Goertzel, GoertzelBank};
use tutti::dsp::level::{dbm0_to_peak, mean_square_to_dbm0};
use tutti::dsp::tonegen::{DtmfGen, DtmfGenConfig, ToneGen};

fn direct_dft(x: &[f32], f: f64, rate: f64) -> (f64, f64) {
    let w = 2.0 * std::f64::consts::PI * f / rate;
    let mut re = 0.0;
    let mut im = 0.0;
    for (n, &v) in x.iter().enumerate() {
        re += v as f64 * (w * n as f64).cos();
        im -= v as f64 * (w * n as f64).sin();
    }
    (re, im)
}

#[test]
fn goertzel_matches_dft_and_peaks() {
    let mut rng = Rng::new(3);
    for &rate in &[8000u32, 16000, 44100, 48000] {
        for _ in 0..20 {
            let n = 64 + rng.below(400);
            let f0 = rng.range(100.0, rate as f64 * 0.45);
            let ph = rng.range(0.0, std::f64::consts::TAU);
            let x: Vec<f32> = (0..n)
                .map(|i| {
                    (1000.0 * (2.0 * std::f64::consts::PI * f0 * i as f64 / rate as f64 + ph).sin()
                        + 50.0 * rng.gauss()) as f32
                })
                .collect();
            for f in [f0, f0 * 0.97, f0 * 1.02, 300.0, rate as f64 * 0.25] {
                let mut g = Goertzel::new(f as f32, rate).unwrap();
                g.push_slice(&x);
                let (re, im) = direct_dft(&x, f, rate as f64);
                let p = re * re + im * im;
                let rel = (g.power() as f64 - p).abs() / p.max(1e-9);
                assert!(
                    rel < 1e-3,
                    "power rel err {rel} at {f} Hz, n {n}, rate {rate}"
                );
                let (gr, gi) = g.dft();
                let mag = p.sqrt();
                let err = ((gr as f64 - re).powi(2) + (gi as f64 - im).powi(2)).sqrt() / mag;
                assert!(err < 1e-3, "complex rel err {err}");
            }
            // Peak at the tone frequency across a scan.
            let freqs: Vec<f32> = (0..41)
                .map(|k| (f0 * (0.8 + 0.01 * k as f64)) as f32)
                .collect();
            let freqs: Vec<f32> = freqs
                .into_iter()
                .filter(|&f| f < rate as f32 / 2.0)
                .collect();
            let mut bank = GoertzelBank::new(&freqs, rate).unwrap();
            bank.push_slice(&x);
            let mut pw = vec![0f32; freqs.len()];
            bank.powers(&mut pw);
            let best = (0..pw.len())
                .max_by(|&a, &b| pw[a].total_cmp(&pw[b]))
                .unwrap();
            let bin = rate as f64 / n as f64;
            assert!(
                (freqs[best] as f64 - f0).abs() <= bin.max(0.011 * f0),
                "peak at {} for tone {f0}",
                freqs[best]
            );
        }
    }
    assert!(Goertzel::new(5000.0, 8000).is_err());
    assert!(GoertzelBank::new(&[], 8000).is_err());
}

#[test]
fn tonegen_level_and_continuity() {
    for &rate in &[8000u32, 16000, 48000] {
        let mut one = ToneGen::dual(rate, 697.0, -10.0, 1209.0, -8.0).unwrap();
        let mut whole = vec![0i16; rate as usize];
        one.fill(&mut whole);
        // Same output whatever the chunking.
        let mut chunked = ToneGen::dual(rate, 697.0, -10.0, 1209.0, -8.0).unwrap();
        let mut parts = vec![0i16; rate as usize];
        let mut i = 0;
        let mut rng = Rng::new(rate as u64);
        while i < parts.len() {
            let n = (1 + rng.below(97)).min(parts.len() - i);
            chunked.fill(&mut parts[i..i + n]);
            i += n;
        }
        assert_eq!(whole, parts);
        // Level: two tones at -10 and -8 dBm0 -> power sum.
        let ms = whole.iter().map(|&v| (v as f32).powi(2)).sum::<f32>() / whole.len() as f32;
        let expect = 10.0 * (10f32.powf(-1.0) + 10f32.powf(-0.8)).log10();
        assert!((mean_square_to_dbm0(ms as f64) - expect as f64).abs() < 0.05);
        // Single tone peak.
        let mut s = ToneGen::single(rate, 1000.0, -3.0).unwrap();
        let mut b = vec![0i16; rate as usize / 10];
        s.fill(&mut b);
        let pk = b.iter().map(|v| v.unsigned_abs()).max().unwrap() as f32;
        assert!((pk - dbm0_to_peak(-3.0)).abs() < 2.0);
        // Cadence: 50 ms on / 50 ms off.
        let mut c = ToneGen::single(rate, 440.0, -10.0)
            .unwrap()
            .with_cadence(rate, 50.0, 50.0)
            .unwrap();
        let mut b = vec![0i16; rate as usize / 5];
        c.fill(&mut b);
        let q = rate as usize / 20;
        assert!(b[..q].iter().any(|&v| v != 0));
        assert!(b[q..2 * q].iter().all(|&v| v == 0));
        assert!(b[2 * q..3 * q].iter().any(|&v| v != 0));
    }
    assert!(ToneGen::single(8000, 5000.0, -10.0).is_err());
    assert!(ToneGen::single(8000, 1000.0, 10.0).is_err());
    assert!(DtmfGen::new(8000, "12x", DtmfGenConfig::default()).is_err());
}

#[test]
fn generated_strings_detected() {
    let mut rng = Rng::new(9);
    for &rate in &[8000u32, 16000, 48000] {
        for (low, twist, err) in [
            (-10.0, 2.0, 0.0),
            (-25.0, 0.0, 0.01),
            (-4.0, -8.0, -0.012),
            (-20.0, 4.0, 0.0),
        ] {
            let cfg = DtmfGenConfig {
                on_ms: 45.0,
                off_ms: 45.0,
                low_dbm0: low,
                twist_db: twist,
                freq_error: err,
            };
            let digits = "123A456B789C*0#D0815";
            let mut g = DtmfGen::new(rate, digits, cfg).unwrap();
            let mut s = vec![0i16; g.total_samples() as usize + rate as usize / 10];
            let mut i = 0;
            while i < s.len() {
                let n = (1 + rng.below(333)).min(s.len() - i);
                g.fill(&mut s[i..i + n]);
                i += n;
            }
            assert!(g.is_done());
            let mut det = DtmfDetector::new(rate, DtmfConfig::att()).unwrap();
            let mut got = String::new();
            let mut ends = 0;
            det.process(&s, &mut |e| match e.kind {
                DtmfEventKind::Start => {
                    got.push(e.digit);
                    assert!(
                        (e.low_dbm0 - low).abs() < 1.0,
                        "level {} vs {low}",
                        e.low_dbm0
                    );
                    assert!(
                        (e.high_dbm0 - low - twist).abs() < 1.0,
                        "high {} vs {}",
                        e.high_dbm0,
                        low + twist
                    );
                }
                DtmfEventKind::End => ends += 1,
            });
            assert_eq!(got, digits, "{rate} Hz {low} dBm0 twist {twist} err {err}");
            assert_eq!(ends, digits.len());
        }
    }
}
