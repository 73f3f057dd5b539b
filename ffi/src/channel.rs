//! Channels, datafeeds, application endpoints and conference primitives.

use sdk::engine::AgcConfig;
use sdk::{ChannelId, ChannelKind, Datafeed, EndpointId};

use crate::error::{call, enum_arg, finite, in_slice, out_slice, read_opt, Fail, FfiResult, Out};
use crate::processor::{tutti_processor, with_proc};
use crate::{tutti_channel, tutti_endpoint, tutti_participant, tutti_result};

/// Which sides a channel has (`tutti_channel_create`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_channel_kind {
    /// An input side (a sink) and an output side (a source).
    TUTTI_CHANNEL_KIND_FULL_DUPLEX = 0,
    /// An input side only.
    TUTTI_CHANNEL_KIND_INPUT_ONLY = 1,
    /// An output side only.
    TUTTI_CHANNEL_KIND_OUTPUT_ONLY = 2,
}

/// What a datafeed comes from.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_datafeed_kind {
    /// The output side of a channel; `handle` is a `tutti_channel`.
    TUTTI_DATAFEED_KIND_CHANNEL = 0,
    /// The frames the application writes to an endpoint; `handle` is a `tutti_endpoint`.
    TUTTI_DATAFEED_KIND_ENDPOINT = 1,
}

/// A source of audio that sinks (channel inputs, channel outputs in pass-through, endpoint
/// transmitters, recorders) connect to. Obtain one from `tutti_channel_datafeed` or
/// `tutti_endpoint_datafeed`; it is a plain value, valid as long as its source lives.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_datafeed {
    /// A `tutti_datafeed_kind` value.
    pub kind: u32,
    /// The channel or endpoint handle.
    pub handle: u64,
}

pub(crate) fn feed_from_c(f: tutti_datafeed, name: &str) -> FfiResult<Datafeed> {
    match f.kind {
        0 => Ok(Datafeed::Channel(ChannelId::from_raw(f.handle))),
        1 => Ok(Datafeed::Endpoint(EndpointId::from_raw(f.handle))),
        k => Err(Fail::arg(name, format!("datafeed kind {k} is not 0 or 1"))),
    }
}

pub(crate) fn feed_to_c(f: Datafeed) -> tutti_datafeed {
    #[allow(unreachable_patterns)]
    match f {
        Datafeed::Channel(c) => tutti_datafeed {
            kind: tutti_datafeed_kind::TUTTI_DATAFEED_KIND_CHANNEL as u32,
            handle: c.to_raw(),
        },
        Datafeed::Endpoint(e) => tutti_datafeed {
            kind: tutti_datafeed_kind::TUTTI_DATAFEED_KIND_ENDPOINT as u32,
            handle: e.to_raw(),
        },
    }
}

fn ch(c: tutti_channel) -> ChannelId {
    ChannelId::from_raw(c)
}

fn ep(e: tutti_endpoint) -> EndpointId {
    EndpointId::from_raw(e)
}

// ------------------------------------------------------------------------------ channels

/// Creates a channel with the sides given by `kind` (a `tutti_channel_kind` value). A new
/// output plays silence; a new input is connected to nothing.
///
/// Errors: `TUTTI_RESULT_NULL_POINTER`, `TUTTI_RESULT_STALE_HANDLE` (proc),
/// `TUTTI_RESULT_INVALID_ARGUMENT` (kind).
#[no_mangle]
pub extern "C" fn tutti_channel_create(
    proc: *mut tutti_processor,
    kind: u32,
    out: *mut tutti_channel,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let kind = enum_arg(kind, "kind", |k| match k {
            0 => Some(ChannelKind::FullDuplex),
            1 => Some(ChannelKind::InputOnly),
            2 => Some(ChannelKind::OutputOnly),
            _ => None,
        })?;
        let c = with_proc(proc, |p| Ok(p.channel_create(kind)?))?;
        out.write(c.to_raw());
        Ok(())
    })
}

/// Releases a channel: it leaves every conference (as input and as output), its replay
/// stops, and sinks connected to its output are left on silence (each raising a
/// `TUTTI_EVENT_FEED_RELEASED` event). Releasing it again returns
/// `TUTTI_RESULT_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn tutti_channel_release(
    proc: *mut tutti_processor,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.channel_release(ch(channel))?)))
}

