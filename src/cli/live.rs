//! `tutti live`: a live conference on the real-time runtime, with the sound card as a party
//! (`--party device`) and WAV files (looped) as others.

#[cfg(feature = "device")]
pub fn run(argv: &[String]) -> Result<(), String> {
    use std::time::Duration;
    use tutti::conference::PartyOptions;
    use tutti::engine::{RecordOptions, ReplayOptions};
    use tutti::runtime::{Runtime, RuntimeConfig, SoundCard};
    use tutti::{ChannelKind, Config, Processor};

    use super::err;

    let a = super::Args::parse(argv, &[], &["party", "device", "seconds", "rate", "out"])?;
    let parties = a.all("party");
    if parties.is_empty() {
        return Err("at least one --party (device or FILE.wav) is needed".into());
    }
    let seconds: f64 = a.parse_or("seconds", 10.0)?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err("--seconds must be more than 0 and at most 86400".into());
    }
    let rate: u32 = a.parse_or("rate", 16000)?;
    let p = Processor::new(Config {
        sample_rate: rate,
        frame_ms: 20,
    })
    .map_err(err)?;
    let rt = Runtime::start(p, RuntimeConfig::default()).map_err(err)?;
    let h = rt.handle();
    let conf = h.conference_create().map_err(err)?;
    let mut cards = Vec::new();
    for party in parties {
        if party == "device" {
            let (ch, ep) = h.app_channel(4).map_err(err)?;
            h.conference_add_party(conf, ch, ch, PartyOptions::default())
                .map_err(err)?;
            cards.push(SoundCard::open(a.get("device"), ep, rate).map_err(err)?);
        } else {
            let src = h.channel_create(ChannelKind::OutputOnly).map_err(err)?;
            let looping = ReplayOptions {
                looping: true,
                ..Default::default()
            };
            h.replay(src, party, looping).map_err(err)?;
            let ch = h.channel_create(ChannelKind::FullDuplex).map_err(err)?;
            h.channel_connect_input(ch, h.channel_datafeed(src).map_err(err)?)
                .map_err(err)?;
            h.conference_add_party(conf, ch, ch, PartyOptions::default())
                .map_err(err)?;
        }
    }
    if let Some(dir) = a.get("out") {
        std::fs::create_dir_all(dir).map_err(err)?;
        let mon = h.channel_create(ChannelKind::OutputOnly).map_err(err)?;
        h.conference_add_monitor(conf, mon).map_err(err)?;
        let feed = h.channel_datafeed(mon).map_err(err)?;
        h.record(
            feed,
            std::path::Path::new(dir).join("conference.wav"),
            RecordOptions::default(),
        )
        .map_err(err)?;
    }
    std::thread::sleep(Duration::from_secs_f64(seconds));
    let s = rt.stats();
    let (captured, played) = cards.iter().fold((0, 0), |(c, p), card| {
        let st = card.stats();
        (c + st.captured, p + st.played)
    });
    drop(cards);
    rt.shutdown().map_err(err)?;
    println!(
        "tutti_live parties={} rate={rate} ticks={} late_ticks={} tick_p50_us={:.1} \
         tick_p99_us={:.1} tick_max_us={:.1} device_captured={captured} device_played={played}",
        parties.len(),
        s.ticks,
        s.late_ticks,
        s.tick_p50_us,
        s.tick_p99_us,
        s.tick_max_us
    );
    Ok(())
}

#[cfg(not(feature = "device"))]
pub fn run(_argv: &[String]) -> Result<(), String> {
    Err(super::devices::NO_DEVICE.into())
}
