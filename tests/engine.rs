//! Processor behaviour: handles, datafeeds, cycles, talk detection, status.

#![allow(clippy::needless_range_loop)]

use tutti::engine::{Event, Sink};
use tutti::{ChannelKind, Config, Error, Processor};

#[path = "support/oracle.rs"]
mod oracle;
use oracle::term;

fn proc8() -> Processor {
    Processor::new(Config {
        sample_rate: 8000,
        frame_ms: 10,
    })
    .unwrap()
}

#[test]
fn config_is_validated() {
    for (rate, ms) in [(8000, 20), (16000, 10), (32000, 20), (48000, 10)] {
        let p = Processor::new(Config {
            sample_rate: rate,
            frame_ms: ms,
        })
        .unwrap();
        assert_eq!(p.frame_len(), (rate * ms / 1000) as usize);
    }
    let e = Processor::new(Config {
        sample_rate: 44100,
        frame_ms: 20,
    })
    .err()
    .unwrap();
    assert!(e.to_string().contains("44100"), "{e}");
    assert!(Processor::new(Config {
        sample_rate: 8000,
        frame_ms: 30
    })
    .is_err());
}

#[test]
fn stale_handles_are_errors_and_never_reach_reused_slots() {
    let mut p = proc8();
    let a = p.channel_create(ChannelKind::FullDuplex).unwrap();
    let out = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.conf_prim_start(out).unwrap();
    p.conf_prim_attach(a).unwrap();
    p.conf_prim_add(out, a, 0.0).unwrap();
    p.channel_release(a).unwrap();
    // The slot is reused by the next channel, but the old handle stays stale.
    let b = p.channel_create(ChannelKind::FullDuplex).unwrap();
    assert_eq!(a.index(), b.index());
    assert_ne!(a.generation(), b.generation());
    let stale = |r: Result<(), Error>| match r {
        Err(Error::StaleHandle {
            kind: "channel", ..
        }) => {}
        other => panic!("expected a stale channel handle, got {other:?}"),
    };
    stale(p.conf_prim_attach(a).map(|_| ()));
    stale(p.conf_prim_add(out, a, 0.0).map(|_| ()));
    stale(p.channel_release(a));
    stale(p.channel_connect_input(a, p.channel_datafeed(out).unwrap()));
    stale(p.channel_set_input_gain(a, 0.0));
    stale(p.conf_prim_start(a));
    stale(p.channel_datafeed(a).map(|_| ()));
    // The new channel is untouched: not attached, output silent.
    assert!(p.conf_prim_participant(b).is_err());
    assert!(p.conf_prim_members(out).unwrap().is_empty());
    let msg = p.conf_prim_attach(a).unwrap_err().to_string();
    assert!(msg.contains("stale channel handle"), "{msg}");

    let ep = p.endpoint_create().unwrap();
    p.endpoint_release(ep).unwrap();
    assert!(matches!(
        p.endpoint_write(ep, &[0; 80]),
        Err(Error::StaleHandle {
            kind: "endpoint",
            ..
        })
    ));
}

#[test]
fn errors_name_the_object_and_the_problem() {
    let mut p = proc8();
    let inp = p.channel_create(ChannelKind::InputOnly).unwrap();
    let out = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let e = p.conf_prim_start(inp).unwrap_err().to_string();
    assert!(e.contains("has no output side"), "{e}");
    let e = p.conf_prim_add(out, inp, 0.0).unwrap_err().to_string();
    assert!(e.contains("not attached"), "{e}");
    p.conf_prim_attach(inp).unwrap();
    let e = p.conf_prim_add(out, inp, 0.0).unwrap_err().to_string();
    assert!(e.contains("conf_prim_start"), "{e}");
    p.conf_prim_start(out).unwrap();
    let e = p.conf_prim_add(out, inp, 40.0).unwrap_err().to_string();
    assert!(e.contains("gain"), "{e}");
    let ep = p.endpoint_create().unwrap();
    let e = p.endpoint_write(ep, &[0; 7]).unwrap_err();
    assert!(matches!(
        e,
        Error::FrameSize {
            expected: 80,
            got: 7
        }
    ));
}

