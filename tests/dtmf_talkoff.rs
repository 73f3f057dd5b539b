//! Talk-off: speech synthesised by espeak-ng in several voices, band-limited to 300-3400 Hz by
//! sox, levelled to -15 and -5 dBm0 (active speech level) must produce no digit. Skipped with a
//! note when espeak-ng or sox is not on PATH.

#[path = "dtmf_common/mod.rs"]
mod common;
use common::*;
use tutti::dsp::dtmf::{DtmfConfig, DtmfDetector};

const TEXTS: [&str; 6] = [
    "The quick brown fox jumps over the lazy dog. Please call me back at five five five, \
     one two three four, any time after nine in the morning, or leave a message after the tone.",
    "Welcome to the conference. Press star six to mute, or pound to hear the options again. \
     Your call is important to us; all of our operators are currently busy helping other callers.",
    "She sells sea shells by the sea shore, and the shells she sells are surely sea shells. \
     Whistling wind, ringing bells, and humming birds were heard across the valley at dawn.",
    "Numbers: zero, one, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve, \
     ninety nine, one hundred, four thousand and seven, sixteen sixty six, nineteen eighty four.",
    "Oh, really? Yes! No... Maybe. Eeeee, aaaah, ooooh, mmmmm. Hello hello hello, is anybody \
     there? Can you hear me now? I think the line is breaking up; let me dial in again.",
    "In the beginning the universe was created. This has made a lot of people very angry and \
     been widely regarded as a bad move. Time is an illusion, lunchtime doubly so.",
];

const VOICES: [&str; 8] = [
    "en+f3", "en+m1", "en-us+f2", "en+m3", "en-gb+f4", "en-us+m7", "en+f5", "en+croak",
];

#[test]
fn speech_talk_off() {
    if !have("espeak-ng") || !have("sox") {
        println!("NOTE: espeak-ng or sox not on PATH; talk-off test skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("tutti_talkoff_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut speech = Vec::new();
    let mut n = 0;
    for (vi, voice) in VOICES.iter().enumerate() {
        for (ti, text) in TEXTS.iter().enumerate() {
            if (vi + ti) % 2 == 1 {
                continue; // half of the combinations keeps the run short
            }
            let speed = 130 + ((vi * 37 + ti * 11) % 60) as u32;
            let pitch = 20 + ((vi * 23 + ti * 17) % 70) as u32;
            speech.extend(synth(&dir, voice, speed, pitch, text, n));
            speech.extend(std::iter::repeat_n(0, 800));
            n += 1;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    let secs = speech.len() as f64 / 8000.0;
    let mut total = 0;
    for lvl in [-15.0, -5.0] {
        let s = level_to(&speech, lvl);
        for (name, cfg) in [
            ("att", DtmfConfig::att()),
            ("ntt", DtmfConfig::ntt()),
            ("etsi", DtmfConfig::etsi()),
        ] {
            let mut det = DtmfDetector::new(8000, cfg).unwrap();
            let mut digits = String::new();
            let mut hits_time = 0u64;
            for c in s.chunks(160) {
                det.process(c, &mut |e| {
                    if e.kind == tutti::dsp::dtmf::DtmfEventKind::Start {
                        digits.push(e.digit)
                    }
                });
                if det.in_tone() {
                    hits_time += c.len() as u64;
                }
            }
            println!(
                "talk-off {name} {lvl} dBm0: {secs:.0} s of speech, {} false digits {digits:?}, \
                 muted (in_tone) {:.2} s",
                digits.len(),
                hits_time as f64 / 8000.0
            );
            if name == "att" {
                total += digits.len();
            }
        }
    }
    assert_eq!(total, 0, "false digits in speech (AT&T profile)");
}
