//! # tutti
//!
//! A media-processing SDK for audio conferencing, following Aculab Prosody's model:
//! a [`Processor`] runs a media clock; on it live channels, datafeeds connect
//! sources to sinks, and conference primitives (`conf_prim_start/attach/add/leave/detach/status`)
//! build any mixing topology, mixed in O(N) with exact mix-minus. The [`conference`] module is a
//! high-level layer built only on those primitives.
//!
//! The engine is sans-IO: the caller drives [`Processor::tick`], which
//! never allocates, locks or performs I/O. See `docs/architecture.md`.
#![warn(missing_docs)]

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

pub mod conference;
pub mod dsp;
pub mod engine;
mod error;
pub mod media;
pub mod runtime;

pub use engine::{
    ChannelId, ChannelKind, Config, Datafeed, EndpointId, Event, ParticipantId, PlayerId,
    Processor, RecorderId,
};
pub use error::{Error, Result};
