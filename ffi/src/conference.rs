//! The high-level conference layer: parties, monitors, coaches, background sources.

use std::sync::{Arc, Mutex, Weak};

use sdk::conference::{Conference, PartyId, PartyOptions, Role};
use sdk::{ChannelId, Processor};

use crate::channel::{agc_from_c, tutti_agc_config};
use crate::error::{call, out_slice, read_opt, Fail, FfiResult, Out};
use crate::processor::{lookup, tutti_processor};
use crate::registry::{enter, table, Registry};
use crate::{tutti_channel, tutti_party, tutti_result};

/// A high-level conference on a processor: members hear each other minus themselves;
/// monitors, coaches and background sources have their own roles.
///
/// The pointer is an opaque handle, not an address. Create with `tutti_conference_create`,
/// free with `tutti_conference_free` (or `tutti_conference_delete`).
///
/// Thread safety: like its processor, a conference is used by one thread at a time; a call on
/// it also uses its processor, so the two must not be used concurrently (a concurrent call
/// returns `TUTTI_RESULT_BUSY`).
pub struct tutti_conference {
    _private: [u8; 0],
}

pub(crate) struct ConfObj {
    conf: Option<Conference>,
    proc: Weak<Mutex<Processor>>,
}

static CONFERENCES: Mutex<Registry<ConfObj>> = Mutex::new(Registry::new("conference", 0xC));

fn conf_lookup(c: *const tutti_conference) -> FfiResult<Arc<Mutex<ConfObj>>> {
    if c.is_null() {
        return Err(Fail::null("conference"));
    }
    table(&CONFERENCES).get(c as usize)
}

fn processor_gone() -> Fail {
    Fail::new(
        tutti_result::TUTTI_RESULT_STALE_HANDLE,
        "the conference's processor was freed",
    )
}

/// Runs `f` on a conference and its processor, holding both for the call.
fn with_conf<T>(
    c: *const tutti_conference,
    f: impl FnOnce(&mut Conference, &mut Processor) -> FfiResult<T>,
) -> FfiResult<T> {
    let obj = conf_lookup(c)?;
    let mut guard = enter(&obj, "conference")?;
    let proc = guard.proc.upgrade().ok_or_else(processor_gone)?;
    let mut p = enter(&proc, "processor")?;
    let conf = guard.conf.as_mut().ok_or_else(processor_gone)?;
    f(conf, &mut p)
}

/// Creates an empty conference on a processor and writes it to `*out`.
#[no_mangle]
pub extern "C" fn tutti_conference_create(
    proc: *mut tutti_processor,
    out: *mut *mut tutti_conference,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let obj = lookup(proc)?;
        let conf = {
            let mut p = enter(&obj, "processor")?;
            Conference::create(&mut p)?
        };
        let token = table(&CONFERENCES).insert(ConfObj {
            conf: Some(conf),
            proc: Arc::downgrade(&obj),
        });
        out.write(std::ptr::without_provenance_mut(token));
        Ok(())
    })
}

/// Removes every party (raising `TUTTI_EVENT_CONFERENCE_EMPTY` if there were any) and frees
/// the conference. The pointer is stale afterwards.
///
/// Errors: `TUTTI_RESULT_STALE_HANDLE` if the conference or its processor was freed (the
/// conference then stays allocated: free it with `tutti_conference_free`).
#[no_mangle]
pub extern "C" fn tutti_conference_delete(conf: *mut tutti_conference) -> tutti_result {
    call(|| {
        let obj = conf_lookup(conf)?;
        let deleted = {
            let mut guard = enter(&obj, "conference")?;
            let proc = guard.proc.upgrade().ok_or_else(processor_gone)?;
            let mut p = enter(&proc, "processor")?;
            let c = guard.conf.take().ok_or_else(processor_gone)?;
            c.delete(&mut p)
        };
        // The conference is consumed either way; its handle goes with it.
        table(&CONFERENCES).remove(conf as usize)?;
        Ok(deleted?)
    })
}

/// Frees a conference. If its processor is still alive, its parties are removed first, as by
/// `tutti_conference_delete`.
///
/// `tutti_conference_free(NULL)` does nothing and returns `TUTTI_RESULT_OK`. Freeing a
/// conference twice returns `TUTTI_RESULT_STALE_HANDLE` and does nothing.
///
/// Thread safety: callable from any thread; waits for a call in progress on the conference or
/// its processor to return.
#[no_mangle]
pub extern "C" fn tutti_conference_free(conf: *mut tutti_conference) -> tutti_result {
    call(|| {
        if conf.is_null() {
            return Ok(());
        }
        let obj = table(&CONFERENCES).remove(conf as usize)?;
        let mut guard = obj.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(c), Some(proc)) = (guard.conf.take(), guard.proc.upgrade()) {
            if let Ok(mut p) = proc.lock() {
                // Freeing always succeeds; a party whose channels the application already
                // released is simply gone.
                let _ = c.delete(&mut p);
            }
        }
        Ok(())
    })
}

