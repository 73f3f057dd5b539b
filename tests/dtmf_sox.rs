//! DTMF fixtures made by sox (`sox -n -r RATE -b 16 x.wav synth DUR sine F1 sine F2 remix ...`),
//! an implementation independent of tutti's generator and of the tests' own synthesis. Skipped
//! with a note when sox is not on PATH.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector, DtmfEventKind};

/// Writes and reads back a sox fixture: `lead` s of silence, a dual tone of `dur` s with per-tone
/// linear amplitudes (fraction of full scale), `tail` s of silence.
#[allow(clippy::too_many_arguments)]
fn fixture(
    dir: &Path,
    rate: u32,
    f1: f64,
    a1: f64,
    f2: f64,
    a2: f64,
    dur: f64,
    lead: f64,
) -> Vec<i16> {
    let path = dir.join("x.wav");
    let ok = Command::new("sox")
        .args(["-n", "-r", &rate.to_string(), "-b", "16", "-c", "2"])
        .arg(&path)
        .args([
            "synth",
            &format!("{dur}"),
            "sine",
            &format!("{f1}"),
            "sine",
            &format!("{f2}"),
        ])
        .args(["remix", &format!("1v{a1:.6},2v{a2:.6}")])
        .args(["pad", &format!("{lead}"), "0.08"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "sox failed");
    read_wav(&path).1
}

fn detect(rate: u32, s: &[i16]) -> String {
    let mut d = DtmfDetector::new(rate, DtmfConfig::att()).unwrap();
    let mut out = String::new();
    d.process(s, &mut |e| {
        if e.kind == DtmfEventKind::Start {
            out.push(e.digit)
        }
    });
    out
}

#[test]
fn sox_fixtures() {
    if !have("sox") {
        println!("NOTE: sox not on PATH; sox fixture test skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("tutti_sox_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng::new(5);
    let amp = |dbm0: f64| peak(dbm0) / 32768.0;
    let mut n = 0;
    for rate in [8000u32, 16000] {
        for (i, d) in DIGITS.chars().enumerate() {
            let (r, c) = pos(d);
            let lead = 0.03 + rng.range(0.0, 0.01);
            // Nominal, 60 ms, levels across the range with twist.
            let lvl = -(i as f64) * 25.0 / 15.0;
            let s = fixture(
                &dir,
                rate,
                LOW[r],
                amp(lvl),
                HIGH[c],
                amp(lvl + 2.0 - (i % 3) as f64 * 3.0),
                0.06,
                lead,
            );
            assert_eq!(
                detect(rate, &s),
                d.to_string(),
                "{rate} Hz {d} at {lvl} dBm0"
            );
            // 40 ms detected, 23 ms not.
            let s = fixture(
                &dir,
                rate,
                LOW[r],
                amp(-10.0),
                HIGH[c],
                amp(-10.0),
                0.04,
                lead,
            );
            assert_eq!(detect(rate, &s), d.to_string(), "{rate} Hz {d} 40 ms");
            let s = fixture(
                &dir,
                rate,
                LOW[r],
                amp(-10.0),
                HIGH[c],
                amp(-10.0),
                0.023,
                lead,
            );
            assert_eq!(detect(rate, &s), "", "{rate} Hz {d} 23 ms");
            // Both tones +-1.5 % detected, one tone +-3.5 % rejected.
            let k = if i % 2 == 0 { 1.015 } else { 0.985 };
            let s = fixture(
                &dir,
                rate,
                LOW[r] * k,
                amp(-10.0),
                HIGH[c] * k,
                amp(-10.0),
                0.06,
                lead,
            );
            assert_eq!(detect(rate, &s), d.to_string(), "{rate} Hz {d} x{k}");
            let k = if i % 2 == 0 { 1.035 } else { 0.965 };
            let s = fixture(
                &dir,
                rate,
                LOW[r] * k,
                amp(-10.0),
                HIGH[c],
                amp(-10.0),
                0.06,
                lead,
            );
            assert_eq!(detect(rate, &s), "", "{rate} Hz {d} low x{k}");
            let s = fixture(
                &dir,
                rate,
                LOW[r],
                amp(-10.0),
                HIGH[c] * k,
                amp(-10.0),
                0.06,
                lead,
            );
            assert_eq!(detect(rate, &s), "", "{rate} Hz {d} high x{k}");
            // -55 dBm0 rejected.
            let s = fixture(
                &dir,
                rate,
                LOW[r],
                amp(-55.0),
                HIGH[c],
                amp(-55.0),
                0.1,
                lead,
            );
            assert_eq!(detect(rate, &s), "", "{rate} Hz {d} -55 dBm0");
            n += 7;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    println!("{n} sox fixtures checked");
}
