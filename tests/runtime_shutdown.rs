//! Shutting the runtime down finalises every recording: the WAV files read back complete.

use std::time::{Duration, Instant};

use tutti::engine::{RecordOptions, ReplayOptions};
use tutti::runtime::{Runtime, RuntimeConfig, RuntimeEvent, SimClock};
use tutti::{ChannelKind, Config, Event, Processor};

mod common;

const RATE: u32 = 8000;

fn config() -> Config {
    Config {
        sample_rate: RATE,
        frame_ms: 20,
    }
}

#[test]
fn shutdown_finalises_a_recording_started_before_the_runtime() {
    let dir = common::temp_dir("rt-shutdown");
    let l = 160;
    let frames = 150u64;
    // A ramp file replayed onto a channel, whose datafeed is recorded.
    let src: Vec<i16> = (0..l * 200).map(|i| (i % 20_000) as i16).collect();
    let src_path = dir.join("ramp.wav");
    tutti::media::wav::write_wav_mono(&src_path, RATE, &src).unwrap();
    let rec_path = dir.join("rec.wav");

    let mut p = Processor::new(config()).unwrap();
    let ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.replay(
        ch,
        &src_path,
        ReplayOptions {
            buffer_ms: 10_000,
            ..Default::default()
        },
    )
    .unwrap();
    let feed = p.channel_datafeed(ch).unwrap();
    p.record(feed, &rec_path, RecordOptions::default()).unwrap();

    let clock = SimClock::new();
    clock.hold_at(Some(Duration::from_millis(20 * (frames - 1))));
    let rt = Runtime::start(
        p,
        RuntimeConfig {
            clock: Some(Box::new(clock.clone())),
            realtime_priority: None,
            io_interval: Duration::from_millis(5),
            ..Default::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    while rt.stats().ticks < frames {
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(1));
    }
    let events = rt.events();
    clock.hold_at(None);
    // The runtime stops at its next tick boundary: a few more ticks may run.
    let p = rt.shutdown().unwrap();
    let ticks = p.tick_count();
    assert!(ticks >= frames);

    let back = tutti::media::wav::read_wav_mono(&rec_path, RATE).unwrap();
    assert_eq!(
        back.len() as u64,
        ticks * l as u64,
        "every tick's frame is in the file"
    );
    assert_eq!(&back[..frames as usize * l], &src[..frames as usize * l]);
    let all: Vec<RuntimeEvent> = events.try_iter().collect();
    eprintln!("{all:?}");
    let stopped: Vec<u64> = all
        .into_iter()
        .filter_map(|e| match e {
            RuntimeEvent::Engine(t) => match t.event {
                Event::RecordingStopped { frames, .. } => Some(frames),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(stopped, vec![ticks * l as u64]);
}

#[test]
fn shutdown_finalises_recordings_started_through_the_handle_on_the_real_clock() {
    let dir = common::temp_dir("rt-shutdown-real");
    let rt = Runtime::start(Processor::new(config()).unwrap(), RuntimeConfig::default()).unwrap();
    let h = rt.handle();
    let (ch, mut ep) = h.app_channel(4).unwrap();
    let feed = h.channel_datafeed(ch).unwrap();
    let mono = dir.join("mono.wav");
    let stereo = dir.join("stereo.wav");
    let input = dir.join("input.wav");
    h.record(feed, &mono, RecordOptions::default()).unwrap();
    h.record_stereo(
        feed,
        tutti::Datafeed::Endpoint(ep.id()),
        &stereo,
        RecordOptions::default(),
    )
    .unwrap();
    h.record_input(ch, &input, RecordOptions::default())
        .unwrap();
    // A bad path fails on the caller's thread, before the media thread sees it.
    assert!(h
        .record(feed, dir.join("no/such/dir.wav"), RecordOptions::default())
        .is_err());
    let t = Instant::now();
    let frame = vec![1000i16; 160];
    while t.elapsed() < Duration::from_millis(400) {
        while ep.writable() > 0 && ep.readable() < 4 {
            ep.write(&frame).unwrap();
        }
        let mut out = vec![0i16; 160];
        while ep.read(&mut out).unwrap() {}
        std::thread::sleep(Duration::from_millis(5));
    }
    let p = rt.shutdown().unwrap();
    assert!(p.tick_count() >= 5);
    for path in [&mono, &input] {
        let r = tutti::media::wav::WavReader::open(path, RATE).unwrap();
        assert!(!r.is_truncated(), "{path:?} finalised");
        assert!(r.source_frames() >= 160, "{path:?}: {}", r.source_frames());
    }
    let r = tutti::media::wav::WavReader::open(&stereo, RATE).unwrap();
    assert_eq!(r.source_channels(), 2);
    assert!(!r.is_truncated());
}
