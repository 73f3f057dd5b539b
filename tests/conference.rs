//! The high-level conference layer: roles, volumes, AGC, errors and events, each output checked
//! against a sum computed here from the roles' definitions.

#![allow(clippy::needless_range_loop)]

use tutti::conference::{Conference, PartyOptions, Role};
use tutti::dsp::level::frame_dbm0;
use tutti::dsp::synth::SpeechLike;
use tutti::engine::Event;
use tutti::{ChannelId, ChannelKind, Config, EndpointId, Processor};

#[path = "support/oracle.rs"]
mod oracle;
use oracle::{sat, term};

struct Leg {
    ch: ChannelId,
    ep: EndpointId,
}

fn leg(p: &mut Processor, kind: ChannelKind) -> Leg {
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(kind).unwrap();
    if kind != ChannelKind::OutputOnly {
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
    }
    if kind != ChannelKind::InputOnly {
        p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
            .unwrap();
    }
    Leg { ch, ep }
}

#[test]
fn members_monitor_coach_and_background_hear_what_their_roles_say() {
    let mut p = Processor::new(Config {
        sample_rate: 16000,
        frame_ms: 10,
    })
    .unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let members: Vec<Leg> = (0..4)
        .map(|_| leg(&mut p, ChannelKind::FullDuplex))
        .collect();
    let mut ids = Vec::new();
    for m in &members {
        ids.push(
            conf.add_party(&mut p, m.ch, m.ch, PartyOptions::default())
                .unwrap(),
        );
    }
    let monitor = leg(&mut p, ChannelKind::OutputOnly);
    conf.add_monitor(&mut p, monitor.ch).unwrap();
    let coach = leg(&mut p, ChannelKind::FullDuplex);
    conf.add_coach(&mut p, coach.ch, coach.ch, ids[2]).unwrap();
    let bg = leg(&mut p, ChannelKind::InputOnly);
    conf.add_background(&mut p, bg.ch, -15.0).unwrap();

    let mut rng = 12345u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        ((rng % 40001) as i64 - 20000) as i16
    };
    let mut out = vec![0i16; l];
    for _ in 0..20 {
        let xs: Vec<Vec<i16>> = (0..4).map(|_| (0..l).map(|_| next()).collect()).collect();
        let xc: Vec<i16> = (0..l).map(|_| next()).collect();
        let xb: Vec<i16> = (0..l).map(|_| next()).collect();
        for (m, x) in members.iter().zip(&xs) {
            p.endpoint_write(m.ep, x).unwrap();
        }
        p.endpoint_write(coach.ep, &xc).unwrap();
        p.endpoint_write(bg.ep, &xb).unwrap();
        p.tick();
        for n in 0..l {
            let all: i64 = xs.iter().map(|x| x[n] as i64).sum::<i64>() + term(xb[n] as i64, -15.0);
            for (i, m) in members.iter().enumerate() {
                p.endpoint_read(m.ep, &mut out).unwrap();
                let coach_part = if i == 2 { xc[n] as i64 } else { 0 };
                assert_eq!(
                    out[n],
                    sat(all - xs[i][n] as i64 + coach_part),
                    "member {i}"
                );
            }
            p.endpoint_read(monitor.ep, &mut out).unwrap();
            assert_eq!(out[n], sat(all), "monitor");
            p.endpoint_read(coach.ep, &mut out).unwrap();
            assert_eq!(out[n], sat(all), "coach hears the conference");
        }
    }
    let info = conf.info(&p);
    assert_eq!(info.parties.len(), 7);
    assert!(info
        .parties
        .iter()
        .any(|x| x.role == Role::Coach { pupil: ids[2] }));
}

#[test]
fn volumes_are_applied_exactly() {
    let mut p = Processor::new(Config::default()).unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let a = leg(&mut p, ChannelKind::FullDuplex);
    let b = leg(&mut p, ChannelKind::FullDuplex);
    let c = leg(&mut p, ChannelKind::FullDuplex);
    conf.add_party(
        &mut p,
        a.ch,
        a.ch,
        PartyOptions {
            in_volume_db: -6.0,
            ..Default::default()
        },
    )
    .unwrap();
    conf.add_party(
        &mut p,
        b.ch,
        b.ch,
        PartyOptions {
            out_volume_db: 4.0,
            ..Default::default()
        },
    )
    .unwrap();
    conf.add_party(&mut p, c.ch, c.ch, PartyOptions::default())
        .unwrap();
    let xa: Vec<i16> = (0..l).map(|n| (n as i16 * 97) % 9000 - 4500).collect();
    let xc: Vec<i16> = (0..l).map(|n| (n as i16 * 31) % 7000 - 3000).collect();
    p.endpoint_write(a.ep, &xa).unwrap();
    p.endpoint_write(b.ep, &vec![0; l]).unwrap();
    p.endpoint_write(c.ep, &xc).unwrap();
    p.tick();
    let mut out = vec![0i16; l];
    p.endpoint_read(b.ep, &mut out).unwrap();
    for n in 0..l {
        let a_in = sat(term(xa[n] as i64, -6.0)) as i64;
        let want = sat(term(a_in + xc[n] as i64, 4.0));
        assert_eq!(out[n], want);
    }
}

