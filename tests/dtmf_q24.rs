//! ITU-T Q.24 receiver conditions on independently synthesised signals (plain `sin()` with random
//! phases and random start offsets), for 8, 16 and 48 kHz, linear and through G.711.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use tutti::dsp::dtmf::{DtmfConfig, DtmfEventKind};

const RATES: [u32; 3] = [8000, 16000, 48000];

/// One isolated burst of `d` per trial; returns the number of trials whose Start events were
/// exactly `[d]` and the number that had any Start at all.
fn single_bursts(
    rate: u32,
    cfg: DtmfConfig,
    codec: Codec,
    rng: &mut Rng,
    trials: usize,
    mut make: impl FnMut(&mut Rng, usize) -> (char, Burst),
) -> (usize, usize) {
    let mut exact = 0;
    let mut any = 0;
    for t in 0..trials {
        let lead = ms(rate, 30.0) + rng.below(ms(rate, 10.0));
        let (d, mut b) = make(rng, t);
        b.start = lead;
        let len = lead + b.len + ms(rate, 60.0);
        let ev = run(rate, cfg, codec, &[b], len, 0.0, rng);
        let s = start_digits(&ev);
        if s.len() == 1 && s.starts_with(d) {
            exact += 1;
        }
        if !s.is_empty() {
            any += 1;
        }
    }
    (exact, any)
}

#[test]
fn all_digits_all_levels() {
    let mut rng = Rng::new(11);
    for codec in CODECS {
        for rate in RATES {
            for level in [0.0, -5.0, -10.0, -15.0, -20.0, -25.0] {
                let (ok, _) =
                    single_bursts(rate, DtmfConfig::att(), codec, &mut rng, 16, |r, t| {
                        let d = DIGITS.as_bytes()[t] as char;
                        (
                            d,
                            digit_burst(r, d, level, level, 0.0, 0.0, 0, ms(rate, 50.0)),
                        )
                    });
                assert_eq!(ok, 16, "{codec:?} {rate} Hz {level} dBm0: {ok}/16");
            }
        }
    }
}

#[test]
fn frequency_tolerance() {
    let mut rng = Rng::new(12);
    for codec in CODECS {
        for rate in RATES {
            // Each of the 8 tones, both signs, the other tone exact; plus both tones off.
            for (dev, must) in [
                (0.015, true),
                (-0.015, true),
                (0.035, false),
                (-0.035, false),
            ] {
                let mut detected = 0;
                let mut n = 0;
                for which in 0..3 {
                    let (ok, any) =
                        single_bursts(rate, DtmfConfig::att(), codec, &mut rng, 32, |r, t| {
                            let d = DIGITS.as_bytes()[t % 16] as char;
                            let (el, eh) = match which {
                                0 => (dev, 0.0),
                                1 => (0.0, dev),
                                _ => (dev, dev),
                            };
                            (
                                d,
                                digit_burst(r, d, -10.0, -10.0, el, eh, 0, ms(rate, 60.0)),
                            )
                        });
                    detected += if must { ok } else { any };
                    n += 32;
                }
                println!(
                    "{codec:?} {rate} Hz dev {:+.1}%: detected {detected}/{n}",
                    dev * 100.0
                );
                if must {
                    assert_eq!(detected, n, "{codec:?} {rate} dev {dev}");
                } else {
                    assert_eq!(detected, 0, "{codec:?} {rate} dev {dev}");
                }
            }
        }
    }
}

#[test]
fn twist_limits() {
    let mut rng = Rng::new(13);
    for codec in CODECS {
        for rate in RATES {
            // High group 4 dB above / 8 dB below the low group, at high and low overall levels.
            for (low, high) in [(-8.0, -4.0), (-25.0, -21.0), (-4.0, -12.0), (-17.0, -25.0)] {
                let (ok, _) =
                    single_bursts(rate, DtmfConfig::att(), codec, &mut rng, 32, |r, t| {
                        let d = DIGITS.as_bytes()[t % 16] as char;
                        (d, digit_burst(r, d, low, high, 0.0, 0.0, 0, ms(rate, 60.0)))
                    });
                assert_eq!(ok, 32, "{codec:?} {rate} low {low} high {high}: {ok}/32");
            }
        }
    }
}