/// Writes the datafeed of a channel's output side to `*out`.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the channel has no output side.
#[no_mangle]
pub extern "C" fn tutti_channel_datafeed(
    proc: *const tutti_processor,
    channel: tutti_channel,
    out: *mut tutti_datafeed,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let f = with_proc(proc, |p| Ok(p.channel_datafeed(ch(channel))?))?;
        out.write(feed_to_c(f));
        Ok(())
    })
}

/// Connects a channel's input side to a datafeed, replacing any previous connection.
#[no_mangle]
pub extern "C" fn tutti_channel_connect_input(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    feed: tutti_datafeed,
) -> tutti_result {
    call(|| {
        let feed = feed_from_c(feed, "feed")?;
        with_proc(proc, |p| Ok(p.channel_connect_input(ch(channel), feed)?))
    })
}

/// Disconnects a channel's input side; it then receives silence.
#[no_mangle]
pub extern "C" fn tutti_channel_disconnect_input(
    proc: *mut tutti_processor,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.channel_disconnect_input(ch(channel))?)))
}

/// Makes a channel's output pass a datafeed through (stopping a replay).
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is a conference (stop it with
/// `tutti_conf_prim_stop` first) or the channel has no output side.
#[no_mangle]
pub extern "C" fn tutti_channel_output_feed(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    feed: tutti_datafeed,
) -> tutti_result {
    call(|| {
        let feed = feed_from_c(feed, "feed")?;
        with_proc(proc, |p| Ok(p.channel_output_feed(ch(channel), feed)?))
    })
}

/// Makes a channel's output play silence (stopping a replay or pass-through).
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is a conference.
#[no_mangle]
pub extern "C" fn tutti_channel_output_silence(
    proc: *mut tutti_processor,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.channel_output_silence(ch(channel))?)))
}

/// Sets the gain (dB, -96..=24) applied to a channel's input before any conference or
/// recorder.
#[no_mangle]
pub extern "C" fn tutti_channel_set_input_gain(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    gain_db: f32,
) -> tutti_result {
    call(|| {
        with_proc(
            proc,
            |p| Ok(p.channel_set_input_gain(ch(channel), gain_db)?),
        )
    })
}

/// Sets the gain (dB, -96..=24) applied to a channel's output (for a conference output: to
/// the sum, before its single saturation).
#[no_mangle]
pub extern "C" fn tutti_channel_set_output_gain(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    gain_db: f32,
) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            Ok(p.channel_set_output_gain(ch(channel), gain_db)?)
        })
    })
}

/// Automatic gain control settings. Fill with `tutti_agc_config_default` and adjust.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_agc_config {
    /// Average speech level to reach, in dBm0 (-60..=0; default -12).
    pub target_dbm0: f64,
    /// Largest gain applied, in dB (0..=40; default 15).
    pub max_gain_db: f64,
    /// Smallest gain (largest attenuation) applied, in dB (-40..=0; default -15).
    pub min_gain_db: f64,
    /// Time constant of the speech-level estimate, in ms (1..=60000; default 1000).
    pub level_time_ms: u32,
    /// Time constant with which the gain falls, in ms (1..=60000; default 300).
    pub attack_ms: u32,
    /// Time constant with which the gain rises, in ms (1..=60000; default 2000).
    pub release_ms: u32,
    /// Frames below this level are never speech, in dBm0 (-96..=0; default -45).
    pub speech_threshold_dbm0: f64,
}

impl From<AgcConfig> for tutti_agc_config {
    fn from(c: AgcConfig) -> Self {
        tutti_agc_config {
            target_dbm0: c.target_dbm0,
            max_gain_db: c.max_gain_db,
            min_gain_db: c.min_gain_db,
            level_time_ms: c.level_time_ms,
            attack_ms: c.attack_ms,
            release_ms: c.release_ms,
            speech_threshold_dbm0: c.speech_threshold_dbm0,
        }
    }
}

