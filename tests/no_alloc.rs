//! `tick()` allocates nothing: a counting global allocator watches 1,000 ticks of a 100-party
//! conference with a monitor, a coach, background music replayed from a file and a recorder.

use std::sync::atomic::Ordering;

use tutti::conference::{Conference, PartyOptions};
use tutti::dsp::synth::{Music, SpeechLike};
use tutti::engine::{RecordOptions, ReplayOptions};
use tutti::{ChannelKind, Config, Processor};

mod common;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, ARMED};

fn armed<T>(f: impl FnOnce() -> T) -> T {
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    r
}

#[test]
fn the_allocator_counts() {
    let before = ALLOCS.load(Ordering::Relaxed);
    armed(|| std::hint::black_box(vec![1u8; 10]));
    assert!(ALLOCS.load(Ordering::Relaxed) > before);
}

#[test]
fn tick_allocates_nothing() {
    let dir = common::temp_dir("noalloc");
    let rate = 8000;
    let mut p = Processor::new(Config {
        sample_rate: rate,
        frame_ms: 20,
    })
    .unwrap();
    let l = p.frame_len();

    // Background music file, replayed (and looped) onto a channel output.
    let mut music = vec![0i16; rate as usize * 3];
    Music::new(rate, -20.0).fill(&mut music);
    let music_path = dir.join("music.wav");
    tutti::media::wav::write_wav_mono(&music_path, rate, &music).unwrap();

    let mut conf = Conference::create(&mut p).unwrap();
    let mut eps = Vec::new();
    let mut talkers = Vec::new();
    let mut parties = Vec::new();
    for k in 0..100 {
        let ep = p.endpoint_create().unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
        p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
            .unwrap();
        // A few parties with gains and AGC, to exercise those stages too.
        let opts = if k % 10 == 0 {
            PartyOptions {
                in_volume_db: -3.0,
                out_volume_db: 2.0,
                ..PartyOptions::with_agc()
            }
        } else {
            PartyOptions::default()
        };
        if k < 3 {
            // Tone detection with suppression (and a lookahead on one of them).
            p.listen_for(
                ch,
                &tutti::engine::ToneSet::all(),
                tutti::engine::ListenOptions {
                    suppress: true,
                    suppression_lookahead_ms: 20 * k as u32,
                },
            )
            .unwrap();
        }
        parties.push(conf.add_party(&mut p, ch, ch, opts).unwrap());
        eps.push(ep);
        talkers.push(SpeechLike::new(rate, k, -20.0));
    }
    let monitor = p.channel_create(ChannelKind::OutputOnly).unwrap();
    conf.add_monitor(&mut p, monitor).unwrap();
    let coach_ep = p.endpoint_create().unwrap();
    let coach = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_connect_input(coach, p.endpoint_datafeed(coach_ep).unwrap())
        .unwrap();
    conf.add_coach(&mut p, coach, coach, parties[3]).unwrap();
    talkers.push(SpeechLike::new(rate, 999, -24.0));
    eps.push(coach_ep);

    let player_ch = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.replay(
        player_ch,
        &music_path,
        ReplayOptions {
            looping: true,
            gain_db: -6.0,
            buffer_ms: 2000,
        },
    )
    .unwrap();
    let bg = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(bg, p.channel_datafeed(player_ch).unwrap())
        .unwrap();
    conf.add_background(&mut p, bg, -10.0).unwrap();
    p.record(
        p.channel_datafeed(monitor).unwrap(),
        dir.join("monitor.wav"),
        RecordOptions::default(),
    )
    .unwrap();

    // A tone generator keying digits into the conference.
    let keys = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_output_tones(
        keys,
        tutti::engine::ToneSource::dtmf(rate, "0123456789*#", Default::default()).unwrap(),
    )
    .unwrap();
    let keyer = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(keyer, p.channel_datafeed(keys).unwrap())
        .unwrap();
    p.listen_for(keyer, &tutti::engine::ToneSet::dtmf(), Default::default())
        .unwrap();
    conf.add_background(&mut p, keyer, 0.0).unwrap();

    let mut frames: Vec<Vec<i16>> = vec![vec![0; l]; eps.len()];
    let mut out = vec![0i16; l];
    let mut talk_events = 0;
    let mut tone_events = 0;
    p.commit();
    let start = ALLOCS.load(Ordering::Relaxed);
    for t in 0..1000u32 {
        for (k, f) in frames.iter_mut().enumerate() {
            talkers[k].fill(f);
        }
        armed(|| {
            for (k, f) in frames.iter().enumerate() {
                p.endpoint_write(eps[k], f).unwrap();
            }
            p.tick();
            for ep in eps.iter().take(100) {
                p.endpoint_read(*ep, &mut out).unwrap();
            }
        });
        // File I/O and event handling happen outside the tick, as the runtime does them.
        if t % 10 == 0 {
            p.service_io();
        }
        while let Some(e) = p.poll_event() {
            match e.event {
                tutti::Event::TalkStarted { .. } => talk_events += 1,
                tutti::Event::Tone { .. } => tone_events += 1,
                _ => {}
            }
        }
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - start;
    assert_eq!(
        allocs, 0,
        "tick() and endpoint I/O allocated {allocs} times"
    );
    // The scenario really ran: talkers were detected, the recorder got every frame.
    assert!(talk_events > 50, "talk events: {talk_events}");
    assert!(tone_events >= 24, "tone events: {tone_events}");
    let s = p.stats();
    assert_eq!(s.ticks, 1000);
    assert_eq!(s.recorder_dropped_frames, 0);
    assert_eq!(s.replay_underrun_frames, 0);
    assert_eq!(s.missing_input_frames, 0);
    p.finish_io();
    let r = hound::WavReader::open(dir.join("monitor.wav")).unwrap();
    assert_eq!(r.len() as usize, 1000 * l);
}
