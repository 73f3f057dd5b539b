//! Tables of the objects C holds through opaque pointers.
//!
//! The pointer C sees is a token, never an address: bits 0..32 hold the slot index plus one
//! (so a token is never NULL), bits 32..60 the slot's generation, bits 60..64 the kind of
//! object. Freeing an object bumps its slot's generation, so a freed, forged or mistyped
//! pointer never reaches a live object and is reported as a stale handle; a slot whose
//! generation would wrap is retired. Each object sits behind its own mutex, taken with
//! `try_lock`: a call made while another thread is inside a call on the same object returns
//! `TUTTI_RESULT_BUSY` instead of racing.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use crate::error::{Fail, FfiResult};
use crate::tutti_result::*;

const GEN_BITS: u32 = 28;
const GEN_MAX: u32 = (1 << GEN_BITS) - 1;

struct Slot<T> {
    generation: u32,
    obj: Option<Arc<Mutex<T>>>,
}

/// A table of objects of one kind.
pub(crate) struct Registry<T> {
    kind: &'static str,
    tag: u64,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
}

impl<T> Registry<T> {
    pub(crate) const fn new(kind: &'static str, tag: u64) -> Self {
        Registry {
            kind,
            tag,
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    fn token(&self, index: u32, generation: u32) -> usize {
        ((self.tag << 60) | ((generation as u64) << 32) | (index as u64 + 1)) as usize
    }

    fn decode(&self, token: usize) -> Option<(u32, u32)> {
        let t = token as u64;
        if t >> 60 != self.tag {
            return None;
        }
        let index = (t & 0xFFFF_FFFF).checked_sub(1)? as u32;
        let generation = ((t >> 32) & GEN_MAX as u64) as u32;
        Some((index, generation))
    }

    fn stale(&self, token: usize) -> Fail {
        Fail::new(
            TUTTI_RESULT_STALE_HANDLE,
            format!("tutti_{} {token:#x} was freed or never issued", self.kind),
        )
    }

    /// Stores an object; returns its token.
    pub(crate) fn insert(&mut self, obj: T) -> usize {
        let obj = Some(Arc::new(Mutex::new(obj)));
        if let Some(index) = self.free.pop() {
            self.slots[index as usize].obj = obj;
            return self.token(index, self.slots[index as usize].generation);
        }
        let index = self.slots.len() as u32;
        self.slots.push(Slot { generation: 1, obj });
        self.token(index, 1)
    }

    /// The object named by a token.
    pub(crate) fn get(&self, token: usize) -> FfiResult<Arc<Mutex<T>>> {
        let (index, generation) = self.decode(token).ok_or_else(|| self.stale(token))?;
        match self.slots.get(index as usize) {
            Some(Slot {
                generation: g,
                obj: Some(o),
            }) if *g == generation => Ok(o.clone()),
            _ => Err(self.stale(token)),
        }
    }

    /// Removes the object named by a token; the token is stale from now on.
    pub(crate) fn remove(&mut self, token: usize) -> FfiResult<Arc<Mutex<T>>> {
        self.get(token)?;
        let (index, _) = self.decode(token).expect("checked by get");
        let slot = &mut self.slots[index as usize];
        let obj = slot.obj.take().expect("checked by get");
        if slot.generation < GEN_MAX {
            slot.generation += 1;
            self.free.push(index);
        }
        Ok(obj)
    }
}

/// Locks a global registry (its critical sections cannot panic, so poisoning is ignored).
pub(crate) fn table<T>(m: &'static Mutex<Registry<T>>) -> MutexGuard<'static, Registry<T>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Takes an object's lock for one call without waiting.
pub(crate) fn enter<'a, T>(obj: &'a Mutex<T>, kind: &str) -> FfiResult<MutexGuard<'a, T>> {
    match obj.try_lock() {
        Ok(g) => Ok(g),
        Err(TryLockError::WouldBlock) => Err(Fail::new(
            TUTTI_RESULT_BUSY,
            format!("the tutti_{kind} is in use by a call on another thread"),
        )),
        Err(TryLockError::Poisoned(_)) => Err(Fail::new(
            TUTTI_RESULT_PANIC,
            format!("an earlier call on this tutti_{kind} panicked; free it"),
        )),
    }
}
