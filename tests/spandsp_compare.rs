//! Side-by-side with spandsp's `dtmf_rx` on the same signals (frequency deviation, short bursts,
//! interruptions) and the same throughput signal. Runs only where a C compiler and
//! libspandsp-dev are present (prints a note otherwise); spandsp is never linked into tutti.
//! Only tutti's results are asserted; spandsp's are printed for the record.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector};

fn build_runner(dir: &Path) -> Option<PathBuf> {
    let have_header = [
        "/usr/include/spandsp.h",
        "/usr/include/x86_64-linux-gnu/spandsp.h",
    ]
    .iter()
    .any(|p| Path::new(p).exists());
    if !have_header {
        return None;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spandsp/dtmf_spandsp.c");
    let exe = dir.join("dtmf_spandsp");
    let ok = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lspandsp")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    ok.then_some(exe)
}

fn spandsp_digits(exe: &Path, dir: &Path, trials: &[Vec<i16>]) -> Vec<String> {
    let file = dir.join("trials.bin");
    let mut f = std::fs::File::create(&file).unwrap();
    for t in trials {
        f.write_all(&(t.len() as u32).to_le_bytes()).unwrap();
        for v in t {
            f.write_all(&v.to_le_bytes()).unwrap();
        }
    }
    drop(f);
    let out = Command::new(exe).arg("trials").arg(&file).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            if l == "-" {
                String::new()
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn tutti_digits(s: &[i16]) -> String {
    let mut d = DtmfDetector::new(8000, DtmfConfig::att()).unwrap();
    let mut out = String::new();
    for c in s.chunks(160) {
        d.process(c, &mut |e| {
            if e.kind == tutti::dsp::dtmf::DtmfEventKind::Start {
                out.push(e.digit)
            }
        });
    }
    d.process(&[0; 1600], &mut |e| {
        if e.kind == tutti::dsp::dtmf::DtmfEventKind::Start {
            out.push(e.digit)
        }
    });
    out
}

fn synth(bursts: &[Burst], len: usize) -> Vec<i16> {
    let mut buf = vec![0.0; len];
    add_bursts(&mut buf, 8000, bursts);
    to_i16(&buf)
}

struct Case {
    name: String,
    trials: Vec<Vec<i16>>,
    expect: Vec<String>,
}

fn count(got: &[String], expect: &[String]) -> (usize, usize) {
    let exact = got.iter().zip(expect).filter(|(g, e)| g == e).count();
    let any = got.iter().filter(|g| !g.is_empty()).count();
    (exact, any)
}

#[test]
fn compare_with_spandsp() {
    let dir = std::env::temp_dir().join(format!("tutti_spandsp_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(exe) = build_runner(&dir) else {
        println!("NOTE: cc or libspandsp-dev not available; spandsp comparison skipped");
        return;
    };
    let mut rng = Rng::new(77);
    let mut cases = Vec::new();
    // Frequency deviation, one tone at a time: per tone and sign.
    for dev in [0.015, -0.015, 0.035, -0.035] {
        for tone in 0..8 {
            let mut c = Case {
                name: format!(
                    "{:+.1}% on {} Hz",
                    dev * 100.0,
                    if tone < 4 { LOW[tone] } else { HIGH[tone - 4] }
                ),
                trials: vec![],
                expect: vec![],
            };
            for _ in 0..25 {
                let other = rng.below(4);
                let (r, col) = if tone < 4 {
                    (tone, other)
                } else {
                    (other, tone - 4)
                };
                let d = KEYS[r][col];
                let (el, eh) = if tone < 4 { (dev, 0.0) } else { (0.0, dev) };
                let lead = 240 + rng.below(80);
                let b = digit_burst(&mut rng, d, -10.0, -10.0, el, eh, lead, 480);
                c.trials.push(synth(&[b], lead + 480 + 480));
                c.expect.push(d.to_string());
            }
            cases.push(c);
        }
    }
    for (name, ms_on) in [("40 ms burst", 40.0), ("23 ms burst", 23.0)] {
        let mut c = Case {
            name: name.into(),
            trials: vec![],
            expect: vec![],
        };
        for _ in 0..200 {
            let d = DIGITS.as_bytes()[rng.below(16)] as char;
            let lvl = rng.range(-25.0, 0.0);
            let lead = 240 + rng.below(80);
            let n = ms(8000, ms_on);
            let b = digit_burst(&mut rng, d, lvl, lvl, 0.0, 0.0, lead, n);
            c.trials.push(synth(&[b], lead + n + 480));
            c.expect.push(d.to_string());
        }
        cases.push(c);
    }
    for (name, gap_ms, twice) in [
        ("10 ms interruption", 10.0, false),
        ("40 ms pause", 40.0, true),
    ] {
        let mut c = Case {
            name: name.into(),
            trials: vec![],
            expect: vec![],
        };
        for _ in 0..200 {
            let d = DIGITS.as_bytes()[rng.below(16)] as char;
            let lvl = rng.range(-25.0, 0.0);
            let lead = 240 + rng.below(80);
            let on1 = ms(8000, rng.range(40.0, 80.0));
            let gap = ms(8000, gap_ms);
            let on2 = ms(8000, rng.range(40.0, 80.0));
            let b1 = digit_burst(&mut rng, d, lvl, lvl, 0.0, 0.0, lead, on1);
            let b2 = digit_burst(&mut rng, d, lvl, lvl, 0.0, 0.0, lead + on1 + gap, on2);
            c.trials
                .push(synth(&[b1, b2], lead + on1 + gap + on2 + 480));
            c.expect.push(if twice {
                format!("{d}{d}")
            } else {
                d.to_string()
            });
        }
        cases.push(c);
    }
    println!(
        "{:<22} {:>16} {:>16}",
        "signal (8 kHz)", "tutti exact/any", "spandsp exact/any"
    );
    for c in &cases {
        let ours: Vec<String> = c.trials.iter().map(|t| tutti_digits(t)).collect();
        let theirs = spandsp_digits(&exe, &dir, &c.trials);
        assert_eq!(theirs.len(), c.trials.len(), "spandsp runner output");
        let (oe, oa) = count(&ours, &c.expect);
        let (se, sa) = count(&theirs, &c.expect);
        let n = c.trials.len();
        println!(
            "{:<22} {:>9}/{n} {:>3} {:>9}/{n} {:>3}",
            c.name, oe, oa, se, sa
        );
        if c.name.contains("1.5%") || c.name.contains("40 ms") || c.name.contains("interruption") {
            assert_eq!(oe, n, "tutti: {}", c.name);
        }
        if c.name.contains("3.5%") || c.name.contains("23 ms") {
            assert_eq!(oa, 0, "tutti: {}", c.name);
        }
    }
    // spandsp's throughput on the benchmark signal (DTMF string with low-level noise), best of 20.
    let sig = bench_signal();
    let file = dir.join("bench.bin");
    let mut f = std::fs::File::create(&file).unwrap();
    f.write_all(&(sig.len() as u32).to_le_bytes()).unwrap();
    for v in &sig {
        f.write_all(&v.to_le_bytes()).unwrap();
    }
    drop(f);
    let out = Command::new(&exe)
        .arg("bench")
        .arg(&file)
        .arg("20")
        .output()
        .unwrap();
    let theirs = String::from_utf8_lossy(&out.stdout).trim().to_string();
    println!(
        "spandsp dtmf_rx throughput on the benchmark signal: {theirs} channel-seconds per \
         CPU-second (compare with `cargo bench --bench dtmf`)"
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn bench_signal() -> Vec<i16> {
    use tutti::dsp::tonegen::{DtmfGen, DtmfGenConfig};
    let cfg = DtmfGenConfig {
        on_ms: 70.0,
        off_ms: 80.0,
        low_dbm0: -12.0,
        twist_db: 2.0,
        freq_error: 0.0,
    };
    let digits: String = "0123456789*#ABCD".chars().cycle().take(66).collect();
    let mut g = DtmfGen::new(8000, &digits, cfg).unwrap();
    let mut s = vec![0i16; 80000];
    g.fill(&mut s);
    let mut x: u32 = 0x1234_5678;
    for v in &mut s {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *v = v.saturating_add((((x >> 24) as i32 - 128) / 4) as i16);
    }
    s
}