/// Checks an AGC configuration from C against the documented ranges.
pub(crate) fn agc_from_c(c: tutti_agc_config) -> FfiResult<AgcConfig> {
    finite(c.target_dbm0, "target_dbm0", -60.0, 0.0)?;
    finite(c.max_gain_db, "max_gain_db", 0.0, 40.0)?;
    finite(c.min_gain_db, "min_gain_db", -40.0, 0.0)?;
    finite(c.speech_threshold_dbm0, "speech_threshold_dbm0", -96.0, 0.0)?;
    for (v, name) in [
        (c.level_time_ms, "level_time_ms"),
        (c.attack_ms, "attack_ms"),
        (c.release_ms, "release_ms"),
    ] {
        if !(1..=60_000).contains(&v) {
            return Err(Fail::arg(name, format!("{v} ms is outside 1..=60000")));
        }
    }
    Ok(AgcConfig {
        target_dbm0: c.target_dbm0,
        max_gain_db: c.max_gain_db,
        min_gain_db: c.min_gain_db,
        level_time_ms: c.level_time_ms,
        attack_ms: c.attack_ms,
        release_ms: c.release_ms,
        speech_threshold_dbm0: c.speech_threshold_dbm0,
    })
}

/// Writes the default AGC settings (target -12 dBm0) to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_agc_config_default(out: *mut tutti_agc_config) -> tutti_result {
    call(|| {
        Out::new(out, "out")?.write(AgcConfig::default().into());
        Ok(())
    })
}

fn agc_arg(config: *const tutti_agc_config) -> FfiResult<AgcConfig> {
    match read_opt(config, "config")? {
        Some(c) => agc_from_c(c),
        None => Ok(AgcConfig::default()),
    }
}

/// Turns AGC on for a channel's input, with `config` (NULL: the defaults).
#[no_mangle]
pub extern "C" fn tutti_channel_enable_input_agc(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    config: *const tutti_agc_config,
) -> tutti_result {
    call(|| {
        let c = agc_arg(config)?;
        with_proc(proc, |p| Ok(p.channel_set_input_agc(ch(channel), Some(c))?))
    })
}

/// Turns AGC off for a channel's input.
#[no_mangle]
pub extern "C" fn tutti_channel_disable_input_agc(
    proc: *mut tutti_processor,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.channel_set_input_agc(ch(channel), None)?)))
}

/// Turns AGC on for a channel's output, with `config` (NULL: the defaults).
#[no_mangle]
pub extern "C" fn tutti_channel_enable_output_agc(
    proc: *mut tutti_processor,
    channel: tutti_channel,
    config: *const tutti_agc_config,
) -> tutti_result {
    call(|| {
        let c = agc_arg(config)?;
        with_proc(
            proc,
            |p| Ok(p.channel_set_output_agc(ch(channel), Some(c))?),
        )
    })
}

/// Turns AGC off for a channel's output.
#[no_mangle]
pub extern "C" fn tutti_channel_disable_output_agc(
    proc: *mut tutti_processor,
    channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.channel_set_output_agc(ch(channel), None)?)))
}

// ------------------------------------------------------------------------------ endpoints

/// Creates an application endpoint: its datafeed carries the frames the application writes
/// with `tutti_endpoint_write`; what it transmits (read with `tutti_endpoint_read`) is the
/// datafeed connected with `tutti_endpoint_connect`.
#[no_mangle]
pub extern "C" fn tutti_endpoint_create(
    proc: *mut tutti_processor,
    out: *mut tutti_endpoint,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let e = with_proc(proc, |p| Ok(p.endpoint_create()?))?;
        out.write(e.to_raw());
        Ok(())
    })
}

/// Releases an endpoint; sinks of its datafeed are left on silence.
#[no_mangle]
pub extern "C" fn tutti_endpoint_release(
    proc: *mut tutti_processor,
    endpoint: tutti_endpoint,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.endpoint_release(ep(endpoint))?)))
}

/// Writes the datafeed of an endpoint (the frames the application writes) to `*out`.
#[no_mangle]
pub extern "C" fn tutti_endpoint_datafeed(
    proc: *const tutti_processor,
    endpoint: tutti_endpoint,
    out: *mut tutti_datafeed,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let f = with_proc(proc, |p| Ok(p.endpoint_datafeed(ep(endpoint))?))?;
        out.write(feed_to_c(f));
        Ok(())
    })
}

/// Connects what an endpoint transmits to a datafeed.
#[no_mangle]
pub extern "C" fn tutti_endpoint_connect(
    proc: *mut tutti_processor,
    endpoint: tutti_endpoint,
    feed: tutti_datafeed,
) -> tutti_result {
    call(|| {
        let feed = feed_from_c(feed, "feed")?;
        with_proc(proc, |p| Ok(p.endpoint_connect(ep(endpoint), feed)?))
    })
}