#[test]
fn duration_limits() {
    let mut rng = Rng::new(14);
    for codec in CODECS {
        for rate in RATES {
            let (ok40, _) = single_bursts(rate, DtmfConfig::att(), codec, &mut rng, 200, |r, _| {
                let d = DIGITS.as_bytes()[r.below(16)] as char;
                let lvl = r.range(-25.0, 0.0);
                (d, digit_burst(r, d, lvl, lvl, 0.0, 0.0, 0, ms(rate, 40.0)))
            });
            let (_, any23) =
                single_bursts(rate, DtmfConfig::att(), codec, &mut rng, 200, |r, _| {
                    let d = DIGITS.as_bytes()[r.below(16)] as char;
                    let lvl = r.range(-25.0, 0.0);
                    let tw = r.range(-8.0, 4.0);
                    (
                        d,
                        digit_burst(r, d, lvl, lvl + tw, 0.0, 0.0, 0, ms(rate, 23.0)),
                    )
                });
            println!("{codec:?} {rate} Hz: 40 ms {ok40}/200 detected, 23 ms {any23}/200 detected");
            assert_eq!(ok40, 200, "{codec:?} {rate}");
            assert_eq!(any23, 0, "{codec:?} {rate}");
        }
    }
}

/// Two bursts of the same digit separated by `gap_ms`; returns how many trials produced
/// exactly `expect` Start events of that digit.
fn gap_trials(rate: u32, codec: Codec, gap_ms: f64, expect: usize, rng: &mut Rng) -> usize {
    let mut good = 0;
    for _ in 0..200 {
        let d = DIGITS.as_bytes()[rng.below(16)] as char;
        let lvl = rng.range(-25.0, 0.0);
        let lead = ms(rate, 30.0) + rng.below(ms(rate, 10.0));
        let on1 = ms(rate, rng.range(40.0, 80.0));
        let gap = ms(rate, gap_ms);
        let on2 = ms(rate, rng.range(40.0, 80.0));
        let mut b1 = digit_burst(rng, d, lvl, lvl, 0.0, 0.0, lead, on1);
        // The interruption may or may not keep phase: second burst gets fresh random phases.
        let b2 = digit_burst(rng, d, lvl, lvl, 0.0, 0.0, lead + on1 + gap, on2);
        b1.len = on1;
        let len = lead + on1 + gap + on2 + ms(rate, 60.0);
        let ev = run(rate, DtmfConfig::att(), codec, &[b1, b2], len, 0.0, rng);
        let s = start_digits(&ev);
        if s.len() == expect && s.chars().all(|c| c == d) {
            good += 1;
        }
    }
    good
}

#[test]
fn pause_and_interruption() {
    let mut rng = Rng::new(15);
    for codec in CODECS {
        for rate in RATES {
            let sep = gap_trials(rate, codec, 40.0, 2, &mut rng);
            let mut split = 0;
            for gap in [2.0, 5.0, 10.0] {
                split += 200 - gap_trials(rate, codec, gap, 1, &mut rng);
            }
            println!("{codec:?} {rate} Hz: 40 ms pause separated {sep}/200; <=10 ms interruption split {split}/600");
            assert_eq!(sep, 200, "{codec:?} {rate}");
            assert_eq!(split, 0, "{codec:?} {rate}");
        }
    }
}

