//! Media files and codecs.

pub mod wav;
