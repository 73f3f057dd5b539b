//! Call-progress and fax tone recognition on signals synthesised here with plain `sin()` (not
//! tutti's generator): every built-in North American tone and fax tone is recognised, within
//! 0.6 s of onset for CNG and CED and within one cadence cycle for busy; off-nominal levels and
//! frequencies; CED with phase reversals and ANSam modulation; no cross-detections, none on DTMF;
//! a UK cadence filled in as configuration.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use std::f64::consts::PI;
use tutti::dsp::callprogress::{CadenceElement, CadenceSpec};
use tutti::dsp::tones::{Tone, ToneEvent, ToneEventKind, ToneListener, ToneSet};

const RATE: u32 = 8000;

/// One piece of a synthesised signal: `freqs` (Hz) each at `dbm0`, for `ms`; empty = silence.
#[derive(Clone)]
struct Piece {
    freqs: Vec<f64>,
    dbm0: f64,
    ms: f64,
}

fn on(freqs: &[f64], dbm0: f64, ms: f64) -> Piece {
    Piece {
        freqs: freqs.to_vec(),
        dbm0,
        ms,
    }
}

fn off(ms: f64) -> Piece {
    on(&[], 0.0, ms)
}

/// Options applied while synthesising.
#[derive(Clone, Copy, Default)]
struct Mods {
    /// Phase reversal period in ms (0: none).
    reversal_ms: f64,
    /// Amplitude modulation depth at 15 Hz (ANSam: 0.2).
    am: f64,
    /// White noise RMS (i16 units).
    noise_rms: f64,
}

fn synth(rate: u32, pieces: &[Piece], mods: Mods, rng: &mut Rng) -> Vec<i16> {
    let total: usize = pieces.iter().map(|p| ms(rate, p.ms)).sum();
    let mut buf = vec![0.0f64; total];
    let mut at = 0;
    for p in pieces {
        let n = ms(rate, p.ms);
        let phases: Vec<f64> = p.freqs.iter().map(|_| rng.range(0.0, 2.0 * PI)).collect();
        for i in 0..n {
            let t = i as f64 / rate as f64;
            let mut v = 0.0;
            for (f, ph) in p.freqs.iter().zip(&phases) {
                v += peak(p.dbm0) * (2.0 * PI * f * t + ph).sin();
            }
            if mods.reversal_ms > 0.0 && ((t * 1000.0 / mods.reversal_ms) as u64) % 2 == 1 {
                v = -v;
            }
            if mods.am > 0.0 {
                v *= 1.0 + mods.am * (2.0 * PI * 15.0 * t).sin();
            }
            buf[at + i] = v;
        }
        at += n;
    }
    if mods.noise_rms > 0.0 {
        add_white_noise(&mut buf, rng, mods.noise_rms);
    }
    to_i16(&buf)
}

fn listen(rate: u32, set: &ToneSet, s: &[i16]) -> Vec<ToneEvent> {
    let mut l = ToneListener::new(rate, set).unwrap();
    let mut ev = Vec::new();
    for c in s.chunks((rate / 50) as usize) {
        l.process(c, &mut |e| ev.push(e));
    }
    ev
}

fn starts(ev: &[ToneEvent]) -> Vec<ToneEvent> {
    ev.iter()
        .copied()
        .filter(|e| e.kind == ToneEventKind::Start)
        .collect()
}

/// Recognition time in ms from the first tone's onset at `lead_ms`.
fn latency_ms(e: &ToneEvent, rate: u32, lead_ms: f64) -> f64 {
    e.at as f64 * 1000.0 / rate as f64 - lead_ms
}

const BUSY: [f64; 2] = [480.0, 620.0];
const RING: [f64; 2] = [440.0, 480.0];
const DIAL: [f64; 2] = [350.0, 440.0];

fn cadence(freqs: &[f64], dbm0: f64, on_ms: f64, off_ms: f64, cycles: usize) -> Vec<Piece> {
    let mut v = vec![off(300.0)];
    for _ in 0..cycles {
        v.push(on(freqs, dbm0, on_ms));
        v.push(off(off_ms));
    }
    // Long enough for the broken cadence to end the tone.
    v.push(off(off_ms * 0.3 + 300.0));
    v
}

