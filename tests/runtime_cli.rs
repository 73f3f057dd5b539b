//! `tutti bench --realtime` prints its timings as one line of key=value pairs.

use std::process::Command;

#[test]
fn bench_realtime_prints_the_tick_timings() {
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(["bench", "--realtime", "--parties", "20", "--seconds", "0.5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    let value = |key: &str| -> f64 {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key}= missing in {line}"))
            .parse()
            .unwrap()
    };
    for key in ["late_ticks", "tick_p50_us", "tick_p99_us", "tick_max_us"] {
        assert!(value(key) >= 0.0);
    }
    assert!(value("tick_p50_us") <= value("tick_p99_us"));
    assert!(value("tick_p99_us") <= value("tick_max_us"));
    assert!(value("ticks") >= 10.0, "{line}");
    assert_eq!(value("n"), 20.0);
}

#[test]
fn bench_realtime_checks_its_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args(["bench", "--realtime", "--parties", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Without the `device` feature the sound-card commands say how to get them.
#[cfg(not(feature = "device"))]
#[test]
fn sound_card_commands_explain_the_missing_feature() {
    for args in [&["devices"][..], &["live", "--party", "device"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--features device"), "{err}");
    }
}

/// `tutti live` on ALSA's null device (declared with a hint in a private `.asoundrc`), with the
/// sound card and a WAV file as parties and the conference recorded.
#[cfg(feature = "device")]
#[test]
fn live_runs_on_the_null_device() {
    let dir = std::env::temp_dir().join(format!("tutti-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".asoundrc"),
        "pcm.tuttinull {\n type null\n hint { show on description \"tutti test null device\" }\n}\n",
    )
    .unwrap();
    let tone: Vec<i16> = (0..16000)
        .map(|i| ((i as f64 * 0.2).sin() * 8000.0) as i16)
        .collect();
    let wav = dir.join("tone.wav");
    tutti::media::wav::write_wav_mono(&wav, 16000, &tone).unwrap();
    let devices = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .arg("devices")
        .env("HOME", &dir)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&devices.stdout).to_string();
    if !listed.contains("tuttinull") {
        eprintln!("skipped: no ALSA null device here ({listed:?})");
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tutti"))
        .args([
            "live",
            "--device",
            "tuttinull",
            "--party",
            "device",
            "--party",
        ])
        .arg(&wav)
        .args(["--seconds", "1", "--out"])
        .arg(dir.join("out"))
        .env("HOME", &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(line.contains("late_ticks="), "{line}");
    assert!(!line.contains("device_played=0 "), "{line}");
    let rec = tutti::media::wav::WavReader::open(dir.join("out/conference.wav"), 16000).unwrap();
    assert!(rec.source_frames() >= 8000, "{}", rec.source_frames());
    let _ = std::fs::remove_dir_all(&dir);
}
