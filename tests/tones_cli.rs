//! `tutti detect` and `tutti tones` as a user runs them: the 16 digits made by `sox synth` are
//! printed in order with `--json`; `tutti tones` output detected back; a busy tone made by sox.

use std::path::{Path, PathBuf};
use std::process::Command;

fn tutti() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tutti"))
}

fn have_sox() -> bool {
    Command::new("sox")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tutti_tones_cli_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sox(args: &[&str]) {
    let ok = Command::new("sox").args(args).status().unwrap().success();
    assert!(ok, "sox {args:?}");
}

/// Parses the `--json` lines into (tone, digit, start_ms, end_ms, level).
fn parse(out: &str) -> Vec<(String, Option<String>, f64, f64, f64)> {
    out.lines()
        .map(|l| {
            assert!(l.starts_with('{') && l.ends_with('}'), "{l}");
            let field = |k: &str| -> Option<String> {
                let key = format!("\"{k}\":");
                let i = l.find(&key)? + key.len();
                let rest = &l[i..];
                let end = rest.find([',', '}']).unwrap();
                Some(rest[..end].trim_matches('"').to_string())
            };
            (
                field("tone").unwrap(),
                field("digit"),
                field("start_ms").unwrap().parse().unwrap(),
                field("end_ms").unwrap().parse().unwrap(),
                field("level_dbm0").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

fn detect_json(path: &Path, extra: &[&str]) -> String {
    let out = tutti()
        .arg("detect")
        .arg(path)
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn detect_sox_digits_in_order() {
    if !have_sox() {
        println!("NOTE: sox not on PATH; test skipped");
        return;
    }
    let dir = tmp("sox");
    let low = [697, 770, 852, 941];
    let high = [1209, 1336, 1477, 1633];
    let keys = "123A456B789C*0#D";
    for rate in [8000, 16000, 48000] {
        let mut parts = Vec::new();
        for (i, _) in keys.chars().enumerate() {
            let p = dir.join(format!("d{i}.wav"));
            let (f1, f2) = (low[i / 4].to_string(), high[i % 4].to_string());
            sox(&[
                "-n",
                "-r",
                &rate.to_string(),
                "-b",
                "16",
                p.to_str().unwrap(),
                "synth",
                "0.07",
                "sine",
                &f1,
                "sine",
                &f2,
                "remix",
                "1v0.2,2v0.2",
                "pad",
                "0.05",
                "0",
            ]);
            parts.push(p.to_str().unwrap().to_string());
        }
        let all = dir.join(format!("all{rate}.wav"));
        let mut args: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
        args.push(all.to_str().unwrap());
        sox(&args);
        for profile in ["att", "ntt", "etsi"] {
            let ev = parse(&detect_json(&all, &["--profile", profile]));
            let digits: String = ev
                .iter()
                .map(|e| {
                    assert_eq!(e.0, "dtmf");
                    e.1.clone().unwrap()
                })
                .collect();
            assert_eq!(digits, keys, "{rate} Hz {profile}");
            for (i, e) in ev.iter().enumerate() {
                let start = 50.0 + 120.0 * i as f64;
                assert!((e.2 - start).abs() <= 6.0, "{e:?}");
                assert!((e.3 - (start + 70.0)).abs() <= 6.0, "{e:?}");
                // 0.2 of full scale per tone: -10.84 dBm0 each, -7.8 together.
                assert!((e.4 + 7.8).abs() < 0.5, "{e:?}");
            }
        }
    }
    // A busy tone by sox: 480 + 620 Hz, 0.5 s on / 0.5 s off, three cycles.
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = dir.join(format!("b{i}.wav"));
        sox(&[
            "-n",
            "-r",
            "8000",
            "-b",
            "16",
            p.to_str().unwrap(),
            "synth",
            "0.5",
            "sine",
            "480",
            "sine",
            "620",
            "remix",
            "1v0.05,2v0.05",
            "pad",
            "0",
            "0.5",
        ]);
        parts.push(p.to_str().unwrap().to_string());
    }
    let busy = dir.join("busy.wav");
    let mut args: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
    args.push(busy.to_str().unwrap());
    sox(&args);
    let ev = parse(&detect_json(&busy, &[]));
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].0, "busy");
    // A tone at the very start of the file is seen once two windows have been analysed.
    assert!(
        ev[0].2.abs() <= 25.0 && (ev[0].3 - 2500.0).abs() <= 15.0,
        "{ev:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn tones_round_trip() {
    let dir = tmp("rt");
    for (rate, on, off, level) in [
        ("8000", "60", "60", "-10"),
        ("16000", "45", "45", "-25"),
        ("48000", "100", "40", "-3"),
    ] {
        let f = dir.join(format!("t{rate}.wav"));
        let st = tutti()
            .args(["tones", "0123456789*#ABCD", "--out"])
            .arg(&f)
            .args([
                "--rate",
                rate,
                "--on-ms",
                on,
                "--off-ms",
                off,
                "--level-dbm0",
                level,
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let ev = parse(&detect_json(&f, &[]));
        let digits: String = ev.iter().map(|e| e.1.clone().unwrap()).collect();
        assert_eq!(digits, "0123456789*#ABCD", "{rate}");
        let want = level.parse::<f64>().unwrap() + 3.01;
        assert!(ev.iter().all(|e| (e.4 - want).abs() < 0.5), "{ev:?}");
    }
    // Bad arguments are errors, not panics.
    let out = tutti()
        .args(["tones", "12X", "--out"])
        .arg(dir.join("x.wav"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = tutti()
        .args(["detect", "/nonexistent.wav"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = tutti()
        .args(["detect", "a.wav", "--profile", "xyz"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    std::fs::remove_dir_all(&dir).ok();
}
