//! Throughput of the DTMF detector and of the full tone listener on 8 kHz audio, one channel,
//! beside spandsp's `dtmf_rx` on the same audio when a C compiler and libspandsp-dev are present.
//!
//! The signal is 10 s of a realistic mix: DTMF digits (70 ms on, 80 ms off) with low-level white
//! noise throughout. Criterion reports time per 10 s of audio; channel-seconds per CPU-second is
//! `10 / time`. First, lines with that figure are printed from direct measurements: five rounds
//! of best-of-30 passes each, reported as the median round, for tutti's detector, the listener
//! (DTMF, call-progress and fax tones) and spandsp (a dev-only runner, `tests/spandsp/`, built
//! here with `cc`; spandsp is never linked into tutti); then the ratio of tutti to spandsp.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector};
use tutti::dsp::tonegen::{DtmfGen, DtmfGenConfig};
use tutti::dsp::tones::{ToneListener, ToneSet};

const SECONDS: usize = 10;
const ROUNDS: usize = 5;
const PASSES: usize = 30;

fn signal() -> Vec<i16> {
    let rate = 8000;
    let cfg = DtmfGenConfig {
        on_ms: 70.0,
        off_ms: 80.0,
        low_dbm0: -12.0,
        twist_db: 2.0,
        freq_error: 0.0,
    };
    let digits: String = "0123456789*#ABCD".chars().cycle().take(66).collect();
    let mut g = DtmfGen::new(rate, &digits, cfg).unwrap();
    let mut s = vec![0i16; rate as usize * SECONDS];
    g.fill(&mut s);
    let mut x: u32 = 0x1234_5678;
    for v in &mut s {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let n = ((x >> 24) as i32 - 128) / 4; // about -50 dBm0 noise
        *v = v.saturating_add(n as i16);
    }
    s
}

fn run(det: &mut DtmfDetector, s: &[i16]) -> usize {
    let mut n = 0;
    for chunk in s.chunks(160) {
        det.process(chunk, &mut |_| n += 1);
    }
    n
}

fn run_listener(l: &mut ToneListener, s: &[i16]) -> usize {
    let mut n = 0;
    for chunk in s.chunks(160) {
        l.process(chunk, &mut |_| n += 1);
        n += l.suppress() as usize;
    }
    n
}

/// Median over rounds of the best pass of each round, in channel-seconds per CPU-second.
fn median_of_best(mut f: impl FnMut()) -> f64 {
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let mut best = f64::MAX;
            for _ in 0..PASSES {
                let t = Instant::now();
                f();
                best = best.min(t.elapsed().as_secs_f64());
            }
            SECONDS as f64 / best
        })
        .collect();
    rounds.sort_by(|a, b| a.total_cmp(b));
    rounds[ROUNDS / 2]
}

/// Builds the spandsp runner and measures it on `s` the same way; `None` without cc or spandsp.
fn spandsp(s: &[i16]) -> Option<f64> {
    let header = [
        "/usr/include/spandsp.h",
        "/usr/include/x86_64-linux-gnu/spandsp.h",
    ];
    if !header.iter().any(|p| Path::new(p).exists()) {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("tutti_bench_dtmf_{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let exe = dir.join("dtmf_spandsp");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spandsp/dtmf_spandsp.c");
    let built = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lspandsp")
        .status()
        .is_ok_and(|st| st.success());
    if !built {
        return None;
    }
    let file = dir.join("signal.bin");
    let mut f = std::fs::File::create(&file).ok()?;
    f.write_all(&(s.len() as u32).to_le_bytes()).ok()?;
    for v in s {
        f.write_all(&v.to_le_bytes()).ok()?;
    }
    drop(f);
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let out = Command::new(&exe)
            .arg("bench")
            .arg(&file)
            .arg(PASSES.to_string())
            .output()
            .ok()?;
        rounds.push(
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<f64>()
                .ok()?,
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    rounds.sort_by(|a, b| a.total_cmp(b));
    Some(rounds[ROUNDS / 2])
}

fn bench(c: &mut Criterion) {
    let s = signal();
    let mut det = DtmfDetector::new(8000, DtmfConfig::att()).unwrap();
    assert_eq!(run(&mut det, &s), 132, "every digit starts and ends once");
    let mut listener = ToneListener::new(8000, &ToneSet::all()).unwrap();

    let t = median_of_best(|| {
        black_box(run(&mut det, black_box(&s)));
    });
    println!("dtmf 8 kHz, tutti DtmfDetector: {t:.0} channel-seconds per CPU-second");
    let tl = median_of_best(|| {
        black_box(run_listener(&mut listener, black_box(&s)));
    });
    println!("dtmf 8 kHz, tutti ToneListener (all tones): {tl:.0} channel-seconds per CPU-second");
    match spandsp(&s) {
        Some(sp) => println!(
            "dtmf 8 kHz, spandsp dtmf_rx: {sp:.0} channel-seconds per CPU-second; \
             tutti / spandsp = {:.2} (listener {:.2})",
            t / sp,
            tl / sp
        ),
        None => println!("NOTE: cc or libspandsp-dev missing; spandsp not measured"),
    }

    let mut g = c.benchmark_group("dtmf");
    g.throughput(Throughput::Elements(s.len() as u64));
    g.bench_function("detect_8k_10s", |b| {
        b.iter(|| black_box(run(&mut det, black_box(&s))))
    });
    g.bench_function("listener_all_8k_10s", |b| {
        b.iter(|| black_box(run_listener(&mut listener, black_box(&s))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