#[test]
fn north_american_tones_recognised() {
    let mut rng = Rng::new(11);
    let set = ToneSet::all();
    let cases: Vec<(Tone, Vec<Piece>, f64)> = vec![
        (
            Tone::Dial,
            vec![off(300.0), on(&DIAL, -13.0, 3000.0), off(500.0)],
            700.0,
        ),
        (
            Tone::Ringback,
            cadence(&RING, -19.0, 2000.0, 4000.0, 2),
            2000.0,
        ),
        (Tone::Busy, cadence(&BUSY, -24.0, 500.0, 500.0, 4), 1000.0),
        (Tone::Reorder, cadence(&BUSY, -24.0, 250.0, 250.0, 6), 500.0),
        (
            Tone::Sit,
            vec![
                off(300.0),
                on(&[913.8], -24.0, 274.0),
                on(&[1370.6], -24.0, 274.0),
                on(&[1776.7], -24.0, 380.0),
                off(1000.0),
            ],
            1100.0,
        ),
    ];
    for (tone, pieces, max_ms) in cases {
        for noise in [0.0, 150.0] {
            let s = synth(
                RATE,
                &pieces,
                Mods {
                    noise_rms: noise,
                    ..Mods::default()
                },
                &mut rng,
            );
            let ev = listen(RATE, &set, &s);
            let st = starts(&ev);
            assert_eq!(st.len(), 1, "{tone:?} noise {noise}: {ev:?}");
            assert_eq!(st[0].tone, tone);
            let lat = latency_ms(&st[0], RATE, 300.0);
            println!(
                "{tone:?} noise {noise}: recognised after {lat:.0} ms, level {:.1} dBm0",
                st[0].level_dbm0
            );
            assert!(lat <= max_ms, "{tone:?}: {lat} ms");
            let start_ms = st[0].start as f64 / 8.0;
            assert!(
                (start_ms - 300.0).abs() <= 15.0,
                "{tone:?} start {start_ms} ms"
            );
            let ends = ev.iter().filter(|e| e.kind == ToneEventKind::End).count();
            assert_eq!(ends, 1, "{tone:?}: {ev:?}");
        }
    }
}

#[test]
fn busy_within_one_cycle_across_levels_and_offsets() {
    let mut rng = Rng::new(12);
    let set = ToneSet::call_progress();
    let mut worst = 0f64;
    for dbm0 in [-10.0, -20.0, -30.0, -36.0] {
        for err in [-0.015, 0.0, 0.015] {
            let f = [480.0 * (1.0 + err), 620.0 * (1.0 + err)];
            let s = synth(
                RATE,
                &cadence(&f, dbm0, 500.0, 500.0, 3),
                Mods::default(),
                &mut rng,
            );
            let st = starts(&listen(RATE, &set, &s));
            assert_eq!(st.len(), 1, "{dbm0} dBm0 {err}: {st:?}");
            assert_eq!(st[0].tone, Tone::Busy);
            assert!(
                (st[0].level_dbm0 as f64 - (dbm0 + 3.01)).abs() < 1.5,
                "{st:?}"
            );
            worst = worst.max(latency_ms(&st[0], RATE, 300.0));
        }
    }
    println!("busy: worst recognition {worst:.0} ms after onset (cycle 1000 ms)");
    assert!(worst <= 1000.0);
    // Too quiet: not recognised.
    let s = synth(
        RATE,
        &cadence(&BUSY, -45.0, 500.0, 500.0, 3),
        Mods::default(),
        &mut rng,
    );
    assert!(starts(&listen(RATE, &set, &s)).is_empty());
}

#[test]
fn fax_tones_within_600_ms() {
    let mut rng = Rng::new(13);
    let set = ToneSet::all();
    let mut worst: f64 = 0.0;
    for rate in [8000, 16000, 48000] {
        for dbm0 in [-10.0, -30.0, -40.0] {
            for df in [-30.0, 0.0, 30.0] {
                let p = cadence(&[1100.0 + df], dbm0, 500.0, 3000.0, 2);
                let s = synth(rate, &p, Mods::default(), &mut rng);
                let st = starts(&listen(rate, &set, &s));
                assert_eq!(st.len(), 1, "CNG {rate} {dbm0} {df}: {st:?}");
                assert_eq!(st[0].tone, Tone::Cng);
                let lat = latency_ms(&st[0], rate, 300.0);
                worst = worst.max(lat);
                assert!(lat <= 600.0, "CNG {lat} ms");
            }
            for df in [-10.0, 0.0, 10.0] {
                for (rev, am) in [(0.0, 0.0), (450.0, 0.0), (450.0, 0.2)] {
                    let p = vec![off(300.0), on(&[2100.0 + df], dbm0, 3300.0), off(500.0)];
                    let mods = Mods {
                        reversal_ms: rev,
                        am,
                        noise_rms: 0.0,
                    };
                    let s = synth(rate, &p, mods, &mut rng);
                    let ev = listen(rate, &set, &s);
                    let st = starts(&ev);
                    assert_eq!(st.len(), 1, "CED {rate} {dbm0} {df} {rev} {am}: {ev:?}");
                    assert_eq!(st[0].tone, Tone::Ced);
                    let lat = latency_ms(&st[0], rate, 300.0);
                    worst = worst.max(lat);
                    assert!(lat <= 600.0, "CED {lat} ms");
                    let end = ev.iter().find(|e| e.kind == ToneEventKind::End).unwrap();
                    let end_ms = end.end.unwrap() as f64 * 1000.0 / rate as f64;
                    assert!((end_ms - 3600.0).abs() <= 20.0, "CED end {end_ms}");
                }
            }
        }
    }
    println!("fax tones: worst recognition {worst:.0} ms after onset");
}

