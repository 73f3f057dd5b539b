//! Margin sweeps around the Q.24 limits (not run by default; prints tables):
//! `cargo test --test dtmf_margins -- --ignored --nocapture`.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use tutti::dsp::dtmf::DtmfConfig;

fn rate_of(trials: usize, rng: &mut Rng, mut one: impl FnMut(&mut Rng) -> bool) -> f64 {
    let ok = (0..trials).filter(|_| one(rng)).count();
    100.0 * ok as f64 / trials as f64
}

fn burst_detected(rng: &mut Rng, el: f64, eh: f64, on_ms: f64, low: f64, high: f64) -> bool {
    let d = DIGITS.as_bytes()[rng.below(16)] as char;
    let lead = 240 + rng.below(80);
    let n = ms(8000, on_ms);
    let b = digit_burst(rng, d, low, high, el, eh, lead, n);
    let ev = run(
        8000,
        DtmfConfig::att(),
        Codec::Linear,
        &[b],
        lead + n + 480,
        0.0,
        rng,
    );
    start_digits(&ev) == d.to_string()
}

#[test]
#[ignore]
fn margins() {
    let mut rng = Rng::new(99);
    let mut line = String::new();
    for i in 0..=16 {
        let dev = 0.015 + 0.00125 * i as f64;
        let mut r = 0.0;
        for sign in [1.0, -1.0] {
            r += rate_of(100, &mut rng, |g| {
                let which = g.below(2);
                let (el, eh) = if which == 0 {
                    (sign * dev, 0.0)
                } else {
                    (0.0, sign * dev)
                };
                burst_detected(g, el, eh, 60.0, -10.0, -10.0)
            }) / 2.0;
        }
        line += &format!(" {:.3}%:{r:.0}", dev * 100.0);
    }
    println!("frequency deviation (one tone, both signs) -> % detected:{line}");
    let mut line = String::new();
    for on in 23..=40 {
        let r = rate_of(100, &mut rng, |g| {
            burst_detected(g, 0.0, 0.0, on as f64, -10.0, -10.0)
        });
        line += &format!(" {on}ms:{r:.0}");
    }
    println!("duration -> % detected:{line}");
    let mut line = String::new();
    for lvl in [-28.0, -30.0, -31.0, -32.0, -33.0, -34.0, -35.0, -37.0] {
        let r = rate_of(100, &mut rng, |g| {
            burst_detected(g, 0.0, 0.0, 60.0, lvl, lvl)
        });
        line += &format!(" {lvl}:{r:.0}");
    }
    println!("level per tone (AT&T) -> % detected:{line}");
    let mut line = String::new();
    for tw in [-11.0, -10.0, -9.5, -9.0, -8.0, 4.0, 4.5, 5.0, 5.5, 6.0] {
        let r = rate_of(100, &mut rng, |g| {
            burst_detected(g, 0.0, 0.0, 60.0, -10.0, -10.0 + tw)
        });
        line += &format!(" {tw:+}dB:{r:.0}");
    }
    println!("twist (high minus low) -> % detected:{line}");
    let mut line = String::new();
    for gap in [10.0, 12.0, 15.0, 18.0, 20.0, 25.0, 30.0, 35.0, 40.0] {
        let r = rate_of(100, &mut rng, |g| {
            let d = DIGITS.as_bytes()[g.below(16)] as char;
            let lead = 240 + g.below(80);
            let on = ms(8000, 60.0);
            let gp = ms(8000, gap);
            let b1 = digit_burst(g, d, -10.0, -10.0, 0.0, 0.0, lead, on);
            let b2 = digit_burst(g, d, -10.0, -10.0, 0.0, 0.0, lead + on + gp, on);
            let ev = run(
                8000,
                DtmfConfig::att(),
                Codec::Linear,
                &[b1, b2],
                lead + 2 * on + gp + 480,
                0.0,
                g,
            );
            start_digits(&ev).len() == 2
        });
        line += &format!(" {gap}ms:{r:.0}");
    }
    println!("gap between two bursts -> % seen as two digits:{line}");
}
