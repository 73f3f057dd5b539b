//! Recording and replay through the engine: recorders write exactly what the tick produced,
//! players deliver exactly what the WAV reader decodes, and every failure (I/O errors, full
//! queues, underruns, bad files) is reported without stopping the mix.

mod common;
#[path = "support/oracle.rs"]
mod oracle;

use common::{temp_dir, wav_bytes, Rng, WavSpec};
use std::path::{Path, PathBuf};
use tutti::engine::{RecordOptions, ReplayOptions};
use tutti::media::wav::read_wav_mono;
use tutti::{ChannelId, ChannelKind, Config, EndpointId, Event, Processor};

const L: usize = 160; // 8 kHz, 20 ms

/// Counts the allocations made by the current thread while it is armed.
struct Counting;

thread_local! {
    static ARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static ALLOCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn note() {
    let _ = ARMED.try_with(|a| {
        if a.get() {
            ALLOCS.with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        note();
        std::alloc::System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        note();
        std::alloc::System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        note();
        std::alloc::System.realloc(ptr, layout, size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while running `f`.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(|n| n.get());
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    ALLOCS.with(|n| n.get()) - before
}

fn proc8() -> Processor {
    Processor::new(Config {
        sample_rate: 8000,
        frame_ms: 20,
    })
    .unwrap()
}

fn drain(p: &mut Processor) -> Vec<Event> {
    std::iter::from_fn(|| p.poll_event().map(|e| e.event)).collect()
}

/// Loud pseudo-random frames (so that mixes saturate now and then).
fn noise_frame(rng: &mut Rng) -> Vec<i16> {
    (0..L).map(|_| rng.next_u64() as i16 / 2).collect()
}

/// Reads a 16-bit WAV with hound (independently of the crate's reader): (channels, rate, samples).
fn hound_read(path: &Path) -> (u16, u32, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(spec.bits_per_sample, 16);
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    let s: Vec<i16> = r.samples::<i16>().map(|x| x.unwrap()).collect();
    (spec.channels, spec.sample_rate, s)
}

/// Independent Q12 gain: `(x * round(4096 * 10^(g/20)) + 2048) >> 12`, saturated.
fn q12_gain(x: i16, db: f64) -> i16 {
    oracle::sat(oracle::term(x as i64, db))
}

// ------------------------------------------------------------------------------- recording

#[test]
fn recordings_equal_what_endpoints_read() {
    let dir = temp_dir("rec-conf");
    let mut p = proc8();
    // Three parties, each hearing the other two (mix-minus).
    let mut eps = Vec::new();
    let mut chs = Vec::new();
    for _ in 0..3 {
        let ep = p.endpoint_create().unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
        p.conf_prim_attach(ch).unwrap();
        p.conf_prim_start(ch).unwrap();
        p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
            .unwrap();
        eps.push(ep);
        chs.push(ch);
    }
    for &o in &chs {
        for &i in &chs {
            if i != o {
                p.conf_prim_add(o, i, 0.0).unwrap();
            }
        }
    }
    let mono = dir.join("mono.wav");
    let stereo = dir.join("stereo.wav");
    let r1 = p
        .record(
            p.channel_datafeed(chs[0]).unwrap(),
            &mono,
            RecordOptions::default(),
        )
        .unwrap();
    let r2 = p
        .record_stereo(
            p.channel_datafeed(chs[1]).unwrap(),
            p.endpoint_datafeed(eps[2]).unwrap(),
            &stereo,
            RecordOptions::default(),
        )
        .unwrap();
    let mut rng = Rng(0x1234_5678);
    let (mut out0, mut out1, mut in2) = (Vec::new(), Vec::new(), Vec::new());
    let ticks = 60;
    for t in 0..ticks {
        for (k, &ep) in eps.iter().enumerate() {
            let f = noise_frame(&mut rng);
            if k == 2 {
                in2.extend_from_slice(&f);
            }
            p.endpoint_write(ep, &f).unwrap();
        }
        if t == 30 {
            // The topology changes mid-recording: party 2 leaves party 0's mix.
            p.conf_prim_leave(chs[0], chs[2]).unwrap();
        }
        if t == 45 {
            p.conf_prim_add(chs[0], chs[2], -3.0).unwrap();
        }
        p.tick();
        let mut f = vec![0; L];
        p.endpoint_read(eps[0], &mut f).unwrap();
        out0.extend_from_slice(&f);
        p.endpoint_read(eps[1], &mut f).unwrap();
        out1.extend_from_slice(&f);
        if t % 3 == 2 {
            p.service_io();
        }
    }
    p.recorder_stop(r1).unwrap();
    p.recorder_stop(r2).unwrap();
    p.service_io();
    let ev = drain(&mut p);
    for r in [r1, r2] {
        assert!(
            ev.contains(&Event::RecordingStopped {
                recorder: r,
                frames: ticks * L as u64,
            }),
            "{ev:?}"
        );
    }
    let (ch, rate, s) = hound_read(&mono);
    assert_eq!((ch, rate), (1, 8000));
    assert_eq!(s, out0);
    let (ch, rate, s) = hound_read(&stereo);
    assert_eq!((ch, rate), (2, 8000));
    let left: Vec<i16> = s.iter().step_by(2).copied().collect();
    let right: Vec<i16> = s.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(left, out1);
    assert_eq!(right, in2);
    // A stopped recorder's handle is stale.
    assert!(p.recorder_dropped_frames(r1).is_err());
    assert!(p.recorder_stop(r1).is_err());
}

#[test]
fn record_input_records_what_enters_the_conference() {
    let dir = temp_dir("rec-input");
    let mut p = proc8();
    let ea = p.endpoint_create().unwrap();
    let a = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_connect_input(a, p.endpoint_datafeed(ea).unwrap())
        .unwrap();
    p.channel_set_input_gain(a, -6.0).unwrap();
    p.conf_prim_attach(a).unwrap();
    // b's output is a conference that hears only a; an endpoint reads it.
    let b = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.conf_prim_start(b).unwrap();
    p.conf_prim_add(b, a, 0.0).unwrap();
    let eb = p.endpoint_create().unwrap();
    p.endpoint_connect(eb, p.channel_datafeed(b).unwrap())
        .unwrap();
    // A second input at unity gain, not attached: its recording is its feed as is.
    let c = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(c, p.endpoint_datafeed(ea).unwrap())
        .unwrap();

    let pa = dir.join("a-in.wav");
    let pc = dir.join("c-in.wav");
    let ra = p.record_input(a, &pa, RecordOptions::default()).unwrap();
    let rc = p.record_input(c, &pc, RecordOptions::default()).unwrap();
    // An output-only channel has no input to record.
    let o = p.channel_create(ChannelKind::OutputOnly).unwrap();
    assert!(p
        .record_input(o, dir.join("x.wav"), RecordOptions::default())
        .is_err());

    let mut rng = Rng(99);
    let (mut sent, mut heard) = (Vec::new(), Vec::new());
    for t in 0..40 {
        let f: Vec<i16> = (0..L).map(|_| rng.next_u64() as i16).collect();
        sent.extend_from_slice(&f);
        p.endpoint_write(ea, &f).unwrap();
        p.tick();
        let mut out = vec![0; L];
        p.endpoint_read(eb, &mut out).unwrap();
        heard.extend_from_slice(&out);
        if t % 4 == 0 {
            p.service_io();
        }
    }
    p.recorder_stop(ra).unwrap();
    p.recorder_stop(rc).unwrap();
    p.service_io();
    let expected: Vec<i16> = sent.iter().map(|&x| q12_gain(x, -6.0)).collect();
    let (_, _, rec_a) = hound_read(&pa);
    assert_eq!(
        rec_a, expected,
        "input recording = feed after the input gain"
    );
    assert_eq!(rec_a, heard, "input recording = what the conference mixes");
    let (_, _, rec_c) = hound_read(&pc);
    assert_eq!(rec_c, sent);
}

/// Child side of [`recorder_io_error_keeps_mixing`]: runs with a 20 000-byte file-size limit.
#[test]
#[ignore = "child process of recorder_io_error_keeps_mixing"]
fn child_recorder_fsize_limit() {
    let Some(dir) = std::env::var_os("TUTTI_FSIZE_CHILD") else {
        return;
    };
    let path = PathBuf::from(dir).join("limited.wav");
    // SAFETY: plain libc calls on this (child) process, before any file is opened.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: 20_000,
            rlim_max: 20_000,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
    let mut p = proc8();
    let (ep, ch, out) = passthrough(&mut p);
    let rec = p
        .record(
            p.channel_datafeed(ch).unwrap(),
            &path,
            RecordOptions::default(),
        )
        .unwrap();
    let mut errors = Vec::new();
    // 300 frames = 96 000 bytes of audio, far beyond the limit.
    for t in 0..300u64 {
        let f = det_frame(t);
        p.endpoint_write(ep, &f).unwrap();
        p.tick();
        let mut got = vec![0; L];
        p.endpoint_read(out, &mut got).unwrap();
        assert_eq!(got, f, "mixing goes on at tick {t}");
        if t % 5 == 4 {
            p.service_io();
        }
        for e in drain(&mut p) {
            if let Event::RecorderError { recorder, message } = e {
                assert_eq!(recorder, rec);
                assert!(message.contains(&path.display().to_string()), "{message}");
                errors.push(t);
            }
        }
    }
    assert_eq!(errors.len(), 1, "one RecorderError: {errors:?}");
    p.recorder_stop(rec).unwrap();
    p.service_io();
    // After the error the file is not finalised again.
    assert!(!drain(&mut p)
        .iter()
        .any(|e| matches!(e, Event::RecordingStopped { .. })));
}

#[test]
fn recorder_io_error_keeps_mixing() {
    let dir = temp_dir("rec-fsize");
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "child_recorder_fsize_limit",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TUTTI_FSIZE_CHILD", &*dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "child did not run: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let path = dir.join("limited.wav");
    assert!(std::fs::metadata(&path).unwrap().len() <= 20_000);
    let (ch, rate, s) = hound_read(&path);
    assert_eq!((ch, rate), (1, 8000));
    assert!(!s.is_empty(), "audio up to the last header update is kept");
    let expected: Vec<i16> = (0..300).flat_map(det_frame).collect();
    assert_eq!(
        s[..],
        expected[..s.len()],
        "an exact prefix of what was recorded"
    );
}

/// Frame `t` of a deterministic signal.
fn det_frame(t: u64) -> Vec<i16> {
    (0..L as u64)
        .map(|i| {
            let n = t * L as u64 + i;
            (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as i16
        })
        .collect()
}

/// An endpoint whose datafeed a channel's output passes through, and a second endpoint reading
/// that output: (input endpoint, channel, output endpoint).
fn passthrough(p: &mut Processor) -> (EndpointId, ChannelId, EndpointId) {
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_output_feed(ch, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    let out = p.endpoint_create().unwrap();
    p.endpoint_connect(out, p.channel_datafeed(ch).unwrap())
        .unwrap();
    (ep, ch, out)
}

#[test]
fn full_queue_drops_counts_and_reports_once_per_episode() {
    let dir = temp_dir("rec-overflow");
    let path = dir.join("o.wav");
    let mut p = proc8();
    let (ep, ch, _) = passthrough(&mut p);
    // 100 ms = 5 frames of queue.
    let rec = p
        .record(
            p.channel_datafeed(ch).unwrap(),
            &path,
            RecordOptions { queue_ms: 100 },
        )
        .unwrap();
    assert!(p
        .record(
            p.channel_datafeed(ch).unwrap(),
            dir.join("x.wav"),
            RecordOptions { queue_ms: 30 }
        )
        .is_err());
    let mut t = 0u64;
    let mut tick = |p: &mut Processor, n: u64| {
        for _ in 0..n {
            p.endpoint_write(ep, &det_frame(t)).unwrap();
            p.tick();
            t += 1;
        }
    };
    let overflows = |ev: &[Event]| {
        ev.iter()
            .filter(|e| matches!(e, Event::RecorderOverflow { .. }))
            .count()
    };
    tick(&mut p, 20); // frames 0..5 queued, 5..20 dropped
    let ev = drain(&mut p);
    assert_eq!(overflows(&ev), 1, "{ev:?}");
    assert!(ev.contains(&Event::RecorderOverflow { recorder: rec }));
    assert_eq!(p.recorder_dropped_frames(rec).unwrap(), 15);
    assert_eq!(p.stats().recorder_dropped_frames, 15);
    p.service_io();
    tick(&mut p, 3); // frames 20..23 queued
    assert_eq!(overflows(&drain(&mut p)), 0);
    p.service_io();
    tick(&mut p, 10); // 23..28 queued, 28..33 dropped: a second episode
    assert_eq!(overflows(&drain(&mut p)), 1);
    assert_eq!(p.recorder_dropped_frames(rec).unwrap(), 20);
    assert_eq!(p.stats().recorder_dropped_frames, 20);
    p.recorder_stop(rec).unwrap();
    p.service_io();
    let ev = drain(&mut p);
    assert!(
        ev.contains(&Event::RecordingStopped {
            recorder: rec,
            frames: 13 * L as u64
        }),
        "{ev:?}"
    );
    let (_, _, s) = hound_read(&path);
    let expected: Vec<i16> = (0..5).chain(20..28).flat_map(det_frame).collect();
    assert_eq!(s, expected);
}

#[test]
fn finish_io_finalises_every_recording() {
    let dir = temp_dir("rec-finish");
    let mut p = proc8();
    let (ep, ch, _) = passthrough(&mut p);
    let paths: Vec<PathBuf> = (0..3).map(|k| dir.join(format!("{k}.wav"))).collect();
    let recs: Vec<_> = paths
        .iter()
        .map(|path| {
            p.record(
                p.channel_datafeed(ch).unwrap(),
                path,
                RecordOptions::default(),
            )
            .unwrap()
        })
        .collect();
    for t in 0..7 {
        p.endpoint_write(ep, &det_frame(t)).unwrap();
        p.tick();
    }
    p.finish_io();
    let ev = drain(&mut p);
    for r in recs {
        assert!(ev.contains(&Event::RecordingStopped {
            recorder: r,
            frames: 7 * L as u64
        }));
    }
    let expected: Vec<i16> = (0..7).flat_map(det_frame).collect();
    for path in &paths {
        assert_eq!(hound_read(path).2, expected);
    }
}

// ------------------------------------------------------------------------------- replay

/// Test audio: two tones and some noise, `n` samples at about -6 dBFS.
fn test_audio(n: usize, rate: f64, seed: u64) -> Vec<f64> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let t = i as f64 / rate;
            0.3 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()
                + 0.15 * (2.0 * std::f64::consts::PI * 1230.0 * t).sin()
                + 0.05 * ((rng.below(2001) as f64 - 1000.0) / 1000.0)
        })
        .collect()
}

/// Encodes `frames` (one Vec per channel, values in -1..1) as a WAV file of the given spec.
fn write_wav(path: &Path, spec: &WavSpec, chans: &[Vec<f64>]) {
    let mut data = Vec::new();
    for i in 0..chans[0].len() {
        for c in chans {
            let x = c[i].clamp(-1.0, 1.0);
            match (spec.format_tag, spec.bits) {
                (3, 32) => data.extend_from_slice(&(x as f32).to_le_bytes()),
                (1, 8) => data.push(((x * 127.0).round() as i32 + 128) as u8),
                (1, 16) => data.extend_from_slice(&((x * 32767.0).round() as i16).to_le_bytes()),
                (1, 24) => {
                    let v = (x * 8_388_607.0).round() as i32;
                    data.extend_from_slice(&v.to_le_bytes()[..3]);
                }
                _ => unreachable!(),
            }
        }
    }
    std::fs::write(path, wav_bytes(spec, &data, None)).unwrap();
}

/// Replays `path` onto a fresh channel and reads the channel's output through an endpoint for
/// `ticks` ticks, calling `service_io` every `every` ticks (never when 0).
/// Returns the output and the events with their tick.
fn play(
    p: &mut Processor,
    path: &Path,
    options: ReplayOptions,
    ticks: usize,
    every: usize,
) -> (Vec<i16>, Vec<(u64, Event)>) {
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    p.replay(ch, path, options).unwrap();
    let mut out = Vec::new();
    let mut events = Vec::new();
    for t in 0..ticks {
        p.tick();
        let mut f = vec![0; L];
        p.endpoint_read(ep, &mut f).unwrap();
        out.extend_from_slice(&f);
        if every > 0 && t % every == every - 1 {
            p.service_io();
        }
        while let Some(e) = p.poll_event() {
            events.push((e.tick, e.event));
        }
    }
    (out, events)
}

#[test]
fn replay_formats_match_the_reader() {
    let dir = temp_dir("replay-formats");
    let n = 8000 * 5 / 2 + 37; // 2.5 s and a partial frame
    let mono = test_audio(n, 8000.0, 1);
    let other = test_audio(n, 8000.0, 2);
    let at16k = test_audio(2 * n, 16000.0, 3);
    let cases: Vec<(&str, WavSpec, Vec<Vec<f64>>)> = vec![
        ("u8", WavSpec::pcm(1, 8000, 8), vec![mono.clone()]),
        ("s16", WavSpec::pcm(1, 8000, 16), vec![mono.clone()]),
        ("s24", WavSpec::pcm(1, 8000, 24), vec![mono.clone()]),
        ("f32", WavSpec::float(1, 8000), vec![mono.clone()]),
        (
            "stereo",
            WavSpec::pcm(2, 8000, 16),
            vec![mono.clone(), other],
        ),
        ("16k", WavSpec::pcm(1, 16000, 16), vec![at16k]),
        (
            "44k1",
            WavSpec::pcm(1, 44100, 16),
            vec![test_audio(44100, 44100.0, 4)],
        ),
        // Ends exactly on a frame boundary.
        (
            "exact",
            WavSpec::pcm(1, 8000, 16),
            vec![test_audio(1600, 8000.0, 6)],
        ),
        (
            "looped16k",
            WavSpec::pcm(1, 16000, 16),
            vec![test_audio(3200, 16000.0, 8)],
        ),
    ];
    for (name, spec, chans) in cases {
        let path = dir.join(format!("{name}.wav"));
        write_wav(&path, &spec, &chans);
        let oracle = read_wav_mono(&path, 8000).unwrap();
        assert!(oracle.len() >= 1600, "{name}");
        let mut p = proc8();
        let ticks = oracle.len() / L + 10;
        let options = ReplayOptions {
            buffer_ms: 200,
            ..ReplayOptions::default()
        };
        let (out, events) = play(&mut p, &path, options, ticks, 3);
        assert_eq!(
            out[..oracle.len()],
            oracle[..],
            "{name}: audio in order, no gap"
        );
        assert!(
            out[oracle.len()..].iter().all(|&x| x == 0),
            "{name}: silence after the end"
        );
        let finished: Vec<u64> = events
            .iter()
            .filter(|(_, e)| matches!(e, Event::ReplayFinished { .. }))
            .map(|(t, _)| *t)
            .collect();
        // Raised during the tick that played the last partial frame, or the first silent one.
        let last_tick = (oracle.len() / L) as u64;
        assert_eq!(finished, vec![last_tick], "{name}: ReplayFinished");
        assert!(
            !events.iter().any(|(_, e)| matches!(
                e,
                Event::ReplayUnderrun { .. } | Event::ReplayError { .. }
            )),
            "{name}: {events:?}"
        );
        assert_eq!(p.stats().replay_underrun_frames, 0, "{name}");
    }
}

#[test]
fn replay_loops() {
    let dir = temp_dir("replay-loop");
    let path = dir.join("short.wav");
    let audio = test_audio(1001, 8000.0, 7);
    write_wav(&path, &WavSpec::pcm(1, 8000, 16), &[audio]);
    let oracle = read_wav_mono(&path, 8000).unwrap();
    assert_eq!(oracle.len(), 1001);
    let mut p = proc8();
    let options = ReplayOptions {
        looping: true,
        buffer_ms: 100,
        ..ReplayOptions::default()
    };
    let (out, events) = play(&mut p, &path, options, 60, 2);
    let expected: Vec<i16> = oracle.iter().copied().cycle().take(out.len()).collect();
    assert_eq!(out, expected);
    assert!(events.is_empty(), "{events:?}");

    // A resampled file loops the same way: each pass equals the reader's whole output.
    let path = dir.join("16k.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 16000, 24),
        &[test_audio(1999, 16000.0, 8)],
    );
    let oracle = read_wav_mono(&path, 8000).unwrap();
    assert_eq!(oracle.len(), 1000);
    let (out, events) = play(&mut p, &path, options, 40, 3);
    let expected: Vec<i16> = oracle.iter().copied().cycle().take(out.len()).collect();
    assert_eq!(out, expected);
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn finish_io_stops_replays_and_option_bounds_are_checked() {
    let dir = temp_dir("replay-finish");
    let path = dir.join("f.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(8000, 8000.0, 5)],
    );
    let mut p = proc8();
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    let pl = p.replay(ch, &path, ReplayOptions::default()).unwrap();
    let rec = dir.join("r.wav");
    let r = p
        .record(
            p.channel_datafeed(ch).unwrap(),
            &rec,
            RecordOptions::default(),
        )
        .unwrap();
    p.tick();
    p.finish_io();
    assert!(p.replay_finished(pl).is_err(), "the replay was stopped");
    assert_eq!(
        p.channel_output_source(ch).unwrap(),
        tutti::engine::OutputSourceKind::Silence
    );
    p.tick();
    let mut f = vec![1; L];
    p.endpoint_read(ep, &mut f).unwrap();
    assert!(f.iter().all(|&x| x == 0));
    assert_eq!(
        drain(&mut p),
        vec![Event::RecordingStopped {
            recorder: r,
            frames: L as u64
        }]
    );
    assert_eq!(hound_read(&rec).2.len(), L);

    // Absurd queue and buffer sizes are refused, not allocated.
    let feed = p.channel_datafeed(ch).unwrap();
    for q in [0, 39, 60_001, u32::MAX] {
        let e = p
            .record(feed, dir.join("q.wav"), RecordOptions { queue_ms: q })
            .unwrap_err();
        assert!(e.to_string().contains("queue_ms"), "{e}");
    }
    let big = ReplayOptions {
        buffer_ms: u32::MAX,
        ..ReplayOptions::default()
    };
    let e = p.replay(ch, &path, big).unwrap_err();
    assert!(e.to_string().contains("buffer_ms"), "{e}");
    // A recording into a missing directory fails up front, naming the file.
    let nowhere = dir.join("no-such-dir").join("x.wav");
    let e = p
        .record(feed, &nowhere, RecordOptions::default())
        .unwrap_err();
    assert!(
        e.to_string().contains(&nowhere.display().to_string()),
        "{e}"
    );
    assert_eq!(p.stats().ticks, 2);
}

#[test]
fn released_sources_record_silence() {
    let dir = temp_dir("rec-released");
    let mut p = proc8();
    let (ep, ch, _) = passthrough(&mut p);
    let inp = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(inp, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    let pa = dir.join("feed.wav");
    let pb = dir.join("input.wav");
    let ra = p
        .record(
            p.channel_datafeed(ch).unwrap(),
            &pa,
            RecordOptions::default(),
        )
        .unwrap();
    let rb = p.record_input(inp, &pb, RecordOptions::default()).unwrap();
    for t in 0..6 {
        if t == 3 {
            p.channel_release(ch).unwrap();
            p.channel_release(inp).unwrap();
        }
        p.endpoint_write(ep, &det_frame(t)).unwrap();
        p.tick();
    }
    assert!(drain(&mut p).contains(&Event::FeedReleased {
        sink: tutti::engine::Sink::Recorder(ra)
    }));
    p.recorder_stop(ra).unwrap();
    p.recorder_stop(rb).unwrap();
    p.service_io();
    let mut expected: Vec<i16> = (0..3).flat_map(det_frame).collect();
    expected.resize(6 * L, 0);
    assert_eq!(hound_read(&pa).2, expected);
    assert_eq!(hound_read(&pb).2, expected);
}

#[test]
fn replay_gain_is_q12() {
    let dir = temp_dir("replay-gain");
    let path = dir.join("loud.wav");
    let audio: Vec<f64> = test_audio(3000, 8000.0, 9)
        .iter()
        .map(|x| x * 2.0)
        .collect();
    write_wav(&path, &WavSpec::pcm(1, 8000, 16), &[audio]);
    let oracle = read_wav_mono(&path, 8000).unwrap();
    for db in [6.0f32, -10.0, 2.5] {
        let mut p = proc8();
        let options = ReplayOptions {
            gain_db: db,
            ..ReplayOptions::default()
        };
        let (out, _) = play(&mut p, &path, options, 20, 4);
        let expected: Vec<i16> = oracle.iter().map(|&x| q12_gain(x, db as f64)).collect();
        assert_eq!(out[..3000], expected[..], "{db} dB");
        if db > 0.0 {
            assert!(
                out.iter().any(|&x| x == i16::MAX || x == i16::MIN),
                "saturates"
            );
        }
    }
    let mut p = proc8();
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let bad = ReplayOptions {
        gain_db: 100.0,
        ..ReplayOptions::default()
    };
    assert!(p.replay(ch, &path, bad).is_err());
}

#[test]
fn replay_underrun_plays_silence_counts_and_resumes() {
    let dir = temp_dir("replay-underrun");
    let path = dir.join("u.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(4000, 8000.0, 11)],
    );
    let oracle = read_wav_mono(&path, 8000).unwrap();
    let mut p = proc8();
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    // 100 ms of read-ahead = 5 frames.
    let options = ReplayOptions {
        buffer_ms: 100,
        ..ReplayOptions::default()
    };
    let player = p.replay(ch, &path, options).unwrap();
    let mut out = Vec::new();
    let mut f = vec![0; L];
    for _ in 0..8 {
        p.tick();
        p.endpoint_read(ep, &mut f).unwrap();
        out.extend_from_slice(&f);
    }
    assert_eq!(out[..800], oracle[..800]);
    assert!(out[800..].iter().all(|&x| x == 0), "underrun plays silence");
    assert_eq!(p.stats().replay_underrun_frames, 3);
    let ev = drain(&mut p);
    assert_eq!(ev, vec![Event::ReplayUnderrun { player }]);
    // Servicing again resumes where the audio stopped, without loss.
    let mut resumed = Vec::new();
    for _ in 0..25 {
        p.service_io();
        p.tick();
        p.endpoint_read(ep, &mut f).unwrap();
        resumed.extend_from_slice(&f);
    }
    assert_eq!(resumed[..3200], oracle[800..]);
    assert!(resumed[3200..].iter().all(|&x| x == 0));
    assert_eq!(p.stats().replay_underrun_frames, 3);
    assert_eq!(
        drain(&mut p),
        vec![Event::ReplayFinished {
            player,
            channel: ch
        }]
    );
    assert!(p.replay_finished(player).unwrap());
}

#[test]
fn replay_stop_silences_and_replay_replaces() {
    let dir = temp_dir("replay-stop");
    let path = dir.join("s.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(8000, 8000.0, 5)],
    );
    let oracle = read_wav_mono(&path, 8000).unwrap();
    let mut p = proc8();
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    let pl = p.replay(ch, &path, ReplayOptions::default()).unwrap();
    let mut f = vec![0; L];
    p.tick();
    p.endpoint_read(ep, &mut f).unwrap();
    assert_eq!(f[..], oracle[..L]);
    p.replay_stop(pl).unwrap();
    p.tick();
    p.endpoint_read(ep, &mut f).unwrap();
    assert!(f.iter().all(|&x| x == 0));
    assert!(p.replay_stop(pl).is_err(), "stale player");
    // Replaying again starts from the beginning.
    let pl2 = p.replay(ch, &path, ReplayOptions::default()).unwrap();
    p.tick();
    p.endpoint_read(ep, &mut f).unwrap();
    assert_eq!(f[..], oracle[..L]);
    // A new replay on the same channel replaces the old one.
    let pl3 = p.replay(ch, &path, ReplayOptions::default()).unwrap();
    assert!(p.replay_finished(pl2).is_err());
    p.tick();
    p.endpoint_read(ep, &mut f).unwrap();
    assert_eq!(f[..], oracle[..L]);
    p.replay_stop(pl3).unwrap();
    p.service_io();
}

#[test]
fn bad_files_are_refused_and_the_processor_keeps_running() {
    let dir = temp_dir("replay-bad");
    let mut p = proc8();
    let (ep, _, out) = passthrough(&mut p);
    let target = p.channel_create(ChannelKind::OutputOnly).unwrap();

    let missing = dir.join("missing.wav");
    let empty = dir.join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let random = dir.join("random.wav");
    let mut rng = Rng(42);
    let bytes: Vec<u8> = (0..5000).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(&random, bytes).unwrap();
    let adpcm = dir.join("adpcm.wav");
    let spec = WavSpec {
        format_tag: 2,
        channels: 1,
        rate: 8000,
        bits: 4,
        block_align: 256,
        extensible: None,
    };
    std::fs::write(&adpcm, wav_bytes(&spec, &[0u8; 2048], None)).unwrap();
    let a_dir = dir.join("a-directory.wav");
    std::fs::create_dir(&a_dir).unwrap();

    let cases: [(&Path, &[&str]); 5] = [
        (&missing, &["no such file", "not found"]),
        (&empty, &["empty"]),
        (&random, &["riff"]),
        (&adpcm, &["unsupported"]),
        (
            &a_dir,
            &["directory", "is a dir", "not a riff", "malformed"],
        ),
    ];
    for (t, (path, needles)) in cases.iter().enumerate() {
        let err = p
            .replay(target, path, ReplayOptions::default())
            .expect_err(&path.display().to_string());
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        let lower = msg.to_lowercase();
        assert!(needles.iter().any(|n| lower.contains(n)), "{msg}");
        // Nothing changed: the target still plays silence, the pass-through still works.
        assert_eq!(
            p.channel_output_source(target).unwrap(),
            tutti::engine::OutputSourceKind::Silence
        );
        let f = det_frame(t as u64);
        p.endpoint_write(ep, &f).unwrap();
        p.tick();
        p.service_io();
        let mut got = vec![0; L];
        p.endpoint_read(out, &mut got).unwrap();
        assert_eq!(got, f);
    }
    assert!(drain(&mut p).is_empty());

    // A replay onto a conference output is refused; the conference keeps its output.
    let conf = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.conf_prim_start(conf).unwrap();
    let good = dir.join("good.wav");
    write_wav(
        &good,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(800, 8000.0, 3)],
    );
    let err = p.replay(conf, &good, ReplayOptions::default()).unwrap_err();
    assert!(err.to_string().contains("conference"), "{err}");
    assert_eq!(
        p.channel_output_source(conf).unwrap(),
        tutti::engine::OutputSourceKind::Conference
    );
    // A channel without an output side cannot replay.
    let inp = p.channel_create(ChannelKind::InputOnly).unwrap();
    assert!(p.replay(inp, &good, ReplayOptions::default()).is_err());
}

#[test]
fn sixteen_khz_processor_replays_resampled_and_records_at_its_rate() {
    let dir = temp_dir("replay-16k");
    let src = dir.join("8k.wav");
    write_wav(
        &src,
        &WavSpec::pcm(2, 8000, 16),
        &[test_audio(4321, 8000.0, 21), test_audio(4321, 8000.0, 22)],
    );
    let oracle = read_wav_mono(&src, 16000).unwrap();
    assert_eq!(oracle.len(), 8642);
    let mut p = Processor::new(Config {
        sample_rate: 16000,
        frame_ms: 10,
    })
    .unwrap();
    let l = p.frame_len();
    assert_eq!(l, 160);
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    let rec = dir.join("rec.wav");
    let r = p
        .record(
            p.channel_datafeed(ch).unwrap(),
            &rec,
            RecordOptions::default(),
        )
        .unwrap();
    let options = ReplayOptions {
        buffer_ms: 150,
        ..ReplayOptions::default()
    };
    let pl = p.replay(ch, &src, options).unwrap();
    let mut out = Vec::new();
    let mut f = vec![0; l];
    let ticks = oracle.len() / l + 5;
    for t in 0..ticks {
        p.tick();
        p.endpoint_read(ep, &mut f).unwrap();
        out.extend_from_slice(&f);
        if t % 5 == 4 {
            p.service_io();
        }
    }
    assert_eq!(out[..oracle.len()], oracle[..]);
    assert!(out[oracle.len()..].iter().all(|&x| x == 0));
    assert!(p.replay_finished(pl).unwrap());
    p.recorder_stop(r).unwrap();
    p.service_io();
    let ev = drain(&mut p);
    assert!(ev.contains(&Event::ReplayFinished {
        player: pl,
        channel: ch
    }));
    assert!(ev.contains(&Event::RecordingStopped {
        recorder: r,
        frames: (ticks * l) as u64
    }));
    let (chans, rate, s) = hound_read(&rec);
    assert_eq!((chans, rate), (1, 16000));
    assert_eq!(s, out);
}

#[test]
fn a_file_shrinking_under_a_replay_raises_replay_error() {
    let dir = temp_dir("replay-shrink");
    let path = dir.join("big.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(200_000, 8000.0, 31)],
    );
    let oracle = read_wav_mono(&path, 8000).unwrap();
    let mut p = proc8();
    let (ep_in, _, ep_out) = passthrough(&mut p);
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let ep = p.endpoint_create().unwrap();
    p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
        .unwrap();
    let options = ReplayOptions {
        buffer_ms: 100,
        ..ReplayOptions::default()
    };
    let pl = p.replay(ch, &path, options).unwrap();
    let mut out = Vec::new();
    let mut f = vec![0; L];
    let mut errors = Vec::new();
    let mut finished = false;
    for t in 0..700u64 {
        if t == 2 {
            // Keep the header and 50 000 samples.
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(100_100).unwrap();
        }
        p.endpoint_write(ep_in, &det_frame(t)).unwrap();
        p.tick();
        p.endpoint_read(ep, &mut f).unwrap();
        out.extend_from_slice(&f);
        p.endpoint_read(ep_out, &mut f).unwrap();
        assert_eq!(f, det_frame(t), "mixing goes on");
        p.service_io();
        for e in drain(&mut p) {
            match e {
                Event::ReplayError { player, message } => {
                    assert_eq!(player, pl);
                    assert!(message.contains(&path.display().to_string()), "{message}");
                    errors.push(message);
                }
                Event::ReplayFinished { player, .. } => {
                    assert_eq!(player, pl);
                    finished = true;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(finished);
    // What was played is a prefix of the file's audio, then silence.
    let played = out.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    assert!(played > 800 && played <= 50_000, "{played}");
    assert_eq!(out[..played], oracle[..played]);
}

#[test]
fn overflow_underrun_and_end_of_replay_do_not_allocate_in_tick() {
    let dir = temp_dir("rec-noalloc");
    let path = dir.join("p.wav");
    write_wav(
        &path,
        &WavSpec::pcm(1, 8000, 16),
        &[test_audio(1000, 8000.0, 41)],
    );
    let mut p = proc8();
    let (ep, ch, _) = passthrough(&mut p);
    let inp = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(inp, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    p.channel_set_input_gain(inp, 3.0).unwrap();
    let out = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let small = RecordOptions { queue_ms: 60 };
    let feed = p.channel_datafeed(ch).unwrap();
    p.record(feed, dir.join("m.wav"), small).unwrap();
    p.record_stereo(
        feed,
        p.channel_datafeed(out).unwrap(),
        dir.join("s.wav"),
        small,
    )
    .unwrap();
    p.record_input(inp, dir.join("i.wav"), small).unwrap();
    let options = ReplayOptions {
        buffer_ms: 100,
        ..ReplayOptions::default()
    };
    p.replay(out, &path, options).unwrap();
    p.commit();
    let frames: Vec<Vec<i16>> = (0..40).map(det_frame).collect();
    // Recorders overflow, the replay underruns; nothing is serviced.
    let n = allocations(|| {
        for f in &frames {
            p.endpoint_write(ep, f).unwrap();
            p.tick();
        }
    });
    assert_eq!(n, 0, "allocations in tick");
    p.service_io();
    // The replay ends during these ticks.
    let n = allocations(|| {
        for f in &frames {
            p.endpoint_write(ep, f).unwrap();
            p.tick();
        }
    });
    assert_eq!(n, 0, "allocations in tick");
    let ev = drain(&mut p);
    let count = |pred: fn(&Event) -> bool| ev.iter().filter(|e| pred(e)).count();
    assert_eq!(count(|e| matches!(e, Event::RecorderOverflow { .. })), 6);
    assert_eq!(count(|e| matches!(e, Event::ReplayUnderrun { .. })), 1);
    assert_eq!(count(|e| matches!(e, Event::ReplayFinished { .. })), 1);
    p.finish_io();
}
