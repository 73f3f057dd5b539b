//! Malformed, unsupported and truncated WAV files: each gives a typed error naming the file (or,
//! for a short data chunk, the documented truncation behaviour), and nothing panics.

mod common;

use common::{temp_dir, wav_bytes, Rng, WavSpec};
use std::path::{Path, PathBuf};
use tutti::media::wav::{read_wav_mono, WavReader};
use tutti::Error;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Asserts that opening `path` fails with `BadFile` for that path, whose message contains
/// `needle` and the path itself.
fn expect_bad(path: &Path, needle: &str) {
    match WavReader::open(path, 8_000) {
        Err(e @ Error::BadFile { .. }) => {
            let Error::BadFile { path: p, problem } = &e else {
                unreachable!()
            };
            assert_eq!(p, path);
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(problem.contains(needle), "{msg} lacks {needle:?}");
        }
        other => panic!(
            "{}: expected BadFile({needle}), got {other:?}",
            path.display()
        ),
    }
}

fn pcm16(frames: usize) -> Vec<u8> {
    (0..frames)
        .flat_map(|i| (i as i16).wrapping_mul(97).to_le_bytes())
        .collect()
}

#[test]
fn not_wav_files() {
    let dir = temp_dir("bad1");
    expect_bad(&write(&dir, "empty.wav", b""), "empty");
    expect_bad(&write(&dir, "short.wav", b"RIFF"), "not a RIFF/WAVE file");
    let mut rng = Rng(3);
    let noise: Vec<u8> = (0..5_000).map(|_| rng.next_u64() as u8).collect();
    expect_bad(&write(&dir, "noise.wav", &noise), "not a RIFF/WAVE file");
    let mut avi = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &pcm16(100), None);
    avi[8..12].copy_from_slice(b"AVI ");
    expect_bad(&write(&dir, "avi.wav", &avi), "not a RIFF/WAVE file");
    let mut rf64 = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &pcm16(100), None);
    rf64[0..4].copy_from_slice(b"RF64");
    expect_bad(&write(&dir, "rf64.wav", &rf64), "unsupported format: RF64");
}

#[test]
fn unsupported_encodings() {
    let dir = temp_dir("bad2");
    let adpcm = WavSpec {
        format_tag: 2,
        bits: 4,
        block_align: 256,
        ..WavSpec::pcm(1, 8_000, 16)
    };
    let p = write(&dir, "adpcm.wav", &wav_bytes(&adpcm, &[0; 512], None));
    expect_bad(&p, "unsupported format: codec 0x0002 (MS ADPCM)");
    let mulaw = WavSpec {
        format_tag: 7,
        ..WavSpec::pcm(1, 8_000, 8)
    };
    expect_bad(
        &write(&dir, "ulaw.wav", &wav_bytes(&mulaw, &[0; 100], None)),
        "mu-law",
    );

    let twelve = WavSpec {
        bits: 12,
        block_align: 2,
        ..WavSpec::pcm(1, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "12.wav", &wav_bytes(&twelve, &pcm16(100), None)),
        "unsupported format: 12-bit",
    );
    let twelve_ext = WavSpec {
        format_tag: 0xFFFE,
        extensible: Some((12, 1)),
        ..WavSpec::pcm(1, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "12x.wav", &wav_bytes(&twelve_ext, &pcm16(100), None)),
        "unsupported format: 12-bit",
    );
    let double = WavSpec {
        format_tag: 3,
        bits: 64,
        block_align: 8,
        ..WavSpec::pcm(1, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "f64.wav", &wav_bytes(&double, &[0; 800], None)),
        "unsupported format: 64-bit float",
    );
    let ext_other = WavSpec {
        format_tag: 0xFFFE,
        extensible: Some((16, 0x55)),
        ..WavSpec::pcm(1, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "mp3x.wav", &wav_bytes(&ext_other, &pcm16(100), None)),
        "unsupported format: codec 0x0055",
    );
}

#[test]
fn malformed_headers() {
    let dir = temp_dir("bad3");
    let zero_ch = WavSpec {
        channels: 0,
        ..WavSpec::pcm(1, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "0ch.wav", &wav_bytes(&zero_ch, &pcm16(10), None)),
        "zero channels",
    );
    let zero_rate = WavSpec::pcm(1, 0, 16);
    expect_bad(
        &write(&dir, "0hz.wav", &wav_bytes(&zero_rate, &pcm16(10), None)),
        "unsupported sample rate: 0 Hz",
    );
    let bad_align = WavSpec {
        block_align: 3,
        ..WavSpec::pcm(2, 8_000, 16)
    };
    expect_bad(
        &write(&dir, "align.wav", &wav_bytes(&bad_align, &pcm16(10), None)),
        "block align",
    );
    // Odd-sized data chunk: not a whole number of samples.
    let odd = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &pcm16(10)[..19], None);
    expect_bad(&write(&dir, "odd.wav", &odd), "malformed WAV");
    // No data chunk at all.
    let full = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &[], None);
    let mut nodata = full[..full.len() - 8].to_vec();
    let riff_len = (nodata.len() - 8) as u32;
    nodata[4..8].copy_from_slice(&riff_len.to_le_bytes());
    expect_bad(&write(&dir, "nodata.wav", &nodata), "no data chunk");
}

