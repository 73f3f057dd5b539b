//! Subcommands of the `tutti` tool. Each is a thin driver over the library.

mod args;
mod bench;
mod bench_rt;
mod demo;
mod detect;
mod devices;
mod live;
mod mix;
mod progress;
mod tones;

pub use args::Args;

const USAGE: &str = "\
tutti: a media-processing SDK for audio conferencing

usage:
  tutti demo  [--out DIR] [--seconds S]
  tutti mix   --party A.wav --party B.wav ... [--monitor] [--background F.wav[:GAIN_DB]]
              [--coach F.wav:PARTY_INDEX] [--rate R] --out DIR
  tutti bench --parties N [--seconds S] [--rate R] [--frame-ms F]
  tutti bench --realtime --parties N [--seconds S] [--rate R] [--frame-ms F]
  tutti devices
  tutti live  --party device|FILE.wav ... [--device NAME] [--seconds S] [--rate R] [--out DIR]
  tutti detect FILE.wav [--profile att|ntt|etsi] [--json]
  tutti tones DIGITS --out F.wav [--rate R] [--on-ms 60] [--off-ms 60] [--level-dbm0 -10]
  tutti --version | --help
";

/// Runs the tool; returns the process exit code.
pub fn run(argv: &[String]) -> i32 {
    let Some(cmd) = argv.first() else {
        eprint!("{USAGE}");
        return 2;
    };
    let rest = &argv[1..];
    let result = match cmd.as_str() {
        "demo" => demo::run(rest),
        "mix" => mix::run(rest),
        "bench" => bench::run(rest),
        "devices" => devices::run(rest),
        "live" => live::run(rest),
        "detect" => detect::run(rest),
        "tones" => tones::run(rest),
        "--version" | "-V" | "version" => {
            println!("tutti {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "--help" | "-h" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("tutti {cmd}: {e}");
            1
        }
    }
}

/// Turns any displayable error into the CLI's error string.
pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}
