//! No false call-progress, fax or DTMF events on speech and music: speech synthesised by
//! espeak-ng in several voices, band-limited to 300-3400 Hz by sox and levelled to -15 and
//! -5 dBm0; and tutti's synthetic music and speech-like signals. Skipped (speech part) with a
//! note when espeak-ng or sox is not on PATH. `TUTTI_LONG_TESTS=1` runs every voice with every
//! text.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use tutti::dsp::synth::{Music, SpeechLike};
use tutti::dsp::tones::{ToneEvent, ToneListener, ToneSet};

const TEXTS: [&str; 4] = [
    "Thank you for calling. Your call is important to us. Please hold while we connect you; \
     all of our agents are busy helping other customers, beep beep, ring ring.",
    "Eeeeee. Ooooooh. Aaaaaah. Mmmmmmm. Hmmmm. Weeeee, wheeee, whistle, sizzle, buzz, hum, \
     the kettle sings and the telephone rings at high noon in June.",
    "Numbers: one one hundred, eleven hundred, twenty one hundred, nine thirteen, thirteen \
     seventy, seventeen seventy six, four forty, four eighty, six twenty, three fifty.",
    "Good morning! Is this the fax line? No, no, no, this is a voice line; the fax machine \
     is on the other number. Please call back later, and have a wonderful day.",
];

const VOICES: [&str; 6] = [
    "en+f3", "en+m1", "en-us+f2", "en-us+m7", "en+f5", "en-gb+f4",
];

fn events(s: &[i16]) -> Vec<ToneEvent> {
    let mut l = ToneListener::new(8000, &ToneSet::all()).unwrap();
    let mut ev = Vec::new();
    for c in s.chunks(160) {
        l.process(c, &mut |e| ev.push(e));
    }
    ev
}

#[test]
fn speech_talk_off() {
    if !have("espeak-ng") || !have("sox") {
        println!("NOTE: espeak-ng or sox not on PATH; talk-off test skipped");
        return;
    }
    let long = std::env::var("TUTTI_LONG_TESTS").is_ok_and(|v| v == "1");
    let dir = std::env::temp_dir().join(format!("tutti_tones_talkoff_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut speech = Vec::new();
    let mut n = 0;
    for (vi, voice) in VOICES.iter().enumerate() {
        for (ti, text) in TEXTS.iter().enumerate() {
            if !long && (vi + ti) % 2 == 1 {
                continue;
            }
            let speed = 120 + ((vi * 31 + ti * 13) % 70) as u32;
            let pitch = 15 + ((vi * 29 + ti * 19) % 80) as u32;
            speech.extend(synth(&dir, voice, speed, pitch, text, n));
            speech.extend(std::iter::repeat_n(0, 800));
            n += 1;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let secs = speech.len() as f64 / 8000.0;
    for lvl in [-15.0, -5.0] {
        let ev = events(&level_to(&speech, lvl));
        println!(
            "tones talk-off {lvl} dBm0: {secs:.0} s of speech, {} events {ev:?}",
            ev.len()
        );
        assert!(ev.is_empty(), "false tones in speech at {lvl} dBm0: {ev:?}");
    }
}

#[test]
fn music_and_babble_talk_off() {
    let secs = 60;
    let mut m = Music::new(8000, -12.0);
    let mut s = vec![0i16; 8000 * secs];
    m.fill(&mut s);
    let ev = events(&s);
    assert!(ev.is_empty(), "music: {ev:?}");
    for seed in 1..4 {
        let mut sp = SpeechLike::new(8000, seed, -10.0);
        sp.fill(&mut s);
        let ev = events(&s);
        assert!(ev.is_empty(), "speech-like {seed}: {ev:?}");
    }
    println!(
        "tones talk-off: {secs} s of music and {} s of speech-like signal, no events",
        3 * secs
    );
}
