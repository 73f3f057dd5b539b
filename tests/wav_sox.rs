//! Files made by sox are read correctly: tone frequency, level and length, and agreement with
//! sox's own conversion to mono 16-bit at the target rate. Skipped (with a note) without sox.

mod common;

use common::{db, have_sox, peak_frequency, rms, temp_dir, tone_amplitude};
use std::path::Path;
use std::process::Command;
use tutti::media::wav::{read_wav_mono, WavReader};

fn sox(args: &[&str], dir: &Path) {
    let out = Command::new("sox")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sox {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// sox's own conversion of `file` to undithered mono 16-bit at `rate`, read with hound.
fn sox_reference(dir: &Path, file: &str, rate: u32) -> Vec<i16> {
    let out = format!("ref-{rate}-{file}");
    let rate_s = rate.to_string();
    sox(
        &[
            file,
            "-D",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-c",
            "1",
            "-r",
            &rate_s,
            &out,
        ],
        dir,
    );
    hound::WavReader::open(dir.join(out))
        .unwrap()
        .samples::<i16>()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn as_f64(x: &[i16]) -> Vec<f64> {
    x.iter().map(|&s| s as f64 / 32_768.0).collect()
}

struct Case {
    file: &'static str,
    make: &'static [&'static str],
    rate: u32,
    channels: u16,
    bits: u16,
    frames: u64,
    target: u32,
    tone: f64,
}

#[test]
fn sox_files_read_correctly() {
    if !have_sox() {
        println!("note: sox not on PATH; skipping the sox interoperability test");
        return;
    }
    let dir = temp_dir("sox");
    let cases = [
        Case {
            file: "s24.wav",
            make: &[
                "-n", "-r", "11025", "-b", "24", "s24.wav", "synth", "1", "sine", "440", "gain",
                "-3",
            ],
            rate: 11_025,
            channels: 1,
            bits: 24,
            frames: 11_025,
            target: 11_025,
            tone: 440.0,
        },
        Case {
            file: "u8.wav",
            make: &[
                "-n",
                "-r",
                "8000",
                "-b",
                "8",
                "-e",
                "unsigned-integer",
                "u8.wav",
                "synth",
                "0.5",
                "sine",
                "1000",
                "gain",
                "-3",
            ],
            rate: 8_000,
            channels: 1,
            bits: 8,
            frames: 4_000,
            target: 8_000,
            tone: 1_000.0,
        },
        Case {
            file: "s32.wav",
            make: &[
                "-n", "-r", "16000", "-b", "32", "s32.wav", "synth", "1", "sine", "700", "gain",
                "-6",
            ],
            rate: 16_000,
            channels: 1,
            bits: 32,
            frames: 16_000,
            target: 16_000,
            tone: 700.0,
        },
        Case {
            file: "f32.wav",
            make: &[
                "-n",
                "-r",
                "48000",
                "-e",
                "floating-point",
                "-b",
                "32",
                "-c",
                "2",
                "f32.wav",
                "synth",
                "1",
                "sine",
                "1000",
                "sine",
                "1000",
                "gain",
                "-6",
            ],
            rate: 48_000,
            channels: 2,
            bits: 32,
            frames: 48_000,
            target: 8_000,
            tone: 1_000.0,
        },
        Case {
            file: "s16.wav",
            make: &[
                "-n", "-r", "22050", "-b", "16", "-c", "3", "s16.wav", "synth", "1", "sine", "500",
                "gain", "-6",
            ],
            rate: 22_050,
            channels: 3,
            bits: 16,
            frames: 22_050,
            target: 16_000,
            tone: 500.0,
        },
        Case {
            file: "up.wav",
            make: &[
                "-n", "-r", "8000", "-b", "16", "up.wav", "synth", "1", "sine", "1200", "gain",
                "-6",
            ],
            rate: 8_000,
            channels: 1,
            bits: 16,
            frames: 8_000,
            target: 44_100,
            tone: 1_200.0,
        },
    ];
    for c in &cases {
        sox(c.make, &dir);
        let path = dir.join(c.file);
        let r = WavReader::open(&path, c.target).unwrap();
        assert_eq!(
            (
                r.source_rate(),
                r.source_channels(),
                r.source_bits(),
                r.source_frames()
            ),
            (c.rate, c.channels, c.bits, c.frames),
            "{}",
            c.file
        );
        let ours = read_wav_mono(&path, c.target).unwrap();
        let expected_len = (c.frames * c.target as u64).div_ceil(c.rate as u64) as usize;
        assert_eq!(ours.len(), expected_len, "{}", c.file);

        let x = as_f64(&ours);
        let edge = ours.len() / 10;
        let mid = &x[edge..ours.len() - edge];
        let f = peak_frequency(mid, c.target as f64, c.tone - 40.0, c.tone + 40.0);
        assert!((f - c.tone).abs() < 0.5, "{}: {f} Hz", c.file);

        let reference = sox_reference(&dir, c.file, c.target);
        assert_eq!(
            reference.len(),
            ours.len(),
            "{}: length differs from sox",
            c.file
        );
        if c.rate == c.target {
            let worst = ours
                .iter()
                .zip(&reference)
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .max()
                .unwrap();
            assert!(worst <= 1, "{}: differs from sox by {worst} LSB", c.file);
        } else {
            let rf = as_f64(&reference);
            let diff: Vec<f64> = x.iter().zip(&rf).map(|(a, b)| a - b).collect();
            let snr = db(rms(mid), rms(&diff[edge..ours.len() - edge]));
            let level = db(
                tone_amplitude(mid, c.tone, c.target as f64),
                tone_amplitude(&rf[edge..ours.len() - edge], c.tone, c.target as f64),
            );
            println!(
                "{}: agreement with sox {snr:.1} dB, level {level:+.3} dB",
                c.file
            );
            assert!(
                snr > 60.0,
                "{}: agreement with sox only {snr:.1} dB",
                c.file
            );
            assert!(
                level.abs() < 0.1,
                "{}: level differs from sox by {level:.2} dB",
                c.file
            );
        }
    }
}
