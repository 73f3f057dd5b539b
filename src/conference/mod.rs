//! High-level conferences, built only on the processor's public primitive API
//! (`conf_prim_start/attach/add/leave/detach/stop/status` and channel settings), the way
//! Prosody's smclib builds `sm_conference_*` on its primitives.
//!
//! A party has an input channel (what it says) and an output channel (what it hears); for a
//! full-duplex channel both are the same channel. Roles:
//!
//! | role | hears | heard by |
//! |---|---|---|
//! | member ([`Conference::add_party`]) | every other member, background sources, its coaches | members, monitors, coaches |
//! | monitor ([`Conference::add_monitor`]) | members and background | nobody |
//! | background ([`Conference::add_background`]) | nothing | everybody |
//! | coach ([`Conference::add_coach`]) | members and background | its pupil only |

use std::sync::atomic::{AtomicU32, Ordering};

use crate::engine::{AgcConfig, ChannelId, Event, Processor};
use crate::{Error, Result};

/// Identifies a party within a conference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyId(pub u32);

impl std::fmt::Display for PartyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "party {}", self.0)
    }
}

/// Per-party settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PartyOptions {
    /// Gain applied to what the party says, in dB.
    pub in_volume_db: f32,
    /// Gain applied to what the party hears, in dB.
    pub out_volume_db: f32,
    /// AGC on what the party says (`None`: off).
    pub in_agc: Option<AgcConfig>,
    /// AGC on what the party hears (`None`: off).
    pub out_agc: Option<AgcConfig>,
}

impl PartyOptions {
    /// Options with the default AGC (target -12 dBm0) on both directions.
    pub fn with_agc() -> Self {
        PartyOptions {
            in_agc: Some(AgcConfig::default()),
            out_agc: Some(AgcConfig::default()),
            ..Default::default()
        }
    }
}

/// The role of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Speaks to and hears the conference.
    Member,
    /// Hears the conference, is heard by nobody.
    Monitor,
    /// Heard by everybody, hears nothing.
    Background,
    /// Hears the conference, heard only by its pupil.
    Coach {
        /// The member the coach speaks to.
        pupil: PartyId,
    },
}

#[derive(Debug, Clone)]
struct Party {
    id: PartyId,
    role: Role,
    input: Option<ChannelId>,
    output: Option<ChannelId>,
    gain_db: f32,
}

/// One party as reported by [`Conference::info`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartyInfo {
    /// The party.
    pub party: PartyId,
    /// Its role.
    pub role: Role,
    /// Its input channel, if it speaks.
    pub input: Option<ChannelId>,
    /// Its output channel, if it hears.
    pub output: Option<ChannelId>,
    /// Whether it is talking now.
    pub talking: bool,
}

/// A snapshot of a conference.
#[derive(Debug, Clone, PartialEq)]
pub struct ConferenceInfo {
    /// The conference's number.
    pub id: u32,
    /// Every party.
    pub parties: Vec<PartyInfo>,
    /// The parties talking now.
    pub talking: Vec<PartyId>,
}

static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// A conference: a set of parties on one processor.
#[derive(Debug)]
pub struct Conference {
    id: u32,
    next_party: u32,
    parties: Vec<Party>,
}

impl Conference {
    /// Creates an empty conference.
    pub fn create(_p: &mut Processor) -> Result<Conference> {
        Ok(Conference {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            next_party: 1,
            parties: Vec::new(),
        })
    }

    /// The conference's number (unique within the process).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Number of parties of every role.
    pub fn len(&self) -> usize {
        self.parties.len()
    }

    /// Whether the conference has no party.
    pub fn is_empty(&self) -> bool {
        self.parties.is_empty()
    }

