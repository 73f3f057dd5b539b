//! The C ABI of tutti. `include/tutti.h` is generated from this crate by cbindgen.
//!
//! Conventions (see `docs/c-api.md`):
//!
//! - Every function returns a [`tutti_result`] (except the few that return a static string),
//!   and writes its outputs through out-pointers, only on success.
//! - Every exported body runs inside a panic boundary: a panic becomes
//!   `TUTTI_RESULT_PANIC`, never an unwind into C.
//! - `tutti_processor *` and `tutti_conference *` are opaque, generation-tagged handles, not
//!   addresses: a freed or forged one is reported as `TUTTI_RESULT_STALE_HANDLE`.
//! - Engine objects (channels, endpoints, participants, recorders, players) are `uint64_t`
//!   handles; 0 is never a valid handle.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// Every exported function takes pointers from C. Each is checked for NULL and alignment before
// use; marking the functions `unsafe` would change nothing for C callers.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("tutti's C ABI encodes handles in pointer-sized values and needs a 64-bit target");

mod channel;
mod conference;
mod error;
mod event;
mod media;
mod processor;
mod registry;
mod runtime;
mod tones;

pub use channel::*;
pub use conference::*;
pub use error::*;
pub use event::*;
pub use media::*;
pub use processor::*;
pub use runtime::*;
pub use tones::*;

use std::ffi::c_char;

/// The version of the tutti library, as a static NUL-terminated string such as `"0.1.0"`.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A channel handle (from `tutti_channel_create`). 0 is never a valid handle.
pub type tutti_channel = u64;
/// An application endpoint handle (from `tutti_endpoint_create`). 0 is never a valid handle.
pub type tutti_endpoint = u64;
/// A conference participant handle (from `tutti_conf_prim_attach`). 0 is never a valid
/// handle.
pub type tutti_participant = u64;
/// A recorder handle (from `tutti_record*`). 0 is never a valid handle.
pub type tutti_recorder = u64;
/// A player handle (from `tutti_replay`). 0 is never a valid handle.
pub type tutti_player = u64;
/// A party of a high-level conference. Party numbers start at 1 within each conference.
pub type tutti_party = u32;