#[test]
fn level_rejection() {
    let mut rng = Rng::new(16);
    for codec in CODECS {
        for rate in RATES {
            for (cfg, name, lvl) in [
                (DtmfConfig::att(), "att", -55.0),
                (DtmfConfig::att(), "att", -45.0),
                (DtmfConfig::ntt(), "ntt", -29.0),
            ] {
                let (_, any) = single_bursts(rate, cfg, codec, &mut rng, 32, |r, t| {
                    let d = DIGITS.as_bytes()[t % 16] as char;
                    (d, digit_burst(r, d, lvl, lvl, 0.0, 0.0, 0, ms(rate, 100.0)))
                });
                assert_eq!(any, 0, "{codec:?} {rate} {name} {lvl} dBm0");
                // One tone at the level, the other strong: still rejected.
                let (_, any) = single_bursts(rate, cfg, codec, &mut rng, 16, |r, t| {
                    let d = DIGITS.as_bytes()[t % 16] as char;
                    (
                        d,
                        digit_burst(r, d, lvl, -10.0, 0.0, 0.0, 0, ms(rate, 100.0)),
                    )
                });
                assert_eq!(any, 0, "{codec:?} {rate} {name} low tone {lvl} dBm0");
            }
            // NTT still operates within its range.
            let (ok, _) = single_bursts(rate, DtmfConfig::ntt(), codec, &mut rng, 16, |r, t| {
                let d = DIGITS.as_bytes()[t % 16] as char;
                (
                    d,
                    digit_burst(r, d, -24.0, -24.0, 0.0, 0.0, 0, ms(rate, 60.0)),
                )
            });
            assert_eq!(ok, 16, "{codec:?} {rate} ntt -24 dBm0");
        }
    }
}

/// Detection rate of 60 ms digits (-10 dBm0 per tone... each tone at `lvl`) in white noise at
/// `snr_db` (total tone power over total noise power in the full band).
fn noise_rate(
    rate: u32,
    codec: Codec,
    snr_db: f64,
    lvl: f64,
    trials: usize,
    rng: &mut Rng,
) -> (usize, usize) {
    let mut ok = 0;
    let mut false_digits = 0;
    let tone_ms = 2.0 * peak(lvl).powi(2) / 2.0;
    let noise_rms = (tone_ms / 10f64.powf(snr_db / 10.0)).sqrt();
    let per = ms(rate, 120.0);
    let mut bursts = vec![];
    let mut want = String::new();
    for i in 0..trials {
        let d = DIGITS.as_bytes()[rng.below(16)] as char;
        want.push(d);
        bursts.push(digit_burst(
            rng,
            d,
            lvl,
            lvl,
            0.0,
            0.0,
            per / 2 + i * per,
            ms(rate, 60.0),
        ));
    }
    let ev = run(
        rate,
        DtmfConfig::att(),
        codec,
        &bursts,
        per * trials + per,
        noise_rms,
        rng,
    );
    // Match each burst with a Start event inside it.
    let st = starts(&ev);
    for (i, d) in want.chars().enumerate() {
        let b0 = (per / 2 + i * per) as u64;
        let b1 = b0 + per as u64 / 2 + ms(rate, 40.0) as u64;
        if st.iter().any(|e| e.digit == d && e.at >= b0 && e.at < b1) {
            ok += 1;
        }
    }
    false_digits += st.len().saturating_sub(ok);
    (ok, false_digits)
}

#[test]
fn white_noise_snr() {
    let mut rng = Rng::new(17);
    for codec in CODECS {
        for rate in RATES {
            let (ok, fa) = noise_rate(rate, codec, 15.0, -10.0, 100, &mut rng);
            println!("{codec:?} {rate} Hz 15 dB SNR: {ok}/100 detected, {fa} extra");
            assert_eq!(ok, 100, "{codec:?} {rate} 15 dB SNR");
            assert_eq!(fa, 0);
        }
    }
    // The whole curve at 8 kHz, linear, for the record.
    let mut line = String::new();
    for snr in (0..=30).step_by(3) {
        let (ok, fa) = noise_rate(8000, Codec::Linear, snr as f64, -10.0, 100, &mut rng);
        line += &format!(
            " {snr}dB:{ok}%{}",
            if fa > 0 {
                format!("(+{fa})")
            } else {
                String::new()
            }
        );
    }
    println!("SNR curve (8 kHz, -10 dBm0/tone, 60 ms): {line}");
}

