//! The media thread allocates and frees nothing in steady state: a counting global allocator,
//! armed on the media thread only, watches at least 5,000 ticks of a 100-party conference with
//! talk detection, replayed speech on every party, background music, recorders and application
//! endpoints, while control calls keep arriving.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tutti::conference::{Conference, PartyOptions};
use tutti::dsp::synth::{Music, SpeechLike};
use tutti::engine::{RecordOptions, ReplayOptions};
use tutti::runtime::{Clock, Runtime, RuntimeConfig, RuntimeEvent};
use tutti::{ChannelKind, Config, Datafeed, Event, Processor};

mod common;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, ARMED};

/// The real clock sped up: the media thread paces itself as in production, only faster, so the
/// I/O thread keeps the replays fed as it would in real time.
struct FastClock {
    origin: Instant,
    speed: u32,
}

impl Clock for FastClock {
    fn now(&mut self) -> Duration {
        self.origin.elapsed() * self.speed
    }
    fn sleep_until(&mut self, deadline: Duration) {
        let real = deadline / self.speed;
        let now = self.origin.elapsed();
        if real > now {
            std::thread::sleep(real - now);
        }
    }
}

const RATE: u32 = 8000;
const PARTIES: usize = 100;
const TICKS: u64 = 5_000;

#[test]
fn the_media_thread_allocates_nothing() {
    let dir = common::temp_dir("rt-noalloc");
    let mut p = Processor::new(Config {
        sample_rate: RATE,
        frame_ms: 10,
    })
    .unwrap();
    let l = p.frame_len();

    // Speech files (looped) for the parties, music for the background.
    let voices: Vec<_> = (0..4)
        .map(|v| {
            let mut x = vec![0i16; RATE as usize * 4];
            SpeechLike::new(RATE, 77 + v, -18.0).fill(&mut x);
            let path = dir.join(format!("voice{v}.wav"));
            tutti::media::wav::write_wav_mono(&path, RATE, &x).unwrap();
            path
        })
        .collect();
    let mut music = vec![0i16; RATE as usize * 3];
    Music::new(RATE, -24.0).fill(&mut music);
    let music_path = dir.join("music.wav");
    tutti::media::wav::write_wav_mono(&music_path, RATE, &music).unwrap();

    let looping = ReplayOptions {
        looping: true,
        buffer_ms: 20_000,
        ..Default::default()
    };
    let mut conf = Conference::create(&mut p).unwrap();
    let mut first = None;
    for k in 0..PARTIES {
        let src = p.channel_create(ChannelKind::OutputOnly).unwrap();
        p.replay(src, &voices[k % voices.len()], looping).unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.channel_datafeed(src).unwrap())
            .unwrap();
        conf.add_party(&mut p, ch, ch, PartyOptions::default())
            .unwrap();
        first.get_or_insert(ch);
    }
    let bg = p.channel_create(ChannelKind::FullDuplex).unwrap();
    let bg_src = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.replay(bg_src, &music_path, looping).unwrap();
    p.channel_connect_input(bg, p.channel_datafeed(bg_src).unwrap())
        .unwrap();
    conf.add_background(&mut p, bg, -6.0).unwrap();
    let mon = p.channel_create(ChannelKind::OutputOnly).unwrap();
    conf.add_monitor(&mut p, mon).unwrap();
    let big = RecordOptions { queue_ms: 60_000 };
    p.record(
        p.channel_datafeed(mon).unwrap(),
        dir.join("monitor.wav"),
        big,
    )
    .unwrap();
    let first = first.unwrap();
    p.record_stereo(
        p.channel_datafeed(first).unwrap(),
        p.channel_datafeed(mon).unwrap(),
        dir.join("first.wav"),
        big,
    )
    .unwrap();

    // 25 times real time: 5,000 ticks of 10 ms in two seconds.
    let clock = FastClock {
        origin: Instant::now(),
        speed: 25,
    };
    let rt = Runtime::start(
        p,
        RuntimeConfig {
            clock: Some(Box::new(clock)),
            realtime_priority: None,
            io_interval: Duration::from_millis(2),
            ..Default::default()
        },
    )
    .unwrap();
    let h = rt.handle();

    // Two application endpoints fed and drained by an application thread.
    let mut eps: Vec<_> = (0..2).map(|_| h.app_channel(4).unwrap()).collect();
    for (ch, _) in &eps {
        h.conf_prim_start(*ch).unwrap();
        h.conf_prim_add(*ch, first, 0.0).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let app = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let frame = vec![500i16; l];
            let mut out = vec![0i16; l];
            while !stop.load(Ordering::Relaxed) {
                for (_, ep) in eps.iter_mut() {
                    while ep.writable() > 0 && ep.readable() < 4 {
                        ep.write(&frame).unwrap();
                    }
                    while ep.read(&mut out).unwrap() {}
                }
                std::thread::sleep(Duration::from_micros(300));
            }
        })
    };

    // Let the plan settle and the replays fill, then arm the allocator on the media thread.
    std::thread::sleep(Duration::from_millis(100));
    let armed_at = h
        .call(|p| {
            ARMED.with(|a| a.set(true));
            p.tick_count()
        })
        .unwrap();
    let t = Instant::now();
    let mut calls = 0u64;
    loop {
        // Control calls that change nothing keep the command path busy.
        let g = h.conf_prim_gain(first, first);
        assert!(g.is_err() || g.unwrap().is_none());
        calls += 1;
        let now = h.call(|p| p.tick_count()).unwrap();
        if now >= armed_at + TICKS {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "too slow: {now} ticks"
        );
    }
    let (disarmed_at, talking) = h
        .call(move |p| {
            ARMED.with(|a| a.set(false));
            (
                p.tick_count(),
                p.conf_prim_is_talking(first).unwrap_or(false),
            )
        })
        .unwrap();
    let allocs = ALLOCS.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    app.join().unwrap();

    let events: Vec<RuntimeEvent> = rt.events().try_iter().collect();
    let stats = rt.stats();
    let engine = h.engine_stats().unwrap();
    let p = rt.shutdown().unwrap();
    eprintln!(
        "{} ticks armed, {calls} control calls, {allocs} allocations; work p50 {} us p99 {} us \
         max {} us; replay underrun frames {}; recorder drops {}",
        disarmed_at - armed_at,
        stats.tick_p50_us,
        stats.tick_p99_us,
        stats.tick_max_us,
        engine.replay_underrun_frames,
        engine.recorder_dropped_frames
    );
    assert!(disarmed_at - armed_at >= TICKS);
    assert_eq!(allocs, 0, "the media thread allocated or freed");
    // Replays were fed (a few underruns are allowed on a loaded machine) and nothing recorded
    // was dropped.
    let frames_played = (PARTIES as u64 + 1) * engine.ticks;
    assert!(
        engine.replay_underrun_frames * 20 < frames_played,
        "{} of {frames_played} replayed frames underran",
        engine.replay_underrun_frames
    );
    assert_eq!(engine.recorder_dropped_frames, 0);
    // The work really ran: talk detection, replay and recording.
    let talk = events.iter().any(
        |e| matches!(e, RuntimeEvent::Engine(t) if matches!(t.event, Event::TalkStarted { .. })),
    );
    assert!(talk || talking, "talk detection ran");
    assert!(p.tick_count() >= disarmed_at);
    let rec = tutti::media::wav::WavReader::open(dir.join("monitor.wav"), RATE).unwrap();
    assert!(rec.source_frames() >= TICKS * l as u64);
    let _ = Datafeed::Channel(first);
}
