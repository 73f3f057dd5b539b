//! The unified listener: when `suppress()` turns on and off relative to a DTMF tone (measured on
//! digits synthesised with plain `sin()`), tone sources recognised by the listener, and neither
//! `ToneListener::process` nor `ToneSource::fill` allocating.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use std::sync::atomic::Ordering;
use tutti::dsp::callprogress::CadenceSpec;
use tutti::dsp::tonegen::{DtmfGenConfig, ToneSource};
use tutti::dsp::tones::{Tone, ToneEvent, ToneEventKind, ToneListener, ToneSet};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{ALLOCS, ARMED};

fn allocs_during(f: impl FnOnce()) -> u64 {
    ARMED.with(|a| a.set(true));
    let before = ALLOCS.load(Ordering::Relaxed);
    f();
    let n = ALLOCS.load(Ordering::Relaxed) - before;
    ARMED.with(|a| a.set(false));
    n
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// 200 digits at random offsets, lengths, levels and phases; the listener is fed 5 ms at a time
/// and `suppress()` sampled after each call.
#[test]
fn suppression_timing() {
    let rate = 8000;
    let mut rng = Rng::new(21);
    let (mut on, mut off, mut leak) = (Vec::new(), Vec::new(), Vec::new());
    for trial in 0..200 {
        let d = DIGITS.as_bytes()[trial % 16] as char;
        let onset = 400 + rng.below(40);
        let len = ms(rate, rng.range(40.0, 120.0));
        let lvl = rng.range(-25.0, -3.0);
        let hi = lvl + rng.range(-4.0, 2.0);
        let b = digit_burst(&mut rng, d, lvl, hi, 0.0, 0.0, onset, len);
        let mut buf = vec![0.0; onset + len + 1600];
        add_bursts(&mut buf, rate, &[b]);
        add_white_noise(&mut buf, &mut rng, 10.0);
        let s = to_i16(&buf);
        let mut l = ToneListener::new(rate, &ToneSet::dtmf()).unwrap();
        let mut first_on = None;
        let mut last_on = None;
        let mut digits = String::new();
        for (i, c) in s.chunks(40).enumerate() {
            l.process(c, &mut |e: ToneEvent| {
                if e.kind == ToneEventKind::Start {
                    digits.push(e.tone.digit().unwrap());
                }
            });
            let p = (i + 1) * 40;
            if l.suppress() {
                assert!(
                    first_on.is_none() || last_on == Some(p - 40),
                    "gap in suppression"
                );
                first_on.get_or_insert(p);
                last_on = Some(p);
            }
        }
        assert_eq!(digits, d.to_string());
        let (a, z) = (first_on.unwrap(), last_on.unwrap() + 40);
        on.push((a - onset) as f64 / 8.0);
        off.push((z as f64 - (onset + len) as f64) / 8.0);
        leak.push((a.min(onset + len) - onset) as f64 / 8.0);
    }
    let (on_min, on_med, on_max) = (pct(&mut on, 0.0), pct(&mut on, 0.5), pct(&mut on, 1.0));
    let (off_min, off_med, off_max) = (pct(&mut off, 0.0), pct(&mut off, 0.5), pct(&mut off, 1.0));
    println!(
        "suppress on after onset: min {on_min:.1} median {on_med:.1} max {on_max:.1} ms; \
         off after tone end: min {off_min:.1} median {off_med:.1} max {off_max:.1} ms"
    );
    // The leak (tone before suppression) is shorter than the minimum digit duration.
    assert!(on_max <= 25.0, "{on_max}");
    assert!(off_min >= 0.0 && off_max <= 50.0, "{off_min} {off_max}");
}

#[test]
fn no_suppression_on_silence_or_noise() {
    let mut rng = Rng::new(22);
    let mut buf = vec![0.0; 80000];
    add_white_noise(&mut buf, &mut rng, 3000.0);
    let s = to_i16(&buf);
    let mut l = ToneListener::new(8000, &ToneSet::all()).unwrap();
    let mut n = 0;
    for c in s.chunks(160) {
        l.process(c, &mut |_| n += 1);
        assert!(!l.suppress());
    }
    assert_eq!(n, 0);
}

#[test]
fn sources_are_recognised() {
    let rate = 8000;
    let mut cases: Vec<(ToneSource, Vec<Tone>)> = Vec::new();
    for spec in CadenceSpec::north_america()
        .into_iter()
        .chain(CadenceSpec::fax())
    {
        let t = spec.tone;
        cases.push((
            ToneSource::cadence(rate, &spec, -16.0, Some(2)).unwrap(),
            vec![t],
        ));
    }
    let cfg = DtmfGenConfig {
        on_ms: 50.0,
        off_ms: 50.0,
        low_dbm0: -12.0,
        twist_db: 1.0,
        freq_error: 0.0,
    };
    cases.push((
        ToneSource::dtmf(rate, "159#", cfg).unwrap(),
        "159#".chars().map(Tone::Dtmf).collect(),
    ));
    cases.push((
        ToneSource::dual(rate, 350.0, -13.0, 440.0, -13.0).unwrap(),
        vec![Tone::Dial],
    ));
    for (mut src, want) in cases {
        let mut l = ToneListener::new(rate, &ToneSet::all()).unwrap();
        let mut got = Vec::new();
        let mut frame = [0i16; 160];
        let mut frames = 0;
        loop {
            let more = src.fill(&mut frame);
            l.process(&frame, &mut |e| {
                if e.kind == ToneEventKind::Start {
                    got.push(e.tone)
                }
            });
            frames += 1;
            if !more || frames >= 1500 {
                break;
            }
        }
        assert_eq!(got, want);
    }
}

#[test]
fn processing_allocates_nothing() {
    let rate = 8000;
    let mut l = ToneListener::new(rate, &ToneSet::all()).unwrap();
    let mut sources = [
        ToneSource::dtmf(rate, "0123456789", DtmfGenConfig::default()).unwrap(),
        ToneSource::cadence(rate, &CadenceSpec::na_busy(), -20.0, None).unwrap(),
        ToneSource::cadence(rate, &CadenceSpec::ced(), -20.0, Some(1)).unwrap(),
        ToneSource::dual(rate, 350.0, -13.0, 440.0, -13.0).unwrap(),
    ];
    let mut frame = [0i16; 160];
    let mut events = 0;
    let n = allocs_during(|| {
        for src in sources.iter_mut() {
            for _ in 0..300 {
                src.fill(&mut frame);
                l.process(&frame, &mut |_| events += 1);
                std::hint::black_box(l.suppress());
            }
        }
    });
    assert_eq!(n, 0, "allocations in process/fill");
    assert!(events >= 20, "{events}");
}
