//! High-level conferences built on the primitives.
