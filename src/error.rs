//! The typed error returned by every fallible call in tutti.

use std::path::PathBuf;

/// Everything that can go wrong in a tutti call. Each variant names the object and the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The processor configuration is not supported.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// A handle refers to an object that has been released (its slot may have been reused).
    #[error("stale {kind} handle {index}:{generation}: the object was released")]
    StaleHandle {
        /// The kind of object ("channel", "endpoint", ...).
        kind: &'static str,
        /// Slot index of the handle.
        index: u32,
        /// Generation of the handle.
        generation: u32,
    },

    /// The object exists but the operation does not fit its current state.
    #[error("{object}: {problem}")]
    InvalidState {
        /// The object, e.g. "channel 3:1".
        object: String,
        /// What is wrong.
        problem: String,
    },

    /// An argument is out of range or malformed.
    #[error("invalid argument `{name}`: {problem}")]
    InvalidArgument {
        /// Name of the argument.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },

    /// A frame passed in or out does not have the processor's frame size.
    #[error("frame size mismatch: expected {expected} samples, got {got}")]
    FrameSize {
        /// Samples per frame of the processor.
        expected: usize,
        /// Samples actually given.
        got: usize,
    },

    /// A media file is malformed or unsupported.
    #[error("{}: {problem}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },

    /// An operating-system I/O error on a file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A fixed-capacity resource is exhausted.
    #[error("capacity exceeded: {0}")]
    Capacity(String),
}

/// Result alias used throughout tutti.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn state(object: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::InvalidState {
            object: object.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn arg(name: &'static str, problem: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name,
            problem: problem.into(),
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        Error::BadFile {
            path: path.into(),
            problem: problem.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