/// Supplies the endpoint's input frame for the next tick: `len` samples of 16-bit PCM, which
/// must equal the processor's frame length. A frame not written before a tick is played as
/// silence and counted as missing.
///
/// Errors: `TUTTI_RESULT_FRAME_SIZE` when `len` is not the frame length.
#[no_mangle]
pub extern "C" fn tutti_endpoint_write(
    proc: *mut tutti_processor,
    endpoint: tutti_endpoint,
    samples: *const i16,
    len: usize,
) -> tutti_result {
    call(|| {
        let s = in_slice(samples, len, "samples")?;
        with_proc(proc, |p| Ok(p.endpoint_write(ep(endpoint), s)?))
    })
}

/// Copies the frame the endpoint transmitted at the last tick into `buf` (`len` samples,
/// which must equal the processor's frame length).
///
/// Errors: `TUTTI_RESULT_FRAME_SIZE` when `len` is not the frame length (nothing written).
#[no_mangle]
pub extern "C" fn tutti_endpoint_read(
    proc: *mut tutti_processor,
    endpoint: tutti_endpoint,
    buf: *mut i16,
    len: usize,
) -> tutti_result {
    call(|| {
        let b = out_slice(buf, len, "buf")?;
        with_proc(proc, |p| Ok(p.endpoint_read(ep(endpoint), b)?))
    })
}

/// Writes the number of ticks at which this endpoint had no input frame to `*out`.
#[no_mangle]
pub extern "C" fn tutti_endpoint_missing_frames(
    proc: *const tutti_processor,
    endpoint: tutti_endpoint,
    out: *mut u64,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let n = with_proc(proc, |p| Ok(p.endpoint_missing_frames(ep(endpoint))?))?;
        out.write(n);
        Ok(())
    })
}

// ------------------------------------------------------------------------------ primitives

/// Makes a channel's output the output of a primitive conference with an empty set.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the output is already a conference or the channel
/// has no output side.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_start(
    proc: *mut tutti_processor,
    out_channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.conf_prim_start(ch(out_channel))?)))
}

/// Stops a primitive conference output: its set is emptied and the output plays silence.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_stop(
    proc: *mut tutti_processor,
    out_channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.conf_prim_stop(ch(out_channel))?)))
}

/// Readies a channel's input as a conference input and writes its participant handle.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the input is already attached or the channel has
/// no input side.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_attach(
    proc: *mut tutti_processor,
    in_channel: tutti_channel,
    out: *mut tutti_participant,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let pid = with_proc(proc, |p| Ok(p.conf_prim_attach(ch(in_channel))?))?;
        out.write(pid.to_raw());
        Ok(())
    })
}

/// Writes the participant handle of an attached input.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_participant(
    proc: *const tutti_processor,
    in_channel: tutti_channel,
    out: *mut tutti_participant,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let pid = with_proc(proc, |p| Ok(p.conf_prim_participant(ch(in_channel))?))?;
        out.write(pid.to_raw());
        Ok(())
    })
}

/// Adds an attached input to a conference output's set with a gain (dB, -96..=24). Adding an
/// input already in the set changes its gain.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` (output not a conference, input not attached),
/// `TUTTI_RESULT_INVALID_ARGUMENT` (gain), `TUTTI_RESULT_CAPACITY` (the set's gains would
/// exceed the mixer's range).
#[no_mangle]
pub extern "C" fn tutti_conf_prim_add(
    proc: *mut tutti_processor,
    out_channel: tutti_channel,
    in_channel: tutti_channel,
    gain_db: f32,
) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            p.conf_prim_add(ch(out_channel), ch(in_channel), gain_db)?;
            Ok(())
        })
    })
}

/// Removes an input from a conference output's set.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_leave(
    proc: *mut tutti_processor,
    out_channel: tutti_channel,
    in_channel: tutti_channel,
) -> tutti_result {
    call(|| {
        with_proc(proc, |p| {
            Ok(p.conf_prim_leave(ch(out_channel), ch(in_channel))?)
        })
    })
}

/// Releases a conference input: it leaves every output's set and loses its participant
/// handle.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_detach(
    proc: *mut tutti_processor,
    in_channel: tutti_channel,
) -> tutti_result {
    call(|| with_proc(proc, |p| Ok(p.conf_prim_detach(ch(in_channel))?)))
}

