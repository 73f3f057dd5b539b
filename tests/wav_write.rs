//! The recording writer: exact round trips, a file that is valid at every moment of a
//! recording, survival of SIGKILL, and behaviour on write errors.

mod common;

use common::{have_sox, temp_dir, Rng};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tutti::media::wav::{read_wav_mono, write_wav_mono, WavFileWriter, WavReader};
use tutti::Error;

/// The deterministic test signal: sample `i` of a recording.
fn signal(i: u64) -> i16 {
    (i.wrapping_mul(7_919) ^ (i >> 5).wrapping_mul(40_503)) as u16 as i16
}

fn signal_vec(from: u64, n: u64) -> Vec<i16> {
    (from..from + n).map(signal).collect()
}

/// All samples of `path` as hound reads them, with the file's spec.
fn hound_read(path: &Path) -> (hound::WavSpec, Vec<i16>) {
    let mut r = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{}: hound cannot read: {e}", path.display()));
    let spec = r.spec();
    let samples = r
        .samples::<i16>()
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{}: hound sample error: {e}", path.display()));
    (spec, samples)
}

/// Length of `path` in frames according to sox, or `None` when sox is absent.
fn sox_frames(path: &Path) -> Option<u64> {
    if !have_sox() {
        println!("note: sox not on PATH; skipping the sox check");
        return None;
    }
    let out = Command::new("sox")
        .arg("--i")
        .arg("-s")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sox cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).trim().parse().unwrap())
}

#[test]
fn three_seconds_round_trip_exactly() {
    let dir = temp_dir("w1");
    let mut rng = Rng(11);
    for (rate, channels) in [(16_000u32, 1u16), (48_000, 2)] {
        let p = dir.join(format!("r{rate}-{channels}.wav"));
        let total = 3 * rate as u64 * channels as u64;
        let all = signal_vec(0, total);
        let mut w = WavFileWriter::create(&p, rate, channels).unwrap();
        assert_eq!(w.flush_interval_frames(), rate as u64 / 4);
        let mut pos = 0usize;
        while pos < all.len() {
            let frames = rng.below(3_000) as usize;
            let n = (frames * channels as usize).min(all.len() - pos);
            w.write(&all[pos..pos + n]).unwrap();
            pos += n;
        }
        assert_eq!(w.frames_written(), 3 * rate as u64);
        w.finalize().unwrap();
        let (spec, got) = hound_read(&p);
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.bits_per_sample),
            (rate, channels, 16)
        );
        assert_eq!(got, all);
        if let Some(n) = sox_frames(&p) {
            assert_eq!(n, 3 * rate as u64);
        }
        if channels == 1 {
            assert_eq!(read_wav_mono(&p, rate).unwrap(), all);
        }
    }
    let p = dir.join("mono.wav");
    let samples = signal_vec(5, 12_345);
    write_wav_mono(&p, 8_000, &samples).unwrap();
    assert_eq!(read_wav_mono(&p, 8_000).unwrap(), samples);
}

#[test]
fn file_is_valid_at_every_point_of_a_recording() {
    let dir = temp_dir("w2");
    let p = dir.join("live.wav");
    let mut w = WavFileWriter::create(&p, 8_000, 1).unwrap();
    assert_eq!(
        hound_read(&p).1.len(),
        0,
        "a fresh recording is an empty, valid WAV"
    );
    let interval = w.flush_interval_frames();
    assert_eq!(interval, 2_000);
    let mut written = 0u64;
    for _ in 0..100 {
        w.write(&signal_vec(written, 160)).unwrap();
        written += 160;
        let (_, got) = hound_read(&p);
        let n = got.len() as u64;
        assert!(
            n <= written && written - n < interval,
            "{n} of {written} visible"
        );
        assert_eq!(got, signal_vec(0, n));
    }
    w.flush().unwrap();
    assert_eq!(hound_read(&p).1.len() as u64, written);

    w.set_flush_interval_frames(1);
    for _ in 0..10 {
        w.write(&signal_vec(written, 37)).unwrap();
        written += 37;
        assert_eq!(hound_read(&p).1, signal_vec(0, written));
    }
    // One large write is checkpointed along the way, not only at its end.
    w.set_flush_interval_frames(1_000);
    w.write(&signal_vec(written, 10_500)).unwrap();
    written += 10_500;
    assert_eq!(hound_read(&p).1.len() as u64, written - 500);
    drop(w);
    assert_eq!(
        hound_read(&p).1,
        signal_vec(0, written),
        "drop completes the header"
    );
}