#[test]
fn adding_twice_is_an_error_and_removal_updates_everyone() {
    let mut p = Processor::new(Config::default()).unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let legs: Vec<Leg> = (0..3)
        .map(|_| leg(&mut p, ChannelKind::FullDuplex))
        .collect();
    let ids: Vec<_> = legs
        .iter()
        .map(|g| {
            conf.add_party(&mut p, g.ch, g.ch, PartyOptions::default())
                .unwrap()
        })
        .collect();
    let e = conf
        .add_party(&mut p, legs[0].ch, legs[0].ch, PartyOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");
    let e = conf.add_monitor(&mut p, legs[1].ch).unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");
    conf.remove_party(&mut p, ids[0]).unwrap();
    assert!(conf.remove_party(&mut p, ids[0]).is_err());
    for (k, g) in legs.iter().enumerate() {
        p.endpoint_write(g.ep, &vec![1000 * (k as i16 + 1); l])
            .unwrap();
    }
    p.tick();
    let mut out = vec![0i16; l];
    p.endpoint_read(legs[1].ep, &mut out).unwrap();
    assert_eq!(out, vec![3000; l], "party 1 hears only party 2 now");
    p.endpoint_read(legs[0].ep, &mut out).unwrap();
    assert_eq!(out, vec![0; l], "the removed party hears nothing");
    // The removed channel can join again.
    let again = conf
        .add_party(&mut p, legs[0].ch, legs[0].ch, PartyOptions::default())
        .unwrap();
    conf.remove_party(&mut p, again).unwrap();
    conf.remove_party(&mut p, ids[1]).unwrap();
    while p.poll_event().is_some() {}
    conf.remove_party(&mut p, ids[2]).unwrap();
    let mut empty = false;
    while let Some(e) = p.poll_event() {
        empty |= e.event
            == Event::ConferenceEmpty {
                conference: conf.id(),
            };
    }
    assert!(empty);
    assert_eq!(p.stats().participants, 0);
    assert_eq!(p.stats().conference_outputs, 0);
}

#[test]
fn delete_releases_every_party() {
    let mut p = Processor::new(Config::default()).unwrap();
    let mut conf = Conference::create(&mut p).unwrap();
    for _ in 0..5 {
        let g = leg(&mut p, ChannelKind::FullDuplex);
        conf.add_party(&mut p, g.ch, g.ch, PartyOptions::default())
            .unwrap();
    }
    let m = leg(&mut p, ChannelKind::OutputOnly);
    conf.add_monitor(&mut p, m.ch).unwrap();
    conf.delete(&mut p).unwrap();
    assert_eq!(p.stats().participants, 0);
    assert_eq!(p.stats().conference_outputs, 0);
}

#[test]
fn info_reports_the_talking_parties() {
    let mut p = Processor::new(Config::default()).unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let legs: Vec<Leg> = (0..3)
        .map(|_| leg(&mut p, ChannelKind::FullDuplex))
        .collect();
    let ids: Vec<_> = legs
        .iter()
        .map(|g| {
            conf.add_party(&mut p, g.ch, g.ch, PartyOptions::default())
                .unwrap()
        })
        .collect();
    let a = tutti::dsp::level::sine_amplitude_for_dbm0(-15.0);
    for t in 0..20 {
        let f: Vec<i16> = (0..l)
            .map(|n| (a * ((t * l + n) as f64 * 0.3).sin()) as i16)
            .collect();
        p.endpoint_write(legs[1].ep, &f).unwrap();
        p.tick();
    }
    assert_eq!(conf.info(&p).talking, vec![ids[1]]);
}

#[test]
fn agc_brings_a_quiet_talker_towards_the_target_without_raising_noise() {
    let mut p = Processor::new(Config::default()).unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let quiet = leg(&mut p, ChannelKind::FullDuplex);
    let listener = leg(&mut p, ChannelKind::FullDuplex);
    conf.add_party(
        &mut p,
        quiet.ch,
        quiet.ch,
        PartyOptions {
            in_agc: Some(Default::default()),
            ..Default::default()
        },
    )
    .unwrap();
    conf.add_party(&mut p, listener.ch, listener.ch, PartyOptions::default())
        .unwrap();
    let mut talker = SpeechLike::new(8000, 5, -26.0);
    let mut frame = vec![0i16; l];
    let mut out = vec![0i16; l];
    let (mut heard, mut said) = (Vec::new(), Vec::new());
    for t in 0..1500 {
        talker.fill(&mut frame);
        p.endpoint_write(quiet.ep, &frame).unwrap();
        p.tick();
        p.endpoint_read(listener.ep, &mut out).unwrap();
        if t > 1000 && frame_dbm0(&frame) > -45.0 {
            heard.extend_from_slice(&out);
            said.extend_from_slice(&frame);
        }
    }
    let (h, s) = (frame_dbm0(&heard), frame_dbm0(&said));
    assert!(
        h > s + 8.0,
        "AGC raised the talker from {s:.1} to {h:.1} dBm0"
    );
    assert!((h - -12.0).abs() < 5.0, "heard at {h:.1} dBm0");
    // Silence stays silence.
    for _ in 0..50 {
        p.endpoint_write(quiet.ep, &vec![0; l]).unwrap();
        p.tick();
    }
    p.endpoint_read(listener.ep, &mut out).unwrap();
    assert!(out.iter().all(|&v| v == 0));
}
