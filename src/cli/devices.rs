//! `tutti devices`: the sound devices of the default host (needs the `device` feature).

#[cfg(feature = "device")]
pub fn run(argv: &[String]) -> Result<(), String> {
    super::Args::parse(argv, &[], &[])?;
    let devices = tutti::runtime::list_devices().map_err(super::err)?;
    if devices.is_empty() {
        println!("no sound devices");
    }
    for d in devices {
        let dir = match (d.input, d.output) {
            (true, true) => "in+out",
            (true, false) => "in",
            (false, true) => "out",
            (false, false) => "-",
        };
        let rate = d
            .default_rate
            .map(|r| format!("{r} Hz"))
            .unwrap_or_else(|| "?".into());
        println!("{:<7} {:>9}  {}", dir, rate, d.name);
    }
    Ok(())
}

#[cfg(not(feature = "device"))]
pub fn run(_argv: &[String]) -> Result<(), String> {
    Err(NO_DEVICE.into())
}

/// The message of a build without sound card support.
#[cfg(not(feature = "device"))]
pub const NO_DEVICE: &str =
    "this tutti was built without sound card support (rebuild with `--features device`)";