#[test]
fn no_cross_detection_and_nothing_on_dtmf() {
    let mut rng = Rng::new(14);
    let set = ToneSet::all();
    // Off-frequency tones are not fax tones.
    for f in [1040.0, 1160.0, 2070.0, 2130.0] {
        let s = synth(
            RATE,
            &[off(100.0), on(&[f], -10.0, 3000.0)],
            Mods::default(),
            &mut rng,
        );
        let ev = listen(RATE, &set, &s);
        assert!(ev.is_empty(), "{f} Hz: {ev:?}");
    }
    // Busy cadence with ringback frequencies, and ringback cadence with busy frequencies.
    let s = synth(
        RATE,
        &cadence(&RING, -15.0, 500.0, 500.0, 3),
        Mods::default(),
        &mut rng,
    );
    assert!(starts(&listen(RATE, &set, &s)).is_empty());
    // Wrong cadence: 1 s on / 1 s off busy frequencies.
    let s = synth(
        RATE,
        &cadence(&BUSY, -15.0, 1000.0, 1000.0, 3),
        Mods::default(),
        &mut rng,
    );
    assert!(starts(&listen(RATE, &set, &s)).is_empty());
    // DTMF digits, short and long: only DTMF events.
    for on_ms in [60.0, 200.0, 1500.0] {
        let mut pieces = vec![off(100.0)];
        for d in DIGITS.chars() {
            let (r, c) = pos(d);
            pieces.push(on(&[LOW[r], HIGH[c]], -8.0, on_ms));
            pieces.push(off(100.0));
        }
        let s = synth(RATE, &pieces, Mods::default(), &mut rng);
        let ev = listen(RATE, &set, &s);
        let digits: String = starts(&ev).iter().filter_map(|e| e.tone.digit()).collect();
        assert_eq!(digits, DIGITS, "{on_ms} ms digits");
        assert!(
            ev.iter().all(|e| matches!(e.tone, Tone::Dtmf(_))),
            "{on_ms}: {ev:?}"
        );
    }
}

/// A UK-style cadence filled in as configuration: 400 + 450 Hz ringing, 0.4 s on, 0.2 s off,
/// 0.4 s on, 2 s off; and UK busy, 400 Hz 0.375 s on / 0.375 s off, reported as `Busy`.
#[test]
fn uk_tones_as_configuration() {
    let ring = CadenceSpec {
        tone: Tone::Custom(1),
        elements: vec![
            CadenceElement::tone(&[400.0, 450.0], 400.0, 0.15),
            CadenceElement::silence(200.0, 0.2),
            CadenceElement::tone(&[400.0, 450.0], 400.0, 0.15),
            CadenceElement::silence(2000.0, 0.15),
        ],
        confirm: 3,
        min_level_dbm0: -38.0,
        max_twist_db: 10.0,
        freq_tolerance_hz: 10.0,
        phase_reversals: false,
    };
    let busy = CadenceSpec {
        tone: Tone::Busy,
        elements: vec![
            CadenceElement::tone(&[400.0], 375.0, 0.15),
            CadenceElement::silence(375.0, 0.15),
        ],
        confirm: 2,
        ..ring.clone()
    };
    let set = ToneSet::none().with_cadence(ring).with_cadence(busy);
    let mut rng = Rng::new(15);
    let mut p = vec![off(300.0)];
    for _ in 0..2 {
        p.extend([
            on(&[400.0, 450.0], -19.0, 400.0),
            off(200.0),
            on(&[400.0, 450.0], -19.0, 400.0),
            off(2000.0),
        ]);
    }
    let st = starts(&listen(
        RATE,
        &set,
        &synth(RATE, &p, Mods::default(), &mut rng),
    ));
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(st[0].tone, Tone::Custom(1));
    let s = synth(
        RATE,
        &cadence(&[400.0], -19.0, 375.0, 375.0, 3),
        Mods::default(),
        &mut rng,
    );
    let st = starts(&listen(RATE, &set, &s));
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(st[0].tone, Tone::Busy);
    assert!(latency_ms(&st[0], RATE, 300.0) <= 750.0);
}
