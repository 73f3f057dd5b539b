//! The `tutti` tool: `mix` against an independent sum, `demo`, `bench`.

#![allow(clippy::needless_range_loop)]

use std::path::Path;
use std::process::Command;

mod common;
use common::{wav_bytes, Rng, WavSpec};

#[path = "support/oracle.rs"]
mod oracle;
use oracle::{q12, sat};

fn tutti() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tutti"))
}

fn write_pcm16(path: &Path, rate: u32, x: &[i16]) {
    let data: Vec<u8> = x.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, wav_bytes(&WavSpec::pcm(1, rate, 16), &data, None)).unwrap();
}

fn read(path: &Path) -> (u32, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let rate = r.spec().sample_rate;
    (rate, r.samples::<i16>().map(|s| s.unwrap()).collect())
}

#[test]
fn mix_equals_an_independent_sum_minus_own() {
    let dir = common::temp_dir("cli-mix");
    let rate = 16000;
    let mut rng = Rng(99);
    let lens = [16000usize, 12345, 20001];
    let parties: Vec<Vec<i16>> = lens
        .iter()
        .map(|&n| {
            (0..n)
                .map(|_| (rng.below(50001) as i64 - 25000) as i16)
                .collect()
        })
        .collect();
    let bg: Vec<i16> = (0..7000)
        .map(|_| (rng.below(20001) as i64 - 10000) as i16)
        .collect();
    let mut args = vec!["mix".to_string()];
    for (i, x) in parties.iter().enumerate() {
        let path = dir.join(format!("in{i}.wav"));
        write_pcm16(&path, rate, x);
        args.push("--party".into());
        args.push(path.display().to_string());
    }
    let bg_path = dir.join("bg.wav");
    write_pcm16(&bg_path, rate, &bg);
    args.push("--background".into());
    args.push(format!("{}:-9", bg_path.display()));
    args.push("--monitor".into());
    args.push("--out".into());
    let out = dir.join("out");
    args.push(out.display().to_string());
    let st = tutti().args(&args).output().unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );

    let longest = *lens.iter().max().unwrap();
    let at = |x: &[i16], n: usize| x.get(n).copied().unwrap_or(0) as i64;
    let bg_term = |n: usize| (at(&bg, n) * q12(-9.0) + 2048) >> 12;
    for i in 0..3 {
        let (r, got) = read(&out.join(format!("party-{i}.wav")));
        assert_eq!(r, rate);
        assert_eq!(got.len(), longest, "party {i} length");
        for n in 0..longest {
            let want: i64 = (0..3)
                .filter(|&j| j != i)
                .map(|j| at(&parties[j], n))
                .sum::<i64>()
                + bg_term(n);
            assert_eq!(got[n], sat(want), "party {i} sample {n}");
        }
    }
    for name in ["mix.wav", "monitor.wav"] {
        let (_, got) = read(&out.join(name));
        assert_eq!(got.len(), longest);
        for n in 0..longest {
            let want: i64 = (0..3).map(|j| at(&parties[j], n)).sum::<i64>() + bg_term(n);
            assert_eq!(got[n], sat(want), "{name} sample {n}");
        }
    }
}

#[test]
fn mix_with_a_coach_and_resampling() {
    let dir = common::temp_dir("cli-coach");
    let a: Vec<i16> = (0..8000).map(|n| ((n % 100) as i16 - 50) * 100).collect();
    let b: Vec<i16> = (0..8000).map(|n| ((n % 37) as i16 - 18) * 200).collect();
    let c: Vec<i16> = (0..8000).map(|n| ((n % 53) as i16 - 26) * 150).collect();
    for (name, x) in [("a.wav", &a), ("b.wav", &b), ("c.wav", &c)] {
        write_pcm16(&dir.join(name), 8000, x);
    }
    let out = dir.join("out");
    let st = tutti()
        .args(["mix", "--party"])
        .arg(dir.join("a.wav"))
        .arg("--party")
        .arg(dir.join("b.wav"))
        .arg("--coach")
        .arg(format!("{}:1", dir.join("c.wav").display()))
        .args(["--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (_, p0) = read(&out.join("party-0.wav"));
    let (_, p1) = read(&out.join("party-1.wav"));
    for n in 0..8000 {
        assert_eq!(p0[n], b[n], "party 0 hears b only");
        assert_eq!(
            p1[n] as i32,
            a[n] as i32 + c[n] as i32,
            "party 1 hears a and its coach"
        );
    }
    // At another processor rate the inputs are resampled and the output has that rate.
    let st = tutti()
        .args(["mix", "--rate", "48000", "--party"])
        .arg(dir.join("a.wav"))
        .arg("--party")
        .arg(dir.join("b.wav"))
        .arg("--out")
        .arg(dir.join("out48"))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let (r, x) = read(&dir.join("out48/party-0.wav"));
    assert_eq!((r, x.len()), (48000, 48000));
}

#[test]
fn mix_rejects_bad_input_with_a_message() {
    let dir = common::temp_dir("cli-bad");
    let bad = dir.join("bad.wav");
    std::fs::write(&bad, b"this is not a wav file").unwrap();
    let st = tutti()
        .args(["mix", "--party"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.join("o"))
        .output()
        .unwrap();
    assert!(!st.status.success());
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(err.contains("bad.wav"), "{err}");
    let st = tutti().args(["mix", "--out", "x"]).output().unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("--party"));
    let st = tutti().args(["frobnicate"]).output().unwrap();
    assert!(!st.status.success());
}

#[test]
fn demo_writes_its_files_and_says_who_talked() {
    let dir = common::temp_dir("cli-demo");
    let st = tutti()
        .args(["demo", "--seconds", "6", "--out"])
        .arg(dir.as_ref())
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let text = String::from_utf8_lossy(&st.stdout);
    assert!(text.contains("who talked when"), "{text}");
    assert!(text.contains("party "), "{text}");
    for name in [
        "party-0.wav",
        "party-1.wav",
        "party-2.wav",
        "party-3.wav",
        "monitor.wav",
        "mix.wav",
        "coach.wav",
    ] {
        let (rate, x) = read(&dir.join(name));
        assert_eq!(rate, 16000);
        assert_eq!(x.len(), 6 * 16000, "{name}");
        assert!(x.iter().any(|&v| v != 0), "{name} is silent");
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn bench_prints_its_line() {
    let st = tutti()
        .args(["bench", "--parties", "20", "--seconds", "2"])
        .output()
        .unwrap();
    assert!(st.status.success());
    let line = String::from_utf8_lossy(&st.stdout);
    assert!(
        line.starts_with("tutti_engine n=20 rate=8000 frame_ms=20 audio_s=2.00 cpu_s="),
        "{line}"
    );
    for key in ["cpu_s_per_participant_audio_s=", "x_realtime="] {
        assert!(line.contains(key), "{line}");
    }
}