#[test]
fn truncated_data_delivers_what_is_present() {
    let dir = temp_dir("bad4");
    let data = pcm16(1_000);
    // The header claims 2000 frames; 1000 and a half are present.
    let mut bytes = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &data, Some(4_000));
    bytes.push(0x55);
    let p = write(&dir, "cut.wav", &bytes);
    let r = WavReader::open(&p, 8_000).unwrap();
    assert!(r.is_truncated());
    assert_eq!(r.source_frames(), 1_000);
    let got = read_wav_mono(&p, 8_000).unwrap();
    let want: Vec<i16> = data
        .chunks(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert_eq!(got, want);
    assert_eq!(read_wav_mono(&p, 16_000).unwrap().len(), 2_000);

    // A streaming writer's "unknown length" header.
    let bytes = wav_bytes(&WavSpec::pcm(1, 8_000, 16), &data, Some(u32::MAX - 1));
    let p = write(&dir, "stream.wav", &bytes);
    assert_eq!(read_wav_mono(&p, 8_000).unwrap(), want);
}

#[test]
fn file_shrinking_while_read_is_reported() {
    let dir = temp_dir("bad5");
    let data = pcm16(100_000);
    let p = write(
        &dir,
        "shrink.wav",
        &wav_bytes(&WavSpec::pcm(1, 8_000, 16), &data, None),
    );
    let mut r = WavReader::open(&p, 8_000).unwrap();
    let mut buf = vec![0i16; 1_000];
    assert_eq!(r.read(&mut buf).unwrap(), 1_000);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(100_000)
        .unwrap();
    let err = loop {
        match r.read(&mut buf) {
            Ok(0) => panic!("reached the end without noticing the truncation"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    match &err {
        Error::BadFile { path, problem } => {
            assert_eq!(path, &p);
            assert_eq!(problem, "truncated data");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_and_directory_are_io_errors() {
    let dir = temp_dir("bad6");
    let missing = dir.join("nope.wav");
    match WavReader::open(&missing, 8_000) {
        Err(Error::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    match WavReader::open(&dir, 8_000) {
        Err(Error::Io { path, .. }) | Err(Error::BadFile { path, .. }) => {
            assert_eq!(path, dir.to_path_buf())
        }
        other => panic!("{other:?}"),
    }
}

/// Every prefix of a valid file, and many random corruptions of it, open and read without
/// panicking; every failure is a `BadFile` naming the file.
#[test]
fn cut_and_corrupted_files_never_panic() {
    let dir = temp_dir("bad7");
    let specs = [
        (WavSpec::pcm(2, 44_100, 16), 400usize),
        (WavSpec::pcm(1, 8_000, 24), 300),
        (
            WavSpec {
                format_tag: 0xFFFE,
                extensible: Some((32, 3)),
                ..WavSpec::float(1, 16_000)
            },
            200,
        ),
    ];
    let p = dir.join("f.wav");
    let mut rng = Rng(0xdead_beef);
    let mut buf = vec![0i16; 333];
    let mut check = |bytes: &[u8]| {
        std::fs::write(&p, bytes).unwrap();
        match WavReader::open(&p, 8_000) {
            Ok(mut r) => {
                let mut total = 0u64;
                loop {
                    match r.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => total += n as u64,
                        Err(e) => panic!("read error on a file that opened: {e}"),
                    }
                }
                assert_eq!(total, r.target_frames());
            }
            Err(Error::BadFile { path, .. }) => assert_eq!(path, p),
            Err(e) => panic!("unexpected error kind: {e:?}"),
        }
    };
    for (spec, frames) in &specs {
        let data: Vec<u8> = (0..frames * spec.block_align as usize)
            .map(|_| rng.next_u64() as u8)
            .collect();
        let good = wav_bytes(spec, &data, None);
        for len in 0..good.len().min(120) {
            check(&good[..len]);
        }
        for _ in 0..300 {
            let mut bad = good.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(90.min(bad.len() as u64)) as usize;
                bad[at] = rng.next_u64() as u8;
            }
            if rng.below(3) == 0 {
                bad.truncate(rng.below(bad.len() as u64) as usize);
            }
            check(&bad);
        }
    }
}