#[test]
fn argument_and_creation_errors() {
    let dir = temp_dir("w3");
    let p = dir.join("a.wav");
    for (rate, ch, name) in [
        (8_000, 0, "channels"),
        (8_000, 3, "channels"),
        (0, 1, "sample_rate"),
    ] {
        match WavFileWriter::create(&p, rate, ch) {
            Err(Error::InvalidArgument { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{other:?}"),
        }
    }
    let mut w = WavFileWriter::create(&p, 8_000, 2).unwrap();
    match w.write(&[1, 2, 3]) {
        Err(Error::InvalidArgument { name, .. }) => assert_eq!(name, "interleaved"),
        other => panic!("{other:?}"),
    }
    w.write(&[1, 2, 3, 4]).unwrap();
    w.finalize().unwrap();
    assert_eq!(hound_read(&p).1, vec![1, 2, 3, 4]);

    let missing = dir.join("no-such-dir").join("a.wav");
    match WavFileWriter::create(&missing, 8_000, 1) {
        Err(e @ Error::Io { .. }) => {
            assert!(
                e.to_string().contains(&missing.display().to_string()),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }
    let full = Path::new("/dev/full");
    if full.exists() {
        match WavFileWriter::create(full, 8_000, 1) {
            Err(e @ Error::Io { .. }) => assert!(e.to_string().starts_with("/dev/full: "), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}

const CHILD_ENV: &str = "TUTTI_WAV_WRITER_CHILD";

/// Child-process side of the crash tests, selected by the environment; a no-op otherwise.
/// `kill:<path>` records in real time until killed; `limit:<path>` records as fast as possible
/// into a file-size limit and reports the error.
#[test]
#[ignore = "run as a child process by the crash tests"]
fn child_process_entry() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (mode, path) = mode.split_once(':').unwrap();
    let mut w = WavFileWriter::create(path, 8_000, 1).unwrap();
    let out = std::io::stdout();
    let started = Instant::now();
    let mut written = 0u64;
    while started.elapsed() < Duration::from_secs(30) {
        match w.write(&signal_vec(written, 160)) {
            Ok(()) => {
                written += 160;
                writeln!(out.lock(), "progress {written}").unwrap();
            }
            Err(e) => {
                writeln!(out.lock(), "error {e}").unwrap();
                let again = w.write(&signal_vec(written, 160)).unwrap_err();
                writeln!(out.lock(), "after {again}").unwrap();
                return;
            }
        }
        out.lock().flush().unwrap();
        if mode == "kill" {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn child_command(mode: &str, path: &Path, file_limit_blocks: Option<u32>) -> Command {
    let exe = std::env::current_exe().unwrap();
    let args = [
        "--exact",
        "child_process_entry",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ];
    let mut cmd = match file_limit_blocks {
        None => {
            let mut c = Command::new(exe);
            c.args(args);
            c
        }
        Some(blocks) => {
            let mut c = Command::new("/bin/sh");
            c.arg("-c")
                .arg(format!(
                    "trap '' XFSZ; ulimit -f {blocks} && exec \"$0\" \"$@\""
                ))
                .arg(exe)
                .args(args);
            c
        }
    };
    cmd.env(CHILD_ENV, format!("{mode}:{}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn recording_survives_sigkill() {
    let dir = temp_dir("w4");
    let p: PathBuf = dir.join("killed.wav");
    let mut child = child_command("kill", &p, None).spawn().unwrap();
    let progress = Arc::new(AtomicU64::new(0));
    let stdout = child.stdout.take().unwrap();
    let seen = progress.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("progress ") {
                seen.store(n.parse().unwrap(), Ordering::SeqCst);
            }
        }
    });
    std::thread::sleep(Duration::from_millis(1_500));
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    let reported = progress.load(Ordering::SeqCst);
    assert!(reported >= 8_000, "child wrote only {reported} frames");

    let (spec, got) = hound_read(&p);
    assert_eq!((spec.sample_rate, spec.channels), (8_000, 1));
    let n = got.len() as u64;
    println!("child reported {reported} frames, file holds {n}");
    assert!(n <= reported + 160, "{n} > {reported}");
    assert!(n + 2_000 > reported, "lost {} frames", reported - n);
    assert!(
        reported - n.min(reported) < 8_000,
        "lost more than a second"
    );
    assert_eq!(got, signal_vec(0, n));
    assert_eq!(read_wav_mono(&p, 8_000).unwrap(), got);
    assert!(!WavReader::open(&p, 8_000).unwrap().is_truncated());
    if let Some(s) = sox_frames(&p) {
        assert_eq!(s, n);
    }
}

#[test]
fn write_error_leaves_a_valid_file() {
    if !Path::new("/bin/sh").exists() {
        println!("note: no /bin/sh; skipping the file-size-limit test");
        return;
    }
    let dir = temp_dir("w5");
    let p: PathBuf = dir.join("limited.wav");
    let out = child_command("limit", &p, Some(64)).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let last_ok: u64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("progress "))
        .next_back()
        .map(|n| n.parse().unwrap())
        .unwrap_or(0);
    let error = text
        .lines()
        .find_map(|l| l.strip_prefix("error "))
        .unwrap_or_else(|| panic!("child reported no error:\n{text}"));
    assert!(error.starts_with(&format!("{}: ", p.display())), "{error}");
    let after = text.lines().find_map(|l| l.strip_prefix("after ")).unwrap();
    assert!(after.contains("earlier write failed"), "{after}");

    let (_, got) = hound_read(&p);
    let n = got.len() as u64;
    println!("error after {last_ok} frames ({error}); file holds {n}");
    assert!(
        n > 0 && n <= last_ok && n + 2_000 >= last_ok,
        "{n} of {last_ok}"
    );
    assert_eq!(got, signal_vec(0, n));
    if let Some(s) = sox_frames(&p) {
        assert_eq!(s, n);
    }
}
