//! A recording survives SIGKILL: a child process records through the engine in (roughly) real
//! time and is killed; the file it leaves is a valid WAV holding an exact prefix of what was
//! recorded, missing at most one second of what the child reported as ticked.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tutti::engine::RecordOptions;
use tutti::{ChannelKind, Config, Processor};

const L: usize = 160; // 8 kHz, 20 ms
const ENV: &str = "TUTTI_KILL_CHILD_DIR";

/// Sample `n` of the deterministic signal.
fn sample(n: u64) -> i16 {
    (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as i16
}

/// Child mode: records forever (until killed), reporting progress in `progress`.
#[test]
#[ignore = "child process of recording_survives_sigkill"]
fn child_record_until_killed() {
    let Some(dir) = std::env::var_os(ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mut p = Processor::new(Config {
        sample_rate: 8000,
        frame_ms: 20,
    })
    .unwrap();
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_output_feed(ch, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    p.record(
        p.channel_datafeed(ch).unwrap(),
        dir.join("rec.wav"),
        RecordOptions::default(),
    )
    .unwrap();
    let progress = dir.join("progress");
    let tmp = dir.join("progress.tmp");
    let mut frame = vec![0i16; L];
    // Bounded so that an orphaned child cannot run forever.
    for t in 0..3000u64 {
        for (i, s) in frame.iter_mut().enumerate() {
            *s = sample(t * L as u64 + i as u64);
        }
        p.endpoint_write(ep, &frame).unwrap();
        p.tick();
        if t % 3 == 2 {
            p.service_io();
        }
        // Ticked frames, published atomically.
        std::fs::write(&tmp, (t + 1).to_string()).unwrap();
        std::fs::rename(&tmp, &progress).unwrap();
        std::thread::sleep(Duration::from_millis(4));
    }
}

fn read_progress(path: &Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn recording_survives_sigkill() {
    let dir = common::temp_dir("kill");
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args([
            "--exact",
            "child_record_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, &*dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let progress = dir.join("progress");
    let start = Instant::now();
    // Wait until the child is well under way (at least 1 s of audio), then ~1.5 s in all.
    while read_progress(&progress) < 50 || start.elapsed() < Duration::from_millis(1500) {
        if start.elapsed() > Duration::from_secs(4) {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    let reported = read_progress(&progress);
    assert!(
        reported >= 50,
        "child made too little progress: {reported} frames"
    );

    let path = dir.join("rec.wav");
    let mut r = hound::WavReader::open(&path).expect("a valid WAV after SIGKILL");
    let spec = r.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 8000, 16)
    );
    let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    let reported_samples = reported * L as u64;
    assert!(
        samples.len() as u64 <= reported_samples + 2 * L as u64,
        "more audio than was ticked: {} > {reported_samples}",
        samples.len()
    );
    for (n, &s) in samples.iter().enumerate() {
        assert_eq!(s, sample(n as u64), "sample {n} of {}", samples.len());
    }
    let missing = reported_samples.saturating_sub(samples.len() as u64);
    eprintln!(
        "recorded {} samples, child reported {reported_samples}, {missing} missing",
        samples.len()
    );
    assert!(
        missing <= 8000,
        "{missing} samples missing ({} recorded, {reported_samples} reported)",
        samples.len()
    );
}