#[test]
fn many_sinks_share_one_feed_and_missing_frames_are_silence() {
    let mut p = proc8();
    let src = p.endpoint_create().unwrap();
    let sinks: Vec<_> = (0..5).map(|_| p.endpoint_create().unwrap()).collect();
    for s in &sinks {
        p.endpoint_connect(*s, p.endpoint_datafeed(src).unwrap())
            .unwrap();
    }
    let frame: Vec<i16> = (0..80).map(|i| i * 100 - 4000).collect();
    p.endpoint_write(src, &frame).unwrap();
    p.tick();
    let mut out = vec![0i16; 80];
    for s in &sinks {
        p.endpoint_read(*s, &mut out).unwrap();
        assert_eq!(out, frame);
    }
    // Nothing written: silence, counted.
    p.tick();
    p.endpoint_read(sinks[0], &mut out).unwrap();
    assert!(out.iter().all(|&v| v == 0));
    assert_eq!(p.endpoint_missing_frames(src).unwrap(), 1);
    // Loopback: what an endpoint transmits does not change when its source is rewritten.
    p.endpoint_write(src, &frame).unwrap();
    p.tick();
    p.endpoint_write(src, &[7; 80]).unwrap();
    p.endpoint_read(sinks[1], &mut out).unwrap();
    assert_eq!(out, frame);
}

