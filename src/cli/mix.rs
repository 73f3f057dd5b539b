//! `tutti mix`: offline render of a conference from WAV files.

use std::path::{Path, PathBuf};

use tutti::conference::{Conference, PartyId, PartyOptions};
use tutti::media::wav::{WavFileWriter, WavReader};
use tutti::{ChannelKind, Config, EndpointId, Processor};

use super::progress::Progress;
use super::{err, Args};

struct Input {
    samples: Vec<i16>,
    ep: EndpointId,
}

fn split_suffix(spec: &str) -> (&str, Option<&str>) {
    match spec.rsplit_once(':') {
        Some((path, tail)) if !tail.contains('/') && !tail.is_empty() => (path, Some(tail)),
        _ => (spec, None),
    }
}

pub fn run(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(
        argv,
        &["monitor"],
        &["party", "background", "coach", "rate", "out"],
    )?;
    if !a.positional.is_empty() {
        return Err(format!("unexpected argument {:?}", a.positional[0]));
    }
    let parties = a.all("party");
    if parties.is_empty() {
        return Err("at least one --party FILE.wav is needed".into());
    }
    let out_dir = PathBuf::from(a.get("out").ok_or("--out DIR is needed")?);
    let rate = match a.get("rate") {
        Some(r) => r
            .parse::<u32>()
            .map_err(|_| format!("--rate: cannot parse {r:?}"))?,
        None => {
            let first = WavReader::open(&parties[0], 48000)
                .map_err(err)?
                .source_rate();
            if [8000, 16000, 32000, 48000].contains(&first) {
                first
            } else {
                48000
            }
        }
    };
    let mut p = Processor::new(Config {
        sample_rate: rate,
        frame_ms: 20,
    })
    .map_err(err)?;
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).map_err(err)?;
    let mut inputs: Vec<Input> = Vec::new();
    let mut outputs: Vec<(PathBuf, EndpointId)> = Vec::new();

    let source = |p: &mut Processor,
                  path: &str,
                  inputs: &mut Vec<Input>|
     -> Result<tutti::ChannelId, String> {
        let samples = tutti::media::wav::read_wav_mono(path, rate).map_err(err)?;
        let ep = p.endpoint_create().map_err(err)?;
        let ch = p.channel_create(ChannelKind::FullDuplex).map_err(err)?;
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).map_err(err)?)
            .map_err(err)?;
        inputs.push(Input { samples, ep });
        Ok(ch)
    };
    let listen = |p: &mut Processor,
                  ch: tutti::ChannelId,
                  path: PathBuf,
                  outputs: &mut Vec<(PathBuf, EndpointId)>|
     -> Result<(), String> {
        let ep = p.endpoint_create().map_err(err)?;
        p.endpoint_connect(ep, p.channel_datafeed(ch).map_err(err)?)
            .map_err(err)?;
        outputs.push((path, ep));
        Ok(())
    };

    let mut party_ids: Vec<PartyId> = Vec::new();
    for (i, path) in parties.iter().enumerate() {
        let ch = source(&mut p, path, &mut inputs)?;
        party_ids.push(
            conf.add_party(&mut p, ch, ch, PartyOptions::default())
                .map_err(err)?,
        );
        listen(
            &mut p,
            ch,
            out_dir.join(format!("party-{i}.wav")),
            &mut outputs,
        )?;
    }
    for spec in a.all("background") {
        let (path, gain) = split_suffix(spec);
        let gain: f32 = match gain {
            Some(g) => g
                .parse()
                .map_err(|_| format!("--background {spec}: cannot parse gain {g:?}"))?,
            None => 0.0,
        };
        let ch = source(&mut p, path, &mut inputs)?;
        conf.add_background(&mut p, ch, gain).map_err(err)?;
    }
    for spec in a.all("coach") {
        let (path, idx) = split_suffix(spec);
        let idx: usize = idx
            .ok_or_else(|| format!("--coach {spec}: expected FILE.wav:PARTY_INDEX"))?
            .parse()
            .map_err(|_| format!("--coach {spec}: cannot parse the party index"))?;
        let pupil = *party_ids
            .get(idx)
            .ok_or_else(|| format!("--coach {spec}: there is no party {idx}"))?;
        let ch = source(&mut p, path, &mut inputs)?;
        conf.add_coach(&mut p, ch, ch, pupil).map_err(err)?;
    }
    let mix_ch = p.channel_create(ChannelKind::OutputOnly).map_err(err)?;
    conf.add_monitor(&mut p, mix_ch).map_err(err)?;
    listen(&mut p, mix_ch, out_dir.join("mix.wav"), &mut outputs)?;
    if a.flag("monitor") {
        let mon = p.channel_create(ChannelKind::OutputOnly).map_err(err)?;
        conf.add_monitor(&mut p, mon).map_err(err)?;
        listen(&mut p, mon, out_dir.join("monitor.wav"), &mut outputs)?;
    }

    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let longest = inputs.iter().map(|i| i.samples.len()).max().unwrap_or(0);
    let total_frames = longest.div_ceil(l);
    let mut writers: Vec<WavFileWriter> = outputs
        .iter()
        .map(|(path, _)| WavFileWriter::create(path, rate, 1))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let mut frame = vec![0i16; l];
    let mut progress = Progress::new(total_frames as u64);
    for f in 0..total_frames {
        for inp in &inputs {
            frame.fill(0);
            let start = f * l;
            if start < inp.samples.len() {
                let n = (inp.samples.len() - start).min(l);
                frame[..n].copy_from_slice(&inp.samples[start..start + n]);
            }
            p.endpoint_write(inp.ep, &frame).map_err(err)?;
        }
        p.tick();
        let n = (longest - f * l).min(l);
        for ((_, ep), w) in outputs.iter().zip(writers.iter_mut()) {
            p.endpoint_read(*ep, &mut frame).map_err(err)?;
            w.write(&frame[..n]).map_err(err)?;
        }
        progress.update(f as u64 + 1);
    }
    progress.finish();
    for w in writers {
        w.finalize().map_err(err)?;
    }
    for (path, _) in &outputs {
        println!("wrote {}", display(path));
    }
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