    fn party(&self, id: PartyId) -> Result<&Party> {
        self.parties
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| Error::state(format!("conference {}", self.id), format!("has no {id}")))
    }

    fn check_new(&self, input: Option<ChannelId>, output: Option<ChannelId>) -> Result<()> {
        for p in &self.parties {
            if let Some(i) = input.filter(|_| p.input == input) {
                return Err(Error::state(
                    i.to_string(),
                    format!("is already the input of {} in conference {}", p.id, self.id),
                ));
            }
            if let Some(o) = output.filter(|_| p.output == output) {
                return Err(Error::state(
                    o.to_string(),
                    format!(
                        "is already the output of {} in conference {}",
                        p.id, self.id
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `listener` hears `speaker`, and at what gain.
    fn hears(listener: &Party, speaker: &Party) -> Option<f32> {
        if listener.id == speaker.id || listener.output.is_none() || speaker.input.is_none() {
            return None;
        }
        let heard = match (listener.role, speaker.role) {
            (Role::Background, _) => false,
            (_, Role::Monitor) => false,
            (_, Role::Member) | (_, Role::Background) => true,
            (Role::Member, Role::Coach { pupil }) => pupil == listener.id,
            (_, Role::Coach { .. }) => false,
        };
        heard.then_some(speaker.gain_db)
    }

    fn join(
        &mut self,
        p: &mut Processor,
        party: Party,
        options: Option<PartyOptions>,
    ) -> Result<PartyId> {
        self.check_new(party.input, party.output)?;
        // Prepare the channels: all checks that can fail come before any change.
        if let Some(out) = party.output {
            p.channel_datafeed(out)?;
        }
        if let Some(inp) = party.input {
            p.channel_input_feed(inp)?;
        }
        if let Some(out) = party.output {
            p.conf_prim_start(out)?;
        }
        if let Some(inp) = party.input {
            if let Err(e) = p.conf_prim_attach(inp) {
                if let Some(out) = party.output {
                    let _ = p.conf_prim_stop(out);
                }
                return Err(e);
            }
        }
        if let Some(o) = options {
            if let Some(inp) = party.input {
                p.channel_set_input_gain(inp, o.in_volume_db)?;
                p.channel_set_input_agc(inp, o.in_agc)?;
            }
            if let Some(out) = party.output {
                p.channel_set_output_gain(out, o.out_volume_db)?;
                p.channel_set_output_agc(out, o.out_agc)?;
            }
        }
        // What the new party hears, and who hears the new party, in two batched calls.
        let heard: Vec<(ChannelId, f32)> = self
            .parties
            .iter()
            .filter_map(|other| Some((other.input?, Self::hears(&party, other)?)))
            .collect();
        if let (Some(out), false) = (party.output, heard.is_empty()) {
            p.conf_prim_add_inputs(out, &heard)?;
        }
        if let Some(inp) = party.input {
            let listeners: Vec<ChannelId> = self
                .parties
                .iter()
                .filter(|other| Self::hears(other, &party).is_some())
                .filter_map(|other| other.output)
                .collect();
            if !listeners.is_empty() {
                p.conf_prim_add_to_outputs(&listeners, inp, party.gain_db)?;
            }
        }
        let id = party.id;
        self.parties.push(party);
        Ok(id)
    }

    fn new_party(
        &mut self,
        role: Role,
        input: Option<ChannelId>,
        output: Option<ChannelId>,
        gain_db: f32,
    ) -> Party {
        let id = PartyId(self.next_party);
        self.next_party += 1;
        Party {
            id,
            role,
            input,
            output,
            gain_db,
        }
    }

    /// Adds a member: `in_ch`'s input is what it says, `out_ch`'s output what it hears (the
    /// conference minus itself). Adding a channel that is already a party is an error.
    pub fn add_party(
        &mut self,
        p: &mut Processor,
        in_ch: ChannelId,
        out_ch: ChannelId,
        options: PartyOptions,
    ) -> Result<PartyId> {
        crate::dsp::level::check_gain_db("in_volume_db", options.in_volume_db)?;
        crate::dsp::level::check_gain_db("out_volume_db", options.out_volume_db)?;
        let party = self.new_party(Role::Member, Some(in_ch), Some(out_ch), 0.0);
        self.join(p, party, Some(options))
    }

    /// Adds a monitor: `out_ch`'s output hears every member and background source; nobody
    /// hears the monitor.
    pub fn add_monitor(&mut self, p: &mut Processor, out_ch: ChannelId) -> Result<PartyId> {
        let party = self.new_party(Role::Monitor, None, Some(out_ch), 0.0);
        self.join(p, party, None)
    }

    /// Adds a background source (music, announcements): every member, monitor and coach hears
    /// `in_ch`'s input at `gain_db`; it hears nothing.
    pub fn add_background(
        &mut self,
        p: &mut Processor,
        in_ch: ChannelId,
        gain_db: f32,
    ) -> Result<PartyId> {
        crate::dsp::level::check_gain_db("gain_db", gain_db)?;
        let party = self.new_party(Role::Background, Some(in_ch), None, gain_db);
        self.join(p, party, None)
    }

    /// Adds a coach: the coach hears the conference; only `pupil` (a member) hears the coach.
    pub fn add_coach(
        &mut self,
        p: &mut Processor,
        in_ch: ChannelId,
        out_ch: ChannelId,
        pupil: PartyId,
    ) -> Result<PartyId> {
        if self.party(pupil)?.role != Role::Member {
            return Err(Error::arg("pupil", format!("{pupil} is not a member")));
        }
        let party = self.new_party(Role::Coach { pupil }, Some(in_ch), Some(out_ch), 0.0);
        self.join(p, party, None)
    }

    /// Removes a party: its output stops (plays silence) and its input is detached. Coaches of
    /// a removed member are removed with it. Raises [`Event::ConferenceEmpty`] when the last
    /// party leaves.
    pub fn remove_party(&mut self, p: &mut Processor, party: PartyId) -> Result<()> {
        self.party(party)?;
        let coaches: Vec<PartyId> = self
            .parties
            .iter()
            .filter(|x| x.role == Role::Coach { pupil: party })
            .map(|x| x.id)
            .collect();
        for c in coaches {
            self.remove_one(p, c)?;
        }
        self.remove_one(p, party)?;
        if self.parties.is_empty() {
            p.emit(Event::ConferenceEmpty {
                conference: self.id,
            });
        }
        Ok(())
    }

    fn remove_one(&mut self, p: &mut Processor, party: PartyId) -> Result<()> {
        let idx = self
            .parties
            .iter()
            .position(|x| x.id == party)
            .expect("checked");
        let gone = self.parties.remove(idx);
        // Releasing the input takes it out of every set it is in; stopping the output empties
        // its set. Channels released by the application in the meantime are skipped.
        if let Some(inp) = gone.input {
            if p.conf_prim_participant(inp).is_ok() {
                p.conf_prim_detach(inp)?;
            }
        }
        if let Some(out) = gone.output {
            if p.conf_prim_members(out).is_ok() {
                p.conf_prim_stop(out)?;
            }
        }
        Ok(())
    }

    /// Removes every party and deletes the conference.
    pub fn delete(mut self, p: &mut Processor) -> Result<()> {
        let ids: Vec<PartyId> = self.parties.iter().map(|x| x.id).collect();
        let had = !ids.is_empty();
        for id in ids {
            if self.party(id).is_ok() {
                self.remove_one(p, id)?;
            }
        }
        if had {
            p.emit(Event::ConferenceEmpty {
                conference: self.id,
            });
        }
        Ok(())
    }

    /// The parties and who is talking. A party is talking when its input's talk detector says
    /// so; a lone member, heard by nobody, is never reported as talking.
    pub fn info(&self, p: &Processor) -> ConferenceInfo {
        let parties: Vec<PartyInfo> = self
            .parties
            .iter()
            .map(|x| PartyInfo {
                party: x.id,
                role: x.role,
                input: x.input,
                output: x.output,
                talking: x
                    .input
                    .and_then(|i| p.conf_prim_is_talking(i).ok())
                    .unwrap_or(false),
            })
            .collect();
        let talking = parties
            .iter()
            .filter(|x| x.talking)
            .map(|x| x.party)
            .collect();
        ConferenceInfo {
            id: self.id,
            parties,
            talking,
        }
    }

    /// The party whose input is `in_ch`, if any.
    pub fn party_by_input(&self, in_ch: ChannelId) -> Option<PartyId> {
        self.parties
            .iter()
            .find(|x| x.input == Some(in_ch))
            .map(|x| x.id)
    }
}
