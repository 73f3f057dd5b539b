//! Generation-tagged object tables.

use crate::{Error, Result};

struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A table of objects addressed by (index, generation). Releasing an object bumps the slot's
/// generation, so a stale handle never reaches the object that later reuses the slot.
pub(crate) struct Table<T> {
    kind: &'static str,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Table<T> {
    pub(crate) fn new(kind: &'static str) -> Self {
        Table {
            kind,
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn insert(&mut self, value: T) -> (u32, u32) {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            (index, slot.generation)
        } else {
            self.slots.push(Slot {
                generation: 1,
                value: Some(value),
            });
            ((self.slots.len() - 1) as u32, 1)
        }
    }

    fn stale(&self, index: u32, generation: u32) -> Error {
        Error::StaleHandle {
            kind: self.kind,
            index,
            generation,
        }
    }

    pub(crate) fn get(&self, index: u32, generation: u32) -> Result<&T> {
        match self.slots.get(index as usize) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v),
            _ => Err(self.stale(index, generation)),
        }
    }

    pub(crate) fn get_mut(&mut self, index: u32, generation: u32) -> Result<&mut T> {
        let kind = self.kind;
        match self.slots.get_mut(index as usize) {
            Some(Slot {
                generation: g,
                value: Some(v),
            }) if *g == generation => Ok(v),
            _ => Err(Error::StaleHandle {
                kind,
                index,
                generation,
            }),
        }
    }

    pub(crate) fn contains(&self, index: u32, generation: u32) -> bool {
        self.get(index, generation).is_ok()
    }

    pub(crate) fn remove(&mut self, index: u32, generation: u32) -> Result<T> {
        self.get(index, generation)?;
        let slot = &mut self.slots[index as usize];
        let value = slot.value.take().expect("checked above");
        self.len -= 1;
        // A slot whose generation would wrap is retired rather than reused.
        if slot.generation < u32::MAX {
            slot.generation += 1;
            self.free.push(index);
        }
        Ok(value)
    }

    /// Object at a slot index, whatever its generation (for plans built from live objects).
    #[inline]
    pub(crate) fn at(&self, index: u32) -> Option<&T> {
        self.slots
            .get(index as usize)
            .and_then(|s| s.value.as_ref())
    }

    #[inline]
    pub(crate) fn at_mut(&mut self, index: u32) -> Option<&mut T> {
        self.slots
            .get_mut(index as usize)
            .and_then(|s| s.value.as_mut())
    }

    pub(crate) fn generation_at(&self, index: u32) -> u32 {
        self.slots[index as usize].generation
    }

    pub(crate) fn capacity_slots(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.value.as_ref().map(|v| (i as u32, s.generation, v)))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, u32, &mut T)> {
        self.slots.iter_mut().enumerate().filter_map(|(i, s)| {
            let g = s.generation;
            s.value.as_mut().map(|v| (i as u32, g, v))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_never_reach_reused_slots() {
        let mut t = Table::new("thing");
        let (i, g) = t.insert("a");
        t.remove(i, g).unwrap();
        let (i2, g2) = t.insert("b");
        assert_eq!(i, i2);
        assert_ne!(g, g2);
        assert!(matches!(
            t.get(i, g),
            Err(Error::StaleHandle { kind: "thing", .. })
        ));
        assert_eq!(*t.get(i2, g2).unwrap(), "b");
        assert!(t.remove(i, g).is_err());
        assert_eq!(t.len(), 1);
    }
}
