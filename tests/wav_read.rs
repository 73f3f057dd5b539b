//! Reading WAV files of every supported layout, against expectations computed independently of
//! the reader (integer arithmetic on the values written into hand-encoded files).

mod common;

use common::{db, peak_frequency, sine, temp_dir, tone_amplitude, wav_bytes, Rng, WavSpec};
use std::path::{Path, PathBuf};
use tutti::media::wav::{read_wav_mono, WavReader};

/// `v / d` rounded to nearest, halves away from zero (`d > 0`).
fn round_div(v: i64, d: i64) -> i64 {
    let q = (v.abs() * 2 + d) / (2 * d);
    if v < 0 {
        -q
    } else {
        q
    }
}

fn sat(v: i64) -> i16 {
    v.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Reads with an awkward mix of buffer sizes and checks the result against `read_wav_mono`.
fn read_chunked(path: &Path, rate: u32) -> Vec<i16> {
    let mut r = WavReader::open(path, rate).unwrap();
    let mut out = Vec::new();
    let mut buf = [0i16; 1000];
    let mut rng = Rng(99);
    loop {
        let want = 1 + rng.below(999) as usize;
        let n = r.read(&mut buf[..want]).unwrap();
        out.extend_from_slice(&buf[..n]);
        if n < want {
            break;
        }
    }
    assert_eq!(r.read(&mut buf).unwrap(), 0, "end of file must stay at end");
    assert_eq!(out.len() as u64, r.target_frames());
    assert_eq!(out, read_wav_mono(path, rate).unwrap());
    out
}

fn interesting_i32(rng: &mut Rng, n: usize, extremes: &[i32]) -> Vec<i32> {
    let mut v: Vec<i32> = extremes.to_vec();
    v.extend((0..n).map(|_| rng.next_u64() as i32));
    v
}

#[test]
fn eight_bit_unsigned() {
    let dir = temp_dir("wav8");
    let data: Vec<u8> = (0..4).flat_map(|_| 0u8..=255).collect();
    let p = write(
        &dir,
        "a.wav",
        &wav_bytes(&WavSpec::pcm(1, 8_000, 8), &data, None),
    );
    let got = read_chunked(&p, 8_000);
    let want: Vec<i16> = data.iter().map(|&b| (b as i16 - 128) * 256).collect();
    assert_eq!(got, want);
    let r = WavReader::open(&p, 8_000).unwrap();
    assert_eq!(
        (
            r.source_rate(),
            r.source_channels(),
            r.source_bits(),
            r.source_frames()
        ),
        (8_000, 1, 8, 1024)
    );
    assert!(!r.source_is_float() && !r.is_truncated());
}

#[test]
fn sixteen_bit_is_unchanged() {
    let dir = temp_dir("wav16");
    let mut rng = Rng(5);
    let mut samples: Vec<i16> = vec![i16::MIN, i16::MAX, 0, -1, 1];
    samples.extend((0..20_000).map(|_| rng.next_u64() as i16));
    let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let p = write(
        &dir,
        "a.wav",
        &wav_bytes(&WavSpec::pcm(1, 16_000, 16), &data, None),
    );
    assert_eq!(read_chunked(&p, 16_000), samples);
}

#[test]
fn twenty_four_bit_packed_and_in_four_bytes() {
    let dir = temp_dir("wav24");
    let mut rng = Rng(6);
    let extremes = [
        8_388_607,
        -8_388_608,
        128,
        -128,
        127,
        -127,
        384,
        -384,
        0,
        255,
        -32_768 * 256,
    ];
    let values: Vec<i32> = extremes
        .iter()
        .copied()
        .chain((0..10_000).map(|_| (rng.next_u64() as i32) >> 8))
        .collect();
    let want: Vec<i16> = values
        .iter()
        .map(|&v| sat(round_div(v as i64, 256)))
        .collect();
    assert_eq!(
        want[0],
        i16::MAX,
        "8388607/256 rounds to 32768 and saturates"
    );
    assert_eq!(&want[2..6], &[1, -1, 0, 0]);

    let packed: Vec<u8> = values
        .iter()
        .flat_map(|v| v.to_le_bytes()[..3].to_vec())
        .collect();
    let p = write(
        &dir,
        "p.wav",
        &wav_bytes(&WavSpec::pcm(1, 8_000, 24), &packed, None),
    );
    assert_eq!(read_chunked(&p, 8_000), want);
    assert_eq!(WavReader::open(&p, 8_000).unwrap().source_bits(), 24);

    let spec = WavSpec {
        format_tag: 0xFFFE,
        extensible: Some((24, 1)),
        ..WavSpec::pcm(1, 8_000, 32)
    };
    let in_four: Vec<u8> = values.iter().flat_map(|v| (v << 8).to_le_bytes()).collect();
    let p = write(&dir, "x.wav", &wav_bytes(&spec, &in_four, None));
    assert_eq!(read_chunked(&p, 8_000), want);
    assert_eq!(WavReader::open(&p, 8_000).unwrap().source_bits(), 24);
}

#[test]
fn thirty_two_bit_int() {
    let dir = temp_dir("wav32");
    let mut rng = Rng(7);
    let values = interesting_i32(
        &mut rng,
        10_000,
        &[i32::MAX, i32::MIN, 32_768, -32_768, 32_767, 98_304, 0],
    );
    let want: Vec<i16> = values
        .iter()
        .map(|&v| sat(round_div(v as i64, 65_536)))
        .collect();
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(
        &dir,
        "a.wav",
        &wav_bytes(&WavSpec::pcm(1, 22_050, 32), &data, None),
    );
    assert_eq!(read_chunked(&p, 22_050), want);
}

fn float_expectation(x: f32) -> i16 {
    if x.is_nan() {
        0
    } else if x == f32::INFINITY {
        i16::MAX
    } else if x == f32::NEG_INFINITY {
        i16::MIN
    } else {
        // x * 32768 is exact in f64; round halves away from zero, then saturate.
        let y = x as f64 * 32_768.0;
        let r = y.trunc()
            + if y.fract().abs() >= 0.5 {
                y.signum()
            } else {
                0.0
            };
        r.clamp(-32_768.0, 32_767.0) as i16
    }
}

#[test]
fn thirty_two_bit_float_plain_and_extensible() {
    let dir = temp_dir("wavf");
    let mut rng = Rng(8);
    let mut values: Vec<f32> = vec![
        0.0,
        1.0,
        -1.0,
        1.5,
        -1.5,
        0.5 / 32_768.0,
        -0.5 / 32_768.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        32_767.0 / 32_768.0,
    ];
    values.extend((0..10_000).map(|_| (rng.below(1 << 24) as f32 / (1 << 23) as f32) - 1.0));
    let want: Vec<i16> = values.iter().map(|&x| float_expectation(x)).collect();
    assert_eq!(&want[..7], &[0, 32_767, -32_768, 32_767, -32_768, 1, -1]);
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(
        &dir,
        "f.wav",
        &wav_bytes(&WavSpec::float(1, 48_000), &data, None),
    );
    assert_eq!(read_chunked(&p, 48_000), want);
    assert!(WavReader::open(&p, 48_000).unwrap().source_is_float());

    let spec = WavSpec {
        format_tag: 0xFFFE,
        extensible: Some((32, 3)),
        ..WavSpec::float(1, 48_000)
    };
    let p = write(&dir, "fx.wav", &wav_bytes(&spec, &data, None));
    assert_eq!(read_chunked(&p, 48_000), want);
}

#[test]
fn stereo_and_multichannel_are_averaged() {
    let dir = temp_dir("wavch");
    let mut rng = Rng(9);
    // 16-bit stereo, including same-sign extremes and ties.
    let mut frames: Vec<[i16; 2]> = vec![
        [i16::MAX, i16::MAX],
        [i16::MIN, i16::MIN],
        [1, 0],
        [-1, 0],
        [3, 0],
    ];
    frames.extend((0..8_000).map(|_| [rng.next_u64() as i16, rng.next_u64() as i16]));
    let data: Vec<u8> = frames
        .iter()
        .flat_map(|f| f.iter().flat_map(|s| s.to_le_bytes()))
        .collect();
    let p = write(
        &dir,
        "s16.wav",
        &wav_bytes(&WavSpec::pcm(2, 8_000, 16), &data, None),
    );
    let want: Vec<i16> = frames
        .iter()
        .map(|f| sat(round_div(f[0] as i64 + f[1] as i64, 2)))
        .collect();
    assert_eq!(&want[..5], &[i16::MAX, i16::MIN, 1, -1, 2]);
    assert_eq!(read_chunked(&p, 8_000), want);
    assert_eq!(WavReader::open(&p, 8_000).unwrap().source_channels(), 2);

    // 24-bit stereo.
    let frames24: Vec<[i32; 2]> = (0..5_000)
        .map(|_| [(rng.next_u64() as i32) >> 8, (rng.next_u64() as i32) >> 8])
        .collect();
    let data: Vec<u8> = frames24
        .iter()
        .flat_map(|f| f.iter().flat_map(|s| s.to_le_bytes()[..3].to_vec()))
        .collect();
    let p = write(
        &dir,
        "s24.wav",
        &wav_bytes(&WavSpec::pcm(2, 8_000, 24), &data, None),
    );
    let want: Vec<i16> = frames24
        .iter()
        .map(|f| sat(round_div(f[0] as i64 + f[1] as i64, 512)))
        .collect();
    assert_eq!(read_chunked(&p, 8_000), want);

    // Six channels of 16-bit through WAVE_FORMAT_EXTENSIBLE.
    let frames6: Vec<[i16; 6]> = (0..3_000)
        .map(|_| std::array::from_fn(|_| rng.next_u64() as i16))
        .collect();
    let data: Vec<u8> = frames6
        .iter()
        .flat_map(|f| f.iter().flat_map(|s| s.to_le_bytes()))
        .collect();
    let spec = WavSpec {
        format_tag: 0xFFFE,
        extensible: Some((16, 1)),
        ..WavSpec::pcm(6, 8_000, 16)
    };
    let p = write(&dir, "s6.wav", &wav_bytes(&spec, &data, None));
    let want: Vec<i16> = frames6
        .iter()
        .map(|f| {
            let s: i64 = f.iter().map(|&v| v as i64).sum();
            sat(round_div(s, 6))
        })
        .collect();
    assert_eq!(read_chunked(&p, 8_000), want);
}

#[test]
fn resampled_read_keeps_tone_length_and_alignment() {
    let dir = temp_dir("wavrs");
    let amp = 0.5;
    let tone = sine(1_000.0, 44_100.0, amp, 44_100);
    let data: Vec<u8> = tone
        .iter()
        .flat_map(|&x| ((x * 32_768.0).round() as i16).to_le_bytes())
        .collect();
    let p = write(
        &dir,
        "t.wav",
        &wav_bytes(&WavSpec::pcm(1, 44_100, 16), &data, None),
    );
    let out = read_chunked(&p, 8_000);
    assert_eq!(out.len(), 8_000);
    let x: Vec<f64> = out.iter().map(|&s| s as f64 / 32_768.0).collect();
    let mid = &x[800..7_200];
    let f = peak_frequency(mid, 8_000.0, 950.0, 1_050.0);
    assert!((f - 1_000.0).abs() < 0.5, "frequency {f}");
    let level = db(tone_amplitude(mid, 1_000.0, 8_000.0), amp);
    assert!(level.abs() < 0.5, "level {level:.2} dB");

    // An impulse in a 48 kHz stereo file lands at the matching 16 kHz position.
    let mut frames = vec![[0i16; 2]; 48_000 / 4];
    frames[6_000] = [20_000, 20_000];
    let data: Vec<u8> = frames
        .iter()
        .flat_map(|f| f.iter().flat_map(|s| s.to_le_bytes()))
        .collect();
    let p = write(
        &dir,
        "i.wav",
        &wav_bytes(&WavSpec::pcm(2, 48_000, 16), &data, None),
    );
    let out = read_chunked(&p, 16_000);
    assert_eq!(out.len(), 4_000);
    let peak = out
        .iter()
        .enumerate()
        .max_by_key(|(_, v)| v.unsigned_abs())
        .unwrap()
        .0;
    assert!((peak as i64 - 2_000).abs() <= 2, "peak at {peak}");
}

#[test]
fn rewind_restarts_identically() {
    let dir = temp_dir("wavrw");
    let tone = sine(440.0, 22_050.0, 0.3, 10_000);
    let data: Vec<u8> = tone
        .iter()
        .flat_map(|&x| ((x * 32_768.0).round() as i16).to_le_bytes())
        .collect();
    let p = write(
        &dir,
        "a.wav",
        &wav_bytes(&WavSpec::pcm(1, 22_050, 16), &data, None),
    );
    for rate in [22_050, 8_000] {
        let mut r = WavReader::open(&p, rate).unwrap();
        let mut first = vec![0i16; 20_000];
        let n1 = r.read(&mut first).unwrap();
        assert_eq!(n1 as u64, r.target_frames());
        // Rewind mid-stream and at the end.
        r.rewind().unwrap();
        let mut part = vec![0i16; 1_234];
        assert_eq!(r.read(&mut part).unwrap(), 1_234);
        assert_eq!(&part[..], &first[..1_234]);
        r.rewind().unwrap();
        let mut second = vec![0i16; 20_000];
        let n2 = r.read(&mut second).unwrap();
        assert_eq!((n1, &first[..n1]), (n2, &second[..n2]));
    }
}

#[test]
fn bad_target_rate_is_an_argument_error() {
    let dir = temp_dir("wavarg");
    let p = write(
        &dir,
        "a.wav",
        &wav_bytes(&WavSpec::pcm(1, 8_000, 16), &[0; 100], None),
    );
    match WavReader::open(&p, 0) {
        Err(tutti::Error::InvalidArgument { name, .. }) => assert_eq!(name, "target_rate"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn reader_writer_and_resampler_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<WavReader>();
    assert_send::<tutti::media::wav::WavFileWriter>();
    assert_send::<tutti::dsp::resample::Resampler>();
}