/// Writes the conference's number (unique within the process; it is the `conference` field of
/// `TUTTI_EVENT_CONFERENCE_EMPTY` events).
#[no_mangle]
pub extern "C" fn tutti_conference_id(
    conf: *const tutti_conference,
    out: *mut u32,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_conf(conf, |c, _| Ok(c.id()))?;
        out.write(id);
        Ok(())
    })
}

/// Settings of a member party. Fill with `tutti_party_options_default` and adjust.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_party_options {
    /// Gain applied to what the party says, in dB (-96..=24).
    pub in_volume_db: f32,
    /// Gain applied to what the party hears, in dB (-96..=24).
    pub out_volume_db: f32,
    /// AGC on what the party says.
    pub in_agc: bool,
    /// AGC on what the party hears.
    pub out_agc: bool,
    /// AGC settings for `in_agc`.
    pub in_agc_config: tutti_agc_config,
    /// AGC settings for `out_agc`.
    pub out_agc_config: tutti_agc_config,
}

/// Writes the default party options (0 dB both ways, no AGC, default AGC settings) to `*out`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_party_options_default(out: *mut tutti_party_options) -> tutti_result {
    call(|| {
        let agc: tutti_agc_config = sdk::engine::AgcConfig::default().into();
        Out::new(out, "out")?.write(tutti_party_options {
            in_volume_db: 0.0,
            out_volume_db: 0.0,
            in_agc: false,
            out_agc: false,
            in_agc_config: agc,
            out_agc_config: agc,
        });
        Ok(())
    })
}

pub(crate) fn party_options(o: *const tutti_party_options) -> FfiResult<PartyOptions> {
    let Some(o) = read_opt(o, "options")? else {
        return Ok(PartyOptions::default());
    };
    Ok(PartyOptions {
        in_volume_db: o.in_volume_db,
        out_volume_db: o.out_volume_db,
        in_agc: if o.in_agc {
            Some(agc_from_c(o.in_agc_config)?)
        } else {
            None
        },
        out_agc: if o.out_agc {
            Some(agc_from_c(o.out_agc_config)?)
        } else {
            None
        },
    })
}

fn ch(c: tutti_channel) -> ChannelId {
    ChannelId::from_raw(c)
}

