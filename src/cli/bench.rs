//! `tutti bench`: an N-party conference on synthetic speech, as fast as the CPU allows.

use tutti::conference::{Conference, PartyOptions};
use tutti::dsp::synth::SpeechLike;
use tutti::{ChannelKind, Config, EndpointId, Processor};

use super::{err, Args};

/// CPU time (user + system) of this process, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct we pass and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Distinct talkers generated before the clock starts; parties share them with offsets.
const VOICES: usize = 64;
/// Default length of each talker's loop, in ms.
const LOOP_MS: usize = 1000;

pub fn run(argv: &[String]) -> Result<(), String> {
    if argv.iter().any(|a| a == "--realtime") {
        return super::bench_rt::run(argv);
    }
    let a = Args::parse(
        argv,
        &[],
        &["parties", "seconds", "rate", "frame-ms", "loop-ms"],
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
    let rate: u32 = a.parse_or("rate", 8000)?;
    let frame_ms: u32 = a.parse_or("frame-ms", 20)?;
    let mut p = Processor::new(Config {
        sample_rate: rate,
        frame_ms,
    })
    .map_err(err)?;
    let l = p.frame_len();

    let loop_ms: usize = a.parse_or("loop-ms", LOOP_MS)?;
    let loop_len = (rate as usize * loop_ms / 1000 / l).max(1) * l;
    let voices: Vec<Vec<i16>> = (0..VOICES.min(n))
        .map(|v| {
            let mut s = SpeechLike::new(rate, 1000 + v as u64, -20.0);
            let mut x = vec![0i16; loop_len];
            s.fill(&mut x);
            x
        })
        .collect();

    let mut conf = Conference::create(&mut p).map_err(err)?;
    let mut eps: Vec<(EndpointId, usize, usize)> = Vec::with_capacity(n);
    for k in 0..n {
        let ep = p.endpoint_create().map_err(err)?;
        let ch = p.channel_create(ChannelKind::FullDuplex).map_err(err)?;
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).map_err(err)?)
            .map_err(err)?;
        p.endpoint_connect(ep, p.channel_datafeed(ch).map_err(err)?)
            .map_err(err)?;
        conf.add_party(&mut p, ch, ch, PartyOptions::default())
            .map_err(err)?;
        let offset = ((k / VOICES) * 7919 * l) % loop_len / l * l;
        eps.push((ep, k % voices.len(), offset));
    }
    p.commit();

    let ticks = (seconds * 1000.0 / frame_ms as f64).round().max(1.0) as u64;
    let mut checksum = 0i64;
    let start = cpu_seconds();
    for t in 0..ticks {
        for &(ep, v, off) in &eps {
            let pos = (off + t as usize * l) % loop_len;
            // As a decoder would: straight into the endpoint's input frame.
            tutti::dsp::mix::copy(p.endpoint_input(ep).map_err(err)?, &voices[v][pos..pos + l]);
        }
        p.tick();
        // As an encoder would: straight from the endpoint's output frame.
        for &(ep, _, _) in &eps {
            let out = p.endpoint_output(ep).map_err(err)?;
            checksum = checksum.wrapping_add(out[t as usize % l] as i64);
        }
        while p.poll_event().is_some() {}
    }
    let cpu = cpu_seconds() - start;
    let audio_s = ticks as f64 * frame_ms as f64 / 1000.0;
    let stats = p.stats();
    println!(
        "tutti_engine n={n} rate={rate} frame_ms={frame_ms} audio_s={audio_s:.2} cpu_s={cpu:.4} \
         cpu_s_per_participant_audio_s={:.9} x_realtime={:.1} totals={} output_ops={} checksum={checksum}",
        cpu / (n as f64 * audio_s),
        audio_s / cpu.max(1e-9),
        stats.plan_totals,
        stats.plan_output_ops,
    );
    Ok(())
}
