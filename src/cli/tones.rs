//! `tutti tones`: writes a WAV file of DTMF digits.

use tutti::dsp::tonegen::{DtmfGen, DtmfGenConfig};
use tutti::media::wav::write_wav_mono;

use super::{err, Args};

pub fn run(argv: &[String]) -> Result<(), String> {
    let a = Args::parse(argv, &[], &["out", "rate", "on-ms", "off-ms", "level-dbm0"])?;
    let [digits] = a.positional.as_slice() else {
        return Err(
            "usage: tutti tones DIGITS --out F.wav [--rate R] [--on-ms 60] [--off-ms 60] \
             [--level-dbm0 -10]"
                .into(),
        );
    };
    let out = a.get("out").ok_or("--out F.wav is needed")?;
    let rate: u32 = a.parse_or("rate", 8000)?;
    let cfg = DtmfGenConfig {
        on_ms: a.parse_or("on-ms", 60.0)?,
        off_ms: a.parse_or("off-ms", 60.0)?,
        low_dbm0: a.parse_or("level-dbm0", -10.0)?,
        twist_db: 0.0,
        freq_error: 0.0,
    };
    let mut g = DtmfGen::new(rate, digits, cfg).map_err(err)?;
    let mut samples = vec![0i16; g.total_samples() as usize];
    g.fill(&mut samples);
    write_wav_mono(out, rate, &samples).map_err(err)?;
    Ok(())
}