#[test]
fn releasing_a_source_leaves_sinks_on_silence_with_an_event() {
    let mut p = proc8();
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
    let pass = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let tx = p.endpoint_create().unwrap();
    p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    p.channel_output_feed(pass, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    p.endpoint_connect(tx, p.channel_datafeed(pass).unwrap())
        .unwrap();
    p.endpoint_write(ep, &[1000; 80]).unwrap();
    p.tick();
    let mut out = vec![0i16; 80];
    p.endpoint_read(tx, &mut out).unwrap();
    assert_eq!(out, vec![1000; 80]);
    p.endpoint_release(ep).unwrap();
    let mut sinks = Vec::new();
    while let Some(e) = p.poll_event() {
        if let Event::FeedReleased { sink } = e.event {
            sinks.push(sink);
        }
    }
    assert!(sinks.contains(&Sink::ChannelInput(ch)));
    assert!(sinks.contains(&Sink::ChannelOutput(pass)));
    assert_eq!(p.channel_input_feed(ch).unwrap(), None);
    p.tick();
    p.endpoint_read(tx, &mut out).unwrap();
    assert!(out.iter().all(|&v| v == 0));
}

/// Two conferences feeding each other: the cycle is broken with exactly one frame of delay on
/// one datafeed edge, and both outputs follow the recursion that delay implies, exactly.
#[test]
fn a_cycle_of_conferences_is_broken_with_one_frame_of_delay() {
    let mut p = proc8();
    let l = p.frame_len();
    let ea = p.endpoint_create().unwrap();
    let ec = p.endpoint_create().unwrap();
    let a = p.channel_create(ChannelKind::InputOnly).unwrap();
    let b = p.channel_create(ChannelKind::InputOnly).unwrap();
    let c = p.channel_create(ChannelKind::InputOnly).unwrap();
    let d = p.channel_create(ChannelKind::InputOnly).unwrap();
    let ox = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let oy = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.channel_connect_input(a, p.endpoint_datafeed(ea).unwrap())
        .unwrap();
    p.channel_connect_input(c, p.endpoint_datafeed(ec).unwrap())
        .unwrap();
    p.channel_connect_input(b, p.channel_datafeed(oy).unwrap())
        .unwrap();
    p.channel_connect_input(d, p.channel_datafeed(ox).unwrap())
        .unwrap();
    for o in [ox, oy] {
        p.conf_prim_start(o).unwrap();
    }
    for i in [a, b, c, d] {
        p.conf_prim_attach(i).unwrap();
    }
    p.conf_prim_add(ox, a, 0.0).unwrap();
    p.conf_prim_add(ox, b, -6.0).unwrap();
    p.conf_prim_add(oy, c, 0.0).unwrap();
    p.conf_prim_add(oy, d, -6.0).unwrap();
    let tx = p.endpoint_create().unwrap();
    let ty = p.endpoint_create().unwrap();
    p.endpoint_connect(tx, p.channel_datafeed(ox).unwrap())
        .unwrap();
    p.endpoint_connect(ty, p.channel_datafeed(oy).unwrap())
        .unwrap();
    p.commit();
    assert_eq!(p.stats().plan_delayed_edges, 1);

    let sat = |v: i64| v.clamp(-32768, 32767);
    // Two candidate models: the delay sits on b's feed, or on d's.
    let mut models = [
        (vec![0i64; l], vec![0i64; l]),
        (vec![0i64; l], vec![0i64; l]),
    ];
    let mut ok = [true, true];
    let (mut gx, mut gy) = (vec![0i16; l], vec![0i16; l]);
    for t in 0..40 {
        let xa: Vec<i16> = (0..l)
            .map(|n| if t < 3 { (n as i16 - 40) * 300 } else { 0 })
            .collect();
        let xc: Vec<i16> = (0..l)
            .map(|n| if t % 7 == 1 { (n as i16) * 50 } else { 0 })
            .collect();
        p.endpoint_write(ea, &xa).unwrap();
        p.endpoint_write(ec, &xc).unwrap();
        p.tick();
        p.endpoint_read(tx, &mut gx).unwrap();
        p.endpoint_read(ty, &mut gy).unwrap();
        for (m, (px, py)) in models.iter_mut().enumerate() {
            let (nx, ny): (Vec<i64>, Vec<i64>) = if m == 0 {
                // b reads last frame's oy; d reads this frame's ox.
                let nx: Vec<i64> = (0..l)
                    .map(|n| sat(xa[n] as i64 + term(py[n], -6.0)))
                    .collect();
                let ny = (0..l)
                    .map(|n| sat(xc[n] as i64 + term(nx[n], -6.0)))
                    .collect();
                (nx, ny)
            } else {
                let ny: Vec<i64> = (0..l)
                    .map(|n| sat(xc[n] as i64 + term(px[n], -6.0)))
                    .collect();
                let nx = (0..l)
                    .map(|n| sat(xa[n] as i64 + term(ny[n], -6.0)))
                    .collect();
                (nx, ny)
            };
            if (0..l).any(|n| nx[n] != gx[n] as i64 || ny[n] != gy[n] as i64) {
                ok[m] = false;
            }
            *px = nx;
            *py = ny;
        }
    }
    assert!(ok[0] ^ ok[1], "exactly one delay model must match: {ok:?}");
}

fn tone(dbm0: f64, freq: f64, n0: usize, l: usize) -> Vec<i16> {
    let a = tutti::dsp::level::sine_amplitude_for_dbm0(dbm0);
    (0..l)
        .map(|i| {
            (a * (2.0 * std::f64::consts::PI * freq * (n0 + i) as f64 / 8000.0).sin()).round()
                as i16
        })
        .collect()
}

#[test]
fn talk_detection_reports_start_and_stop_and_status_ranks_inputs() {
    let mut p = proc8();
    let l = p.frame_len();
    let mut eps = Vec::new();
    let mut chans = Vec::new();
    let mon = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.conf_prim_start(mon).unwrap();
    for _ in 0..6 {
        let ep = p.endpoint_create().unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
        p.conf_prim_attach(ch).unwrap();
        p.conf_prim_add(mon, ch, 0.0).unwrap();
        eps.push(ep);
        chans.push(ch);
    }
    let levels = [-30.0, -10.0, -25.0, -5.0, -20.0, -60.0];
    let mut started = [None; 6];
    let mut stopped = [None; 6];
    for t in 0..300usize {
        for k in 0..6 {
            // Each talks from 0.5 s to 1.5 s.
            let f = if (50..150).contains(&t) {
                tone(levels[k], 400.0 + 100.0 * k as f64, t * l, l)
            } else {
                vec![0; l]
            };
            p.endpoint_write(eps[k], &f).unwrap();
        }
        p.tick();
        if t == 120 {
            let st = p.conf_prim_status(mon).unwrap();
            let order: Vec<_> = st.iter().map(|a| a.channel).collect();
            assert_eq!(order, vec![chans[3], chans[1], chans[4], chans[2]]);
            for a in &st {
                let k = chans.iter().position(|c| *c == a.channel).unwrap();
                assert!(
                    (a.power_dbm0 - levels[k]).abs() < 1.0,
                    "{} vs {}",
                    a.power_dbm0,
                    levels[k]
                );
            }
        }
        while let Some(e) = p.poll_event() {
            match e.event {
                Event::TalkStarted { channel, .. } => {
                    started[chans.iter().position(|c| *c == channel).unwrap()] = Some(e.tick)
                }
                Event::TalkStopped { channel, .. } => {
                    stopped[chans.iter().position(|c| *c == channel).unwrap()] = Some(e.tick)
                }
                _ => {}
            }
        }
    }
    for k in 0..5 {
        // Attack 40 ms = 4 frames; hang 500 ms = 50 frames.
        assert_eq!(started[k], Some(53), "party {k}");
        assert_eq!(stopped[k], Some(199), "party {k}");
    }
    assert_eq!(started[5], None, "a -60 dBm0 input is not talking");
}

#[test]
fn a_lone_member_is_never_reported_talking() {
    let mut p = proc8();
    let l = p.frame_len();
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    p.conf_prim_start(ch).unwrap();
    p.conf_prim_attach(ch).unwrap();
    for t in 0..100 {
        p.endpoint_write(ep, &tone(-10.0, 500.0, t * l, l)).unwrap();
        p.tick();
    }
    assert!(!p.conf_prim_is_talking(ch).unwrap());
    assert!(p.poll_event().is_none());
    // Once somebody hears it, it is.
    let other = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.conf_prim_start(other).unwrap();
    p.conf_prim_add(other, ch, 0.0).unwrap();
    for t in 0..10 {
        p.endpoint_write(ep, &tone(-10.0, 500.0, t * l, l)).unwrap();
        p.tick();
    }
    assert!(p.conf_prim_is_talking(ch).unwrap());
    // And when nobody hears it any more, it stops at once.
    p.conf_prim_leave(other, ch).unwrap();
    let mut stopped = false;
    while let Some(e) = p.poll_event() {
        stopped |= matches!(e.event, Event::TalkStopped { .. });
    }
    assert!(stopped);
}

#[test]
fn planner_cost_is_linear_in_parties() {
    for n in [10usize, 100, 400] {
        let mut p = proc8();
        let chans: Vec<_> = (0..n)
            .map(|_| p.channel_create(ChannelKind::FullDuplex).unwrap())
            .collect();
        for &c in &chans {
            p.conf_prim_start(c).unwrap();
            p.conf_prim_attach(c).unwrap();
        }
        for &o in &chans {
            for &i in &chans {
                if i != o {
                    p.conf_prim_add(o, i, 0.0).unwrap();
                }
            }
        }
        // A monitor and a second identical monitor (computed once).
        let m1 = p.channel_create(ChannelKind::OutputOnly).unwrap();
        let m2 = p.channel_create(ChannelKind::OutputOnly).unwrap();
        for m in [m1, m2] {
            p.conf_prim_start(m).unwrap();
            for &i in &chans {
                p.conf_prim_add(m, i, 0.0).unwrap();
            }
        }
        p.commit();
        let s = p.stats();
        assert_eq!(s.plan_totals, 1, "n={n}");
        // One subtraction per member; the monitor is the total itself.
        assert_eq!(s.plan_output_ops, n, "n={n}");
        assert_eq!(s.plan_shared_outputs, 1, "n={n}");
    }
}

#[test]
fn breakout_rooms_have_their_own_totals_and_a_monitor_sums_them() {
    let mut p = proc8();
    let rooms = 5;
    let per = 8;
    let mut all = Vec::new();
    for _ in 0..rooms {
        let chans: Vec<_> = (0..per)
            .map(|_| p.channel_create(ChannelKind::FullDuplex).unwrap())
            .collect();
        for &c in &chans {
            p.conf_prim_start(c).unwrap();
            p.conf_prim_attach(c).unwrap();
        }
        for &o in &chans {
            for &i in &chans {
                if i != o {
                    p.conf_prim_add(o, i, 0.0).unwrap();
                }
            }
        }
        all.extend(chans);
    }
    let m = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.conf_prim_start(m).unwrap();
    for &i in &all {
        p.conf_prim_add(m, i, 0.0).unwrap();
    }
    p.commit();
    let s = p.stats();
    assert_eq!(s.plan_totals, rooms);
    assert_eq!(s.plan_output_ops, rooms * per);
}