/// Adds a member: `in_channel`'s input is what it says, `out_channel`'s output what it hears
/// (the conference minus itself). For a full-duplex leg both are the same channel. `options`
/// may be NULL (defaults). Writes the new party's number to `*out`.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` (a channel is already a party, or lacks the side),
/// `TUTTI_RESULT_INVALID_ARGUMENT` (volumes, AGC settings), `TUTTI_RESULT_STALE_HANDLE`.
#[no_mangle]
pub extern "C" fn tutti_conference_add_party(
    conf: *mut tutti_conference,
    in_channel: tutti_channel,
    out_channel: tutti_channel,
    options: *const tutti_party_options,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let opts = party_options(options)?;
        let id = with_conf(conf, |c, p| {
            Ok(c.add_party(p, ch(in_channel), ch(out_channel), opts)?)
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// Adds a monitor: `out_channel`'s output hears every member and background source; nobody
/// hears the monitor.
#[no_mangle]
pub extern "C" fn tutti_conference_add_monitor(
    conf: *mut tutti_conference,
    out_channel: tutti_channel,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_conf(conf, |c, p| Ok(c.add_monitor(p, ch(out_channel))?))?;
        out.write(id.0);
        Ok(())
    })
}

/// Adds a coach: the coach hears the conference through `out_channel`; only `pupil` (a
/// member) hears the coach's `in_channel`.
///
/// Errors: `TUTTI_RESULT_INVALID_ARGUMENT` if `pupil` is not a member,
/// `TUTTI_RESULT_INVALID_STATE` if it is not a party.
#[no_mangle]
pub extern "C" fn tutti_conference_add_coach(
    conf: *mut tutti_conference,
    in_channel: tutti_channel,
    out_channel: tutti_channel,
    pupil: tutti_party,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_conf(conf, |c, p| {
            Ok(c.add_coach(p, ch(in_channel), ch(out_channel), PartyId(pupil))?)
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// Adds a background source (music, announcements): every member, monitor and coach hears
/// `in_channel`'s input at `gain_db` (-96..=24); it hears nothing.
#[no_mangle]
pub extern "C" fn tutti_conference_add_background(
    conf: *mut tutti_conference,
    in_channel: tutti_channel,
    gain_db: f32,
    out: *mut tutti_party,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let id = with_conf(conf, |c, p| {
            Ok(c.add_background(p, ch(in_channel), gain_db)?)
        })?;
        out.write(id.0);
        Ok(())
    })
}

/// Removes a party: its output stops (plays silence) and its input is detached. Coaches of a
/// removed member are removed with it. Raises `TUTTI_EVENT_CONFERENCE_EMPTY` when the last
/// party leaves. The channels stay allocated: release them separately.
///
/// Errors: `TUTTI_RESULT_INVALID_STATE` if the conference has no such party.
#[no_mangle]
pub extern "C" fn tutti_conference_remove_party(
    conf: *mut tutti_conference,
    party: tutti_party,
) -> tutti_result {
    call(|| with_conf(conf, |c, p| Ok(c.remove_party(p, PartyId(party))?)))
}

/// The role of a party.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_role {
    /// Speaks to and hears the conference.
    TUTTI_ROLE_MEMBER = 0,
    /// Hears the conference, is heard by nobody.
    TUTTI_ROLE_MONITOR = 1,
    /// Heard by everybody, hears nothing.
    TUTTI_ROLE_BACKGROUND = 2,
    /// Hears the conference, heard only by its pupil.
    TUTTI_ROLE_COACH = 3,
}

/// One party, as reported by `tutti_conference_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tutti_party_info {
    /// The party's number.
    pub party: tutti_party,
    /// Its role.
    pub role: tutti_role,
    /// For a coach, the member it speaks to; 0 otherwise.
    pub pupil: tutti_party,
    /// Whether it speaks (has an input channel).
    pub has_input: bool,
    /// Its input channel, if `has_input`; 0 otherwise.
    pub input: tutti_channel,
    /// Whether it hears (has an output channel).
    pub has_output: bool,
    /// Its output channel, if `has_output`; 0 otherwise.
    pub output: tutti_channel,
    /// Whether it is talking now (a lone member, heard by nobody, never is).
    pub talking: bool,
}

/// Writes the number of parties (of every role) to `*out`.
#[no_mangle]
pub extern "C" fn tutti_conference_party_count(
    conf: *const tutti_conference,
    out: *mut usize,
) -> tutti_result {
    call(|| {
        let out = Out::new(out, "out")?;
        let n = with_conf(conf, |c, _| Ok(c.len()))?;
        out.write(n);
        Ok(())
    })
}

/// Copies every party into `buf` (room for `len` entries), in the order they joined, and
/// writes their number to `*out_count`.
///
/// Errors: `TUTTI_RESULT_BUFFER_TOO_SMALL` when there are more than `len` parties (nothing
/// written; ask `tutti_conference_party_count` first).
#[no_mangle]
pub extern "C" fn tutti_conference_info(
    conf: *const tutti_conference,
    buf: *mut tutti_party_info,
    len: usize,
    out_count: *mut usize,
) -> tutti_result {
    call(|| {
        let count = Out::new(out_count, "out_count")?;
        let b = out_slice(buf, len, "buf")?;
        let info = with_conf(conf, |c, p| Ok(c.info(p)))?;
        if info.parties.len() > b.len() {
            return Err(Fail::new(
                tutti_result::TUTTI_RESULT_BUFFER_TOO_SMALL,
                format!(
                    "the conference has {} parties; the buffer holds {}",
                    info.parties.len(),
                    b.len()
                ),
            ));
        }
        for (slot, x) in b.iter_mut().zip(&info.parties) {
            #[allow(unreachable_patterns)]
            let (role, pupil) = match x.role {
                Role::Member => (tutti_role::TUTTI_ROLE_MEMBER, 0),
                Role::Monitor => (tutti_role::TUTTI_ROLE_MONITOR, 0),
                Role::Background => (tutti_role::TUTTI_ROLE_BACKGROUND, 0),
                Role::Coach { pupil } => (tutti_role::TUTTI_ROLE_COACH, pupil.0),
                _ => (tutti_role::TUTTI_ROLE_MEMBER, 0),
            };
            *slot = tutti_party_info {
                party: x.party.0,
                role,
                pupil,
                has_input: x.input.is_some(),
                input: x.input.map_or(0, |c| c.to_raw()),
                has_output: x.output.is_some(),
                output: x.output.map_or(0, |c| c.to_raw()),
                talking: x.talking,
            };
        }
        count.write(info.parties.len());
        Ok(())
    })
}
