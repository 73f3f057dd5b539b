//! `tutti demo`: an embedded scenario that needs no input files.
//!
//! Four synthetic talkers confer; a monitor listens; a coach whispers to party 0; soft music
//! plays in the background. Each party's output, the monitor, the coach and the full mix are
//! recorded to WAV files through the processor's recorders.

use std::path::PathBuf;

use tutti::conference::{Conference, PartyOptions};
use tutti::dsp::synth::{Music, SpeechLike};
use tutti::engine::{Event, RecordOptions};
use tutti::{ChannelId, ChannelKind, Config, Processor};

use super::{err, Args};

pub fn run(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &[], &["out", "seconds"])?;
    let out = PathBuf::from(a.get("out").unwrap_or("tutti-demo"));
    let seconds: f64 = a.parse_or("seconds", 20.0)?;
    if !(seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!("--seconds {seconds}: must be in (0, 3600]"));
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let rate = 16000;
    let mut p = Processor::new(Config {
        sample_rate: rate,
        frame_ms: 20,
    })
    .map_err(err)?;
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).map_err(err)?;

    // Sources: one app endpoint per synthetic signal, feeding a channel's input.
    let mut talkers: Vec<SpeechLike> = Vec::new();
    let mut source_eps = Vec::new();
    let mut new_source = |p: &mut Processor, kind: ChannelKind| -> Result<ChannelId, String> {
        let ep = p.endpoint_create().map_err(err)?;
        let ch = p.channel_create(kind).map_err(err)?;
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).map_err(err)?)
            .map_err(err)?;
        source_eps.push(ep);
        Ok(ch)
    };

    let mut names: Vec<(ChannelId, String)> = Vec::new();
    let mut parties = Vec::new();
    for i in 0..4 {
        let ch = new_source(&mut p, ChannelKind::FullDuplex)?;
        talkers.push(SpeechLike::new(
            rate,
            100 + i as u64,
            -20.0 + 2.0 * i as f64,
        ));
        parties.push(
            conf.add_party(&mut p, ch, ch, PartyOptions::default())
                .map_err(err)?,
        );
        names.push((ch, format!("party {i}")));
    }
    let coach_ch = new_source(&mut p, ChannelKind::FullDuplex)?;
    talkers.push(SpeechLike::new(rate, 777, -24.0));
    conf.add_coach(&mut p, coach_ch, coach_ch, parties[0])
        .map_err(err)?;
    names.push((coach_ch, "coach (to party 0)".into()));
    let music_ch = new_source(&mut p, ChannelKind::InputOnly)?;
    let mut music = Music::new(rate, -20.0);
    conf.add_background(&mut p, music_ch, -12.0).map_err(err)?;
    names.push((music_ch, "background music".into()));
    let monitor = p.channel_create(ChannelKind::OutputOnly).map_err(err)?;
    conf.add_monitor(&mut p, monitor).map_err(err)?;

    // The full mix: everything said, including the coach, built with the primitives directly.
    let mix = p.channel_create(ChannelKind::OutputOnly).map_err(err)?;
    p.conf_prim_start(mix).map_err(err)?;
    for (ch, _) in names.iter().take(5) {
        p.conf_prim_add(mix, *ch, 0.0).map_err(err)?;
    }
    p.conf_prim_add(mix, music_ch, -12.0).map_err(err)?;

    let mut files = Vec::new();
    let mut record = |p: &mut Processor, ch: ChannelId, name: &str| -> Result<(), String> {
        let path = out.join(name);
        p.record(
            p.channel_datafeed(ch).map_err(err)?,
            &path,
            RecordOptions::default(),
        )
        .map_err(err)?;
        files.push(path);
        Ok(())
    };
    for (i, (ch, _)) in names.iter().take(4).enumerate() {
        record(&mut p, *ch, &format!("party-{i}.wav"))?;
    }
    record(&mut p, coach_ch, "coach.wav")?;
    record(&mut p, monitor, "monitor.wav")?;
    record(&mut p, mix, "mix.wav")?;

    let ticks = (seconds * 1000.0 / 20.0).round() as u64;
    // Turn-taking: the floor passes between the parties every 1.5 to 4 s; the others are
    // silent but for a short interjection now and then. The coach whispers when party 0 does
    // not hold the floor.
    let mut rng = tutti::dsp::synth::Rng::new(2024);
    let mut holder = 0usize;
    let mut turn_left = 0u64;
    let mut interject: Vec<u64> = vec![0; 5];
    let mut frame = vec![0i16; l];
    let mut timeline = Vec::new();
    for t in 0..ticks {
        if turn_left == 0 {
            holder = (holder + 1 + (rng.next_u64() % 3) as usize) % 4;
            turn_left = (rng.range(1.5, 4.0) * 50.0) as u64;
        }
        turn_left -= 1;
        for (k, left) in interject.iter_mut().enumerate() {
            if *left > 0 {
                *left -= 1;
            } else if k < 4 && k != holder && rng.uniform() < 0.002 {
                *left = (rng.range(0.3, 0.8) * 50.0) as u64;
            }
        }
        for (k, ep) in source_eps.iter().enumerate() {
            if k < talkers.len() {
                talkers[k].fill(&mut frame);
                let speaking = if k < 4 {
                    k == holder || interject[k] > 0
                } else {
                    holder != 0
                };
                if !speaking {
                    frame.fill(0);
                }
            } else {
                music.fill(&mut frame);
            }
            p.endpoint_write(*ep, &frame).map_err(err)?;
        }
        p.tick();
        if t % 10 == 9 {
            p.service_io();
        }
        while let Some(ev) = p.poll_event() {
            let at = ev.tick as f64 * 0.02;
            match ev.event {
                Event::TalkStarted { channel, .. } | Event::TalkStopped { channel, .. } => {
                    let started = matches!(ev.event, Event::TalkStarted { .. });
                    let who = names
                        .iter()
                        .find(|(c, _)| *c == channel)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| channel.to_string());
                    timeline.push((at, who, started));
                }
                Event::RecorderError { message, .. } => return Err(message),
                _ => {}
            }
        }
    }
    p.finish_io();
    while let Some(ev) = p.poll_event() {
        if let Event::RecorderError { message, .. } = ev.event {
            return Err(message);
        }
    }

    println!("tutti demo: {seconds} s at {rate} Hz, 4 parties, a monitor, a coach whispering to party 0, background music");
    println!();
    println!("who talked when (background music plays throughout):");
    let mut open: Vec<(String, f64)> = Vec::new();
    let mut spans: Vec<(f64, f64, String)> = Vec::new();
    for (at, who, started) in &timeline {
        if who.starts_with("background") {
            continue;
        }
        if *started {
            open.push((who.clone(), *at));
        } else if let Some(i) = open.iter().position(|(w, _)| w == who) {
            let (w, from) = open.remove(i);
            spans.push((from, *at, w));
        }
    }
    for (w, from) in open {
        spans.push((from, seconds, format!("{w} (still talking)")));
    }
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (from, to, w) in spans {
        println!("  {from:7.2} s - {to:7.2} s  {w}");
    }
    println!();
    println!("files written:");
    for f in &files {
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        println!("  {} ({} bytes)", f.display(), len);
    }
    Ok(())
}
