//! Tone detection and suppression in a conference: a party keys "1234#" into a 4-party
//! conference; the digits are reported, and the other parties hear at most a fragment of each
//! tone (nothing with a 40 ms lookahead), measured with a Goertzel filter on their outputs.

use std::f64::consts::PI;

use tutti::conference::{Conference, PartyOptions};
use tutti::engine::{Event, ListenOptions, Tone, ToneEventKind, ToneSet};
use tutti::{ChannelKind, Config, Processor};

const RATE: f64 = 8000.0;

/// dBm0 of a full-scale sine (the G.711 convention), restated here independently.
#[allow(clippy::approx_constant)] // a level in dB, not pi
const FULL_SCALE_DBM0: f64 = 3.14;

/// The most tone, in ms, that may reach another party without lookahead.
const LEAK_BOUND_MS: usize = 15;

fn dtmf_freqs(d: char) -> (f64, f64) {
    let keys = ["123A", "456B", "789C", "*0#D"];
    let low = [697.0, 770.0, 852.0, 941.0];
    let high = [1209.0, 1336.0, 1477.0, 1633.0];
    for (r, row) in keys.iter().enumerate() {
        if let Some(c) = row.find(d) {
            return (low[r], high[c]);
        }
    }
    panic!("not a DTMF key: {d}");
}

/// The digits as plain sine sums (-10 dBm0 per tone, random-ish phases), `on` ms of tone and
/// `off` ms of silence each, starting `lead` ms in. Returns the signal and each tone's span.
fn keyed(
    digits: &str,
    lead: usize,
    on: usize,
    off: usize,
    total: usize,
) -> (Vec<i16>, Vec<(usize, usize)>) {
    let amp = 32767.0 * 10f64.powf((-10.0 - FULL_SCALE_DBM0) / 20.0);
    let ms = |m: usize| m * RATE as usize / 1000;
    let mut x = vec![0i16; ms(total)];
    let mut spans = Vec::new();
    let mut t = ms(lead) + 3; // not aligned to frames or detector segments
    for (k, d) in digits.chars().enumerate() {
        let (f1, f2) = dtmf_freqs(d);
        let (p1, p2) = (0.7 * k as f64, 1.9 * k as f64);
        for n in 0..ms(on) {
            let s = amp
                * ((2.0 * PI * f1 * n as f64 / RATE + p1).sin()
                    + (2.0 * PI * f2 * n as f64 / RATE + p2).sin());
            x[t + n] = s.round() as i16;
        }
        spans.push((t, t + ms(on)));
        t += ms(on) + ms(off);
    }
    (x, spans)
}

/// Power of `f` in `x` by the Goertzel recurrence, per sample squared amplitude.
fn goertzel(x: &[i16], f: f64) -> f64 {
    let w = 2.0 * PI * f / RATE;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s0 = v as f64 + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let p = s1 * s1 + s2 * s2 - c * s1 * s2;
    p / (x.len() * x.len()) as f64
}

/// Milliseconds of tone found in `y` around each span: 1 ms blocks whose power at either of the
/// digit's frequencies is within 20 dB of the tone's own.
fn leaked_ms(y: &[i16], digits: &str, spans: &[(usize, usize)]) -> Vec<usize> {
    let amp = 32767.0 * 10f64.powf((-10.0 - FULL_SCALE_DBM0) / 20.0);
    let tone_power = (amp / 2.0) * (amp / 2.0);
    let block = RATE as usize / 1000;
    digits
        .chars()
        .zip(spans)
        .map(|(d, &(a, b))| {
            let (f1, f2) = dtmf_freqs(d);
            let mut n = 0;
            let mut i = a;
            while i + block <= (b + 8 * block).min(y.len()) {
                let blk = &y[i..i + block];
                if goertzel(blk, f1).max(goertzel(blk, f2)) > tone_power / 100.0 {
                    n += 1;
                }
                i += block;
            }
            n
        })
        .collect()
}

fn run(
    frame_ms: u32,
    lookahead_ms: u32,
    offset_ms: usize,
) -> (Vec<char>, Vec<Vec<usize>>, Vec<i16>) {
    let mut p = Processor::new(Config {
        sample_rate: 8000,
        frame_ms,
    })
    .unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let mut legs = Vec::new();
    for _ in 0..4 {
        let ep = p.endpoint_create().unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
        p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
            .unwrap();
        conf.add_party(&mut p, ch, ch, PartyOptions::default())
            .unwrap();
        legs.push((ep, ch));
    }
    p.listen_for(
        legs[0].1,
        &ToneSet::dtmf(),
        ListenOptions {
            suppress: true,
            suppression_lookahead_ms: lookahead_ms,
        },
    )
    .unwrap();
    let digits = "1234#";
    let (x, spans) = keyed(digits, 100 + offset_ms, 70, 80, 1000);
    let frames = x.len() / l;
    let mut outs = vec![Vec::new(); 4];
    let mut got = Vec::new();
    let mut out = vec![0i16; l];
    for f in 0..frames {
        p.endpoint_write(legs[0].0, &x[f * l..(f + 1) * l]).unwrap();
        for leg in &legs[1..] {
            p.endpoint_write(leg.0, &vec![0; l]).unwrap();
        }
        p.tick();
        for (k, leg) in legs.iter().enumerate() {
            p.endpoint_read(leg.0, &mut out).unwrap();
            outs[k].extend_from_slice(&out);
        }
        while let Some(e) = p.poll_event() {
            if let Event::Tone {
                tone: Tone::Dtmf(d),
                kind: ToneEventKind::Start,
                ..
            } = e.event
            {
                got.push(d);
            }
        }
    }
    let leaks = (1..4)
        .map(|k| leaked_ms(&outs[k], digits, &spans))
        .collect();
    (got, leaks, outs[1].clone())
}