#[test]
fn latency_p95() {
    let mut rng = Rng::new(18);
    for rate in RATES {
        let mut lat = vec![];
        for _ in 0..400 {
            let d = DIGITS.as_bytes()[rng.below(16)] as char;
            let lvl = rng.range(-25.0, 0.0);
            let lead = ms(rate, 30.0) + rng.below(ms(rate, 10.0));
            let b = digit_burst(&mut rng, d, lvl, lvl, 0.0, 0.0, lead, ms(rate, 80.0));
            let ev = run(
                rate,
                DtmfConfig::att(),
                Codec::Linear,
                &[b],
                lead + ms(rate, 150.0),
                0.0,
                &mut rng,
            );
            let st = starts(&ev);
            assert_eq!(st.len(), 1);
            lat.push((st[0].at - lead as u64) as f64 * 1000.0 / rate as f64);
            // The estimated start is within 5 ms of the true onset.
            let err = st[0].start as f64 - lead as f64;
            assert!(
                err.abs() <= ms(rate, 6.0) as f64,
                "start estimate off by {err}"
            );
        }
        lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let p50 = lat[lat.len() / 2];
        let p95 = lat[lat.len() * 95 / 100];
        println!(
            "{rate} Hz latency: min {:.1} p50 {p50:.1} p95 {p95:.1} max {:.1} ms",
            lat[0],
            lat[lat.len() - 1]
        );
        assert!(p95 <= 35.0, "{rate} Hz p95 {p95}");
    }
}

/// Time from tone onset to the first hit (`in_tone()`), the signal a mixer uses to mute.
#[test]
fn first_hit_latency() {
    let mut rng = Rng::new(20);
    let rate = 8000;
    let mut lat = vec![];
    for _ in 0..300 {
        let d = DIGITS.as_bytes()[rng.below(16)] as char;
        let lvl = rng.range(-25.0, 0.0);
        let lead = ms(rate, 30.0) + rng.below(ms(rate, 10.0));
        let b = digit_burst(&mut rng, d, lvl, lvl, 0.0, 0.0, lead, ms(rate, 80.0));
        let mut buf = vec![0.0; lead + ms(rate, 150.0)];
        add_bursts(&mut buf, rate, &[b]);
        let s = to_i16(&buf);
        let mut det = tutti::dsp::dtmf::DtmfDetector::new(rate, DtmfConfig::att()).unwrap();
        let mut first = None;
        for (i, c) in s.chunks(8).enumerate() {
            det.process(c, &mut |_| {});
            if det.in_tone() && first.is_none() {
                first = Some((i + 1) * 8);
            }
        }
        lat.push((first.unwrap() - lead) as f64 / 8.0);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p95 = lat[lat.len() * 95 / 100];
    println!(
        "first hit (in_tone) after onset: min {:.1} p50 {:.1} p95 {p95:.1} max {:.1} ms",
        lat[0],
        lat[lat.len() / 2],
        lat[lat.len() - 1]
    );
    assert!(p95 <= 25.0);
}

#[test]
fn end_event_and_tone_flags() {
    let rate = 8000;
    let mut rng = Rng::new(19);
    let lead = 400;
    let b = digit_burst(&mut rng, '5', -10.0, -10.0, 0.0, 0.0, lead, 800);
    let mut buf = vec![0.0; 3000];
    add_bursts(&mut buf, rate, &[b]);
    let s = to_i16(&buf);
    let mut det = tutti::dsp::dtmf::DtmfDetector::new(rate, DtmfConfig::att()).unwrap();
    let mut ev = vec![];
    let mut first_in_tone = None;
    let mut last_in_tone = None;
    for (i, c) in s.chunks(40).enumerate() {
        det.process(c, &mut |e| ev.push(e));
        if det.in_tone() {
            first_in_tone.get_or_insert(i * 40 + 40);
            last_in_tone = Some(i * 40 + 40);
            assert!(det.hit_started().is_some());
        }
    }
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].kind, DtmfEventKind::Start);
    assert_eq!(ev[1].kind, DtmfEventKind::End);
    let end = ev[1].end.unwrap();
    assert!((end as i64 - 1200).abs() <= 40, "end {end}");
    let first = first_in_tone.unwrap();
    assert!(first < ev[0].at as usize, "in_tone before confirmation");
    assert!(
        first - lead <= 200,
        "first hit {} ms after onset",
        (first - lead) / 8
    );
    assert!(last_in_tone.unwrap() < 1200 + 300);
    assert!(!det.in_tone());
    assert_eq!(det.last_tone_end(), Some(end));
    assert!((ev[0].low_dbm0 + 10.0).abs() < 0.5 && (ev[0].high_dbm0 + 10.0).abs() < 0.5);
}
