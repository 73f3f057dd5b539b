//! `tutti detect`: tones in a WAV file, one line per tone.

use tutti::dsp::dtmf::DtmfConfig;
use tutti::dsp::tones::{Tone, ToneEvent, ToneEventKind, ToneListener, ToneSet};
use tutti::media::wav::{read_wav_mono, WavReader};

use super::{err, Args};

/// Silence fed after the file so that every tone still running can end (longer than the
/// longest built-in off period).
const FLUSH_MS: u64 = 5_000;

fn line(e: &ToneEvent, rate: u32, len: u64, json: bool) -> String {
    let ms = |s: u64| s.min(len) as f64 * 1000.0 / rate as f64;
    let start = ms(e.start);
    let end = ms(e.end.unwrap_or(len));
    let name = match e.tone {
        Tone::Custom(n) => format!("custom{n}"),
        t => t.name().to_string(),
    };
    if json {
        let digit = match e.tone.digit() {
            Some(d) => format!(",\"digit\":\"{d}\""),
            None => String::new(),
        };
        format!(
            "{{\"tone\":\"{name}\"{digit},\"start_ms\":{start:.1},\"end_ms\":{end:.1},\"level_dbm0\":{:.1}}}",
            e.level_dbm0
        )
    } else {
        let what = match e.tone.digit() {
            Some(d) => format!("dtmf {d}"),
            None => name,
        };
        format!(
            "{what:<10} {start:>10.1} ms .. {end:>10.1} ms  {:>6.1} dBm0",
            e.level_dbm0
        )
    }
}

pub fn run(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &["json"], &["profile"])?;
    let [path] = a.positional.as_slice() else {
        return Err("usage: tutti detect FILE.wav [--profile att|ntt|etsi] [--json]".into());
    };
    let dtmf = match a.get("profile").unwrap_or("att") {
        "att" => DtmfConfig::att(),
        "ntt" => DtmfConfig::ntt(),
        "etsi" => DtmfConfig::etsi(),
        p => return Err(format!("--profile: unknown profile {p:?} (att, ntt, etsi)")),
    };
    let json = a.flag("json");
    let src = WavReader::open(path, 48000).map_err(err)?.source_rate();
    let rate = match src {
        0..=8000 => 8000,
        8001..=16000 => 16000,
        _ => 48000,
    };
    let samples = read_wav_mono(path, rate).map_err(err)?;
    let len = samples.len() as u64;
    let mut listener = ToneListener::new(rate, &ToneSet::all().with_dtmf(dtmf)).map_err(err)?;
    let mut open: Vec<ToneEvent> = Vec::new();
    let mut out = Vec::new();
    let mut on_event = |e: ToneEvent| match e.kind {
        ToneEventKind::Start => open.push(e),
        ToneEventKind::End => {
            if let Some(i) = open.iter().position(|o| o.tone == e.tone) {
                let s = open.remove(i);
                // The level measured at recognition; the times of the whole tone.
                out.push(ToneEvent {
                    level_dbm0: s.level_dbm0,
                    ..e
                });
            }
        }
    };
    let frame = (rate / 50) as usize;
    for c in samples.chunks(frame) {
        listener.process(c, &mut on_event);
    }
    let silence = vec![0i16; frame];
    for _ in 0..FLUSH_MS / 20 {
        listener.process(&silence, &mut on_event);
    }
    // Anything still running lasts to the end of the file.
    out.append(&mut open);
    out.sort_by_key(|e| e.start);
    for e in &out {
        println!("{}", line(e, rate, len, json));
    }
    Ok(())
}