/// Whether an input is in a conference output's set (`*out_in_set`), and with what gain in
/// dB (`*out_gain_db`, 0 when not in the set).
#[no_mangle]
pub extern "C" fn tutti_conf_prim_gain(
    proc: *const tutti_processor,
    out_channel: tutti_channel,
    in_channel: tutti_channel,
    out_in_set: *mut bool,
    out_gain_db: *mut f32,
) -> tutti_result {
    call(|| {
        let in_set = Out::new(out_in_set, "out_in_set")?;
        let gain = Out::new(out_gain_db, "out_gain_db")?;
        let g = with_proc(proc, |p| {
            Ok(p.conf_prim_gain(ch(out_channel), ch(in_channel))?)
        })?;
        in_set.write(g.is_some());
        gain.write(g.unwrap_or(0.0));
        Ok(())
    })
}

/// Whether an attached input is currently reported as talking.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_is_talking(
    proc: *const tutti_processor,
    in_channel: tutti_channel,
    out: *mut bool,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let t = with_proc(proc, |p| Ok(p.conf_prim_is_talking(ch(in_channel))?))?;
        out.write(t);
        Ok(())
    })
}

/// An input of a primitive conference output's set.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_conf_member {
    /// Its participant handle.
    pub participant: tutti_participant,
    /// Its input channel.
    pub channel: tutti_channel,
}

/// Writes the number of inputs in a conference output's set to `*out`.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_member_count(
    proc: *const tutti_processor,
    out_channel: tutti_channel,
    out: *mut usize,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let n = with_proc(proc, |p| Ok(p.conf_prim_members(ch(out_channel))?.len()))?;
        out.write(n);
        Ok(())
    })
}

/// Copies the inputs of a conference output's set into `buf` (room for `len` entries) and
/// writes their number to `*out_count`.
///
/// Errors: `TUTTI_RESULT_BUFFER_TOO_SMALL` when the set has more than `len` inputs (nothing
/// written; ask `tutti_conf_prim_member_count` first).
#[no_mangle]
pub extern "C" fn tutti_conf_prim_members(
    proc: *const tutti_processor,
    out_channel: tutti_channel,
    buf: *mut tutti_conf_member,
    len: usize,
    out_count: *mut usize,
) -> tutti_result {
    call(|| {
        let count = Out::new(out_count, "out_count")?;
        let b = out_slice(buf, len, "buf")?;
        let members = with_proc(proc, |p| Ok(p.conf_prim_members(ch(out_channel))?))?;
        if members.len() > b.len() {
            return Err(Fail::new(
                tutti_result::TUTTI_RESULT_BUFFER_TOO_SMALL,
                format!(
                    "the set has {} inputs; the buffer holds {}",
                    members.len(),
                    b.len()
                ),
            ));
        }
        for (slot, (pid, c)) in b.iter_mut().zip(&members) {
            *slot = tutti_conf_member {
                participant: pid.to_raw(),
                channel: c.to_raw(),
            };
        }
        count.write(members.len());
        Ok(())
    })
}

/// The largest number of entries `tutti_conf_prim_status` reports.
pub const TUTTI_CONF_PRIM_STATUS_MAX: usize = 4;

/// An active (talking) input of a conference output, as reported by
/// `tutti_conf_prim_status`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_active_input {
    /// Its participant handle.
    pub participant: tutti_participant,
    /// Its input channel.
    pub channel: tutti_channel,
    /// Its recent power in dBm0.
    pub power_dbm0: f64,
}

/// Copies the most significant talking inputs of a conference output, loudest first, into
/// `buf` (at most `len` of them, and at most `TUTTI_CONF_PRIM_STATUS_MAX`) and writes how
/// many were copied to `*out_count`. A shorter buffer receives the loudest ones.
#[no_mangle]
pub extern "C" fn tutti_conf_prim_status(
    proc: *const tutti_processor,
    out_channel: tutti_channel,
    buf: *mut tutti_active_input,
    len: usize,
    out_count: *mut usize,
) -> tutti_result {
    call(|| {
        let count = Out::new(out_count, "out_count")?;
        let b = out_slice(buf, len, "buf")?;
        let active = with_proc(proc, |p| Ok(p.conf_prim_status(ch(out_channel))?))?;
        let n = active.len().min(b.len());
        for (slot, a) in b.iter_mut().zip(&active) {
            *slot = tutti_active_input {
                participant: a.participant.to_raw(),
                channel: a.channel.to_raw(),
                power_dbm0: a.power_dbm0,
            };
        }
        count.write(n);
        Ok(())
    })
}
