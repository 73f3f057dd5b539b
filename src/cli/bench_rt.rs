//! `tutti bench --realtime`: an N-party conference driven by the runtime's media thread in real
//! time, fed and drained by an application thread through ring endpoints; prints the tick
//! timings as one line of key=value pairs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tutti::conference::PartyOptions;
use tutti::dsp::synth::SpeechLike;
use tutti::runtime::{Runtime, RuntimeConfig};
use tutti::{Config, Processor};

use super::{err, Args};

/// Distinct talkers; parties share them.
const VOICES: usize = 16;
/// Frames queued each way per party.
const DEPTH: usize = 4;

pub fn run(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(
        argv,
        &["realtime"],
        &["parties", "seconds", "rate", "frame-ms"],
    )?;
    let n: usize = a
        .get("parties")
        .ok_or("--parties N is needed")?
        .parse()
        .map_err(|_| "--parties: expected a whole number".to_string())?;
    if n == 0 {
        return Err("--parties must be at least 1".into());
    }
    let seconds: f64 = a.parse_or("seconds", 10.0)?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err("--seconds must be more than 0 and at most 86400".into());
    }
    let rate: u32 = a.parse_or("rate", 8000)?;
    let frame_ms: u32 = a.parse_or("frame-ms", 20)?;
    let p = Processor::new(Config {
        sample_rate: rate,
        frame_ms,
    })
    .map_err(err)?;
    let l = p.frame_len();
    let loop_len = rate as usize / l * l;
    let voices: Vec<Vec<i16>> = (0..VOICES.min(n))
        .map(|v| {
            let mut x = vec![0i16; loop_len];
            SpeechLike::new(rate, 1000 + v as u64, -20.0).fill(&mut x);
            x
        })
        .collect();

    let rt = Runtime::start(
        p,
        RuntimeConfig {
            max_app_endpoints: n + 16,
            ..Default::default()
        },
    )
    .map_err(err)?;
    let h = rt.handle();
    let parties = h.app_channels(n, DEPTH).map_err(err)?;
    let conf = h.conference_create().map_err(err)?;
    let chans: Vec<_> = parties.iter().map(|(c, _)| *c).collect();
    h.with_conference(conf, move |c, p| {
        chans
            .iter()
            .try_for_each(|&ch| c.add_party(p, ch, ch, PartyOptions::default()).map(|_| ()))
    })
    .map_err(err)?
    .map_err(err)?;
    h.call(|p| p.commit()).map_err(err)?;

    // The application thread: keeps every endpoint's queue topped up and drains what comes
    // back, at its own pace.
    let stop = Arc::new(AtomicBool::new(false));
    let app = {
        let stop = stop.clone();
        let mut eps: Vec<_> = parties.into_iter().map(|(_, e)| e).collect();
        std::thread::Builder::new()
            .name("tutti-bench-app".into())
            .spawn(move || {
                let mut pos = vec![0usize; eps.len()];
                let mut out = vec![0i16; l];
                let mut checksum = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    for (k, ep) in eps.iter_mut().enumerate() {
                        while ep.queued() < DEPTH / 2 {
                            let v = &voices[k % voices.len()];
                            let at = (pos[k] + k * 7 * l) % loop_len;
                            let _ = ep.write(&v[at..at + l]);
                            pos[k] += l;
                        }
                        while ep.readable() > 0 {
                            let _ = ep.read(&mut out);
                            checksum = checksum.wrapping_add(out[k % l] as i64);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(frame_ms as u64 / 4));
                }
                checksum
            })
            .map_err(err)?
    };

    // Measure from a clean start: the setup calls above are not part of the run.
    std::thread::sleep(Duration::from_millis(200));
    h.reset_timings();
    let warm = h.stats();
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let s = h.stats();
    let wall = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let checksum = app.join().map_err(|_| "the application thread panicked")?;
    let engine = h.engine_stats().map_err(err)?;
    rt.shutdown().map_err(err)?;
    println!(
        "tutti_rt n={n} rate={rate} frame_ms={frame_ms} seconds={wall:.2} ticks={} \
         late_ticks={} skipped_frames={} tick_p50_us={:.1} tick_p99_us={:.1} tick_max_us={:.1} \
         lateness_p50_us={:.1} lateness_p99_us={:.1} lateness_max_us={:.1} underruns={} \
         overruns={} commands={} realtime={} plan_totals={} checksum={checksum}",
        s.ticks - warm.ticks,
        s.late_ticks,
        s.skipped_frames,
        s.tick_p50_us,
        s.tick_p99_us,
        s.tick_max_us,
        s.lateness_p50_us,
        s.lateness_p99_us,
        s.lateness_max_us,
        s.endpoint_underruns - warm.endpoint_underruns,
        s.endpoint_overruns - warm.endpoint_overruns,
        s.commands,
        s.realtime,
        engine.plan_totals,
    );
    Ok(())
}