/// Without lookahead, what leaks is the part of a tone mixed before the detector's first hit.
/// Swept over tone onsets at every millisecond of a frame.
#[test]
fn keyed_digits_are_reported_and_barely_leak_without_lookahead() {
    for frame_ms in [10, 20] {
        let mut worst = 0;
        let mut total = 0;
        let mut count = 0;
        for offset in 0..frame_ms as usize {
            let (digits, leaks, _) = run(frame_ms, 0, offset);
            assert_eq!(
                digits,
                vec!['1', '2', '3', '4', '#'],
                "frame {frame_ms} ms offset {offset}"
            );
            for l in &leaks {
                worst = worst.max(*l.iter().max().unwrap());
                total += l.iter().sum::<usize>();
                count += l.len();
            }
        }
        println!(
            "frame {frame_ms} ms: leak per tone worst {worst} ms, mean {:.1} ms",
            total as f64 / count as f64
        );
        // Measured in whole 1 ms blocks, so a partial block at each edge counts as leaked.
        assert!(
            worst <= LEAK_BOUND_MS,
            "frame {frame_ms} ms: worst leak {worst} ms"
        );
    }
}

/// The leak against the lookahead, printed for docs/conformance-dtmf.md (`cargo test --test
/// tone_suppression -- --nocapture`); more lookahead never leaks more.
#[test]
fn leak_shrinks_with_lookahead() {
    let mut last = usize::MAX;
    for lookahead in [0, 5, 10, 15, 20, 25, 30, 40] {
        let mut worst = 0;
        for frame_ms in [10, 20] {
            for offset in 0..frame_ms as usize {
                let (_, leaks, _) = run(frame_ms, lookahead, offset);
                worst = worst.max(leaks.iter().flatten().copied().max().unwrap());
            }
        }
        println!("lookahead {lookahead} ms: worst leak {worst} ms");
        assert!(worst <= last);
        last = worst;
    }
    assert_eq!(last, 0);
}

#[test]
fn a_40_ms_lookahead_leaks_nothing() {
    for frame_ms in [10, 20] {
        for offset in [0, 3, 7, 12, 17] {
            let (digits, leaks, heard) = run(frame_ms, 40, offset);
            assert_eq!(digits, vec!['1', '2', '3', '4', '#']);
            for l in &leaks {
                assert!(l.iter().all(|&ms| ms == 0), "leaks {l:?}");
            }
            assert!(
                heard.iter().all(|&v| v == 0),
                "nothing of the tones is heard"
            );
        }
    }
}

#[test]
fn without_suppression_the_tones_are_heard() {
    // The measurement itself can see a tone: with suppression off, the whole tone is there.
    let mut p = Processor::new(Config::default()).unwrap();
    let l = p.frame_len();
    let ep = p.endpoint_create().unwrap();
    let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
    p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
        .unwrap();
    let out = p.channel_create(ChannelKind::OutputOnly).unwrap();
    p.conf_prim_start(out).unwrap();
    p.conf_prim_attach(ch).unwrap();
    p.conf_prim_add(out, ch, 0.0).unwrap();
    let tx = p.endpoint_create().unwrap();
    p.endpoint_connect(tx, p.channel_datafeed(out).unwrap())
        .unwrap();
    p.listen_for(
        ch,
        &ToneSet::dtmf(),
        ListenOptions {
            suppress: false,
            suppression_lookahead_ms: 0,
        },
    )
    .unwrap();
    let (x, spans) = keyed("5", 40, 70, 80, 400);
    let mut y = Vec::new();
    let mut o = vec![0i16; l];
    for f in 0..x.len() / l {
        p.endpoint_write(ep, &x[f * l..(f + 1) * l]).unwrap();
        p.tick();
        p.endpoint_read(tx, &mut o).unwrap();
        y.extend_from_slice(&o);
    }
    assert_eq!(y, x);
    let leak = leaked_ms(&y, "5", &spans);
    assert!(leak[0] >= 69, "{leak:?}");
    assert!(p
        .listen_for(
            ch,
            &ToneSet::dtmf(),
            ListenOptions {
                suppress: true,
                suppression_lookahead_ms: 41
            }
        )
        .is_err());
}

#[test]
fn a_tone_generator_keys_digits_that_a_listener_reports() {
    let mut p = Processor::new(Config {
        sample_rate: 16000,
        frame_ms: 20,
    })
    .unwrap();
    let keys = p.channel_create(ChannelKind::OutputOnly).unwrap();
    let source = tutti::engine::ToneSource::dtmf(16000, "159#", Default::default()).unwrap();
    p.channel_output_tones(keys, source).unwrap();
    let ear = p.channel_create(ChannelKind::InputOnly).unwrap();
    p.channel_connect_input(ear, p.channel_datafeed(keys).unwrap())
        .unwrap();
    p.listen_for(ear, &ToneSet::dtmf(), ListenOptions::default())
        .unwrap();
    let mut got = Vec::new();
    let mut finished = false;
    for _ in 0..100 {
        p.tick();
        while let Some(e) = p.poll_event() {
            match e.event {
                Event::Tone {
                    channel,
                    tone: Tone::Dtmf(d),
                    kind: ToneEventKind::Start,
                    start_ms,
                    level_dbm0,
                    ..
                } => {
                    assert_eq!(channel, ear);
                    assert!(start_ms < 2000);
                    assert!(level_dbm0 < 0.0 && level_dbm0 > -20.0, "{level_dbm0}");
                    got.push(d);
                }
                Event::TonesFinished { channel } => {
                    assert_eq!(channel, keys);
                    finished = true;
                }
                _ => {}
            }
        }
    }
    assert_eq!(got, vec!['1', '5', '9', '#']);
    assert!(finished);
}
