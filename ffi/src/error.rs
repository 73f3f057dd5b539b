//! Result codes, the per-thread last error message, the panic boundary and pointer checks.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// The result of every tutti call. The numbers are stable.
///
/// On any result other than `TUTTI_RESULT_OK` (and `TUTTI_RESULT_NO_EVENT`, which is not an
/// error), nothing was written through the call's out-pointers, and
/// `tutti_last_error_message` describes the problem.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tutti_result {
    /// Success.
    TUTTI_RESULT_OK = 0,
    /// A required pointer argument was NULL (or a buffer pointer was NULL with a non-zero
    /// length).
    TUTTI_RESULT_NULL_POINTER = 1,
    /// A handle names an object that was released or freed, or was never issued. Freeing a
    /// processor or conference twice returns this.
    TUTTI_RESULT_STALE_HANDLE = 2,
    /// The object exists but the call does not fit its current state (e.g. adding an input
    /// that is not attached, starting a conference on a channel without an output side).
    TUTTI_RESULT_INVALID_STATE = 3,
    /// An argument is out of range or malformed (a gain outside -96..=24 dB, an unknown enum
    /// value, a misaligned pointer, a path that is not valid for the platform, ...).
    TUTTI_RESULT_INVALID_ARGUMENT = 4,
    /// The processor configuration is not supported (sample rate or frame duration).
    TUTTI_RESULT_INVALID_CONFIG = 5,
    /// A frame buffer's length is not the processor's frame length.
    TUTTI_RESULT_FRAME_SIZE = 6,
    /// A media file is malformed or unsupported.
    TUTTI_RESULT_BAD_FILE = 7,
    /// An operating-system I/O error on a file.
    TUTTI_RESULT_IO = 8,
    /// A fixed-capacity resource is exhausted.
    TUTTI_RESULT_CAPACITY = 9,
    /// A caller buffer is too small for the result; query the count first.
    TUTTI_RESULT_BUFFER_TOO_SMALL = 10,
    /// The object is in use by a call on another thread (processors and conferences are used
    /// by one thread at a time). Nothing was done.
    TUTTI_RESULT_BUSY = 11,
    /// `tutti_event_poll`: no event is pending. Not an error.
    TUTTI_RESULT_NO_EVENT = 12,
    /// A call panicked inside tutti (a bug). The panic was caught at the boundary; the object
    /// it was using is unusable from now on (its calls return `TUTTI_RESULT_PANIC`) and should
    /// be freed.
    TUTTI_RESULT_PANIC = 13,
}

use tutti_result::*;

/// The name of a result code, such as `"TUTTI_RESULT_STALE_HANDLE"`, as a static
/// NUL-terminated string; `"TUTTI_RESULT_UNKNOWN"` for a value that is not a result code.
///
/// Takes the code as a plain integer so that any value is safe to pass.
///
/// Thread safety: callable from any thread.
#[no_mangle]
pub extern "C" fn tutti_result_name(result: u32) -> *const c_char {
    let name: &'static [u8] = match result {
        0 => b"TUTTI_RESULT_OK\0",
        1 => b"TUTTI_RESULT_NULL_POINTER\0",
        2 => b"TUTTI_RESULT_STALE_HANDLE\0",
        3 => b"TUTTI_RESULT_INVALID_STATE\0",
        4 => b"TUTTI_RESULT_INVALID_ARGUMENT\0",
        5 => b"TUTTI_RESULT_INVALID_CONFIG\0",
        6 => b"TUTTI_RESULT_FRAME_SIZE\0",
        7 => b"TUTTI_RESULT_BAD_FILE\0",
        8 => b"TUTTI_RESULT_IO\0",
        9 => b"TUTTI_RESULT_CAPACITY\0",
        10 => b"TUTTI_RESULT_BUFFER_TOO_SMALL\0",
        11 => b"TUTTI_RESULT_BUSY\0",
        12 => b"TUTTI_RESULT_NO_EVENT\0",
        13 => b"TUTTI_RESULT_PANIC\0",
        _ => b"TUTTI_RESULT_UNKNOWN\0",
    };
    name.as_ptr().cast()
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Copies the message of the most recent failed call on the calling thread into `buf`, as a
/// NUL-terminated string, truncated to `len - 1` bytes, like `snprintf`. `*out_len` (if
/// `out_len` is not NULL) receives the full length of the message without its NUL, so a
/// value `>= len` means the message was truncated. The message is empty if no call on this
/// thread has failed. A successful call does not clear the message.
///
/// `buf` may be NULL only when `len` is 0 (to ask for the length). This call never changes
/// the last error message.
///
/// Thread safety: callable from any thread; each thread has its own last error.
#[no_mangle]
pub extern "C" fn tutti_last_error_message(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> tutti_result {
    let r = catch_unwind(AssertUnwindSafe(|| {
        if (buf.is_null() && len != 0) || (!out_len.is_null() && !out_len.is_aligned()) {
            return if buf.is_null() {
                TUTTI_RESULT_NULL_POINTER
            } else {
                TUTTI_RESULT_INVALID_ARGUMENT
            };
        }
        LAST_ERROR.with(|m| {
            let m = m.borrow();
            let bytes = m.as_bytes();
            if len > 0 {
                let n = bytes.len().min(len - 1);
                // SAFETY: `buf` is non-NULL and the caller promises `len` writable bytes.
                unsafe {
                    std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.cast::<u8>(), n);
                    *buf.add(n) = 0;
                }
            }
            if !out_len.is_null() {
                // SAFETY: checked non-NULL and aligned above.
                unsafe { out_len.write(bytes.len()) };
            }
        });
        TUTTI_RESULT_OK
    }));
    r.unwrap_or(TUTTI_RESULT_PANIC)
}

/// Why a call failed: a result code and a message for `tutti_last_error_message`.
pub(crate) struct Fail {
    pub(crate) code: tutti_result,
    pub(crate) message: String,
}

impl Fail {
    pub(crate) fn new(code: tutti_result, message: impl Into<String>) -> Self {
        Fail {
            code,
            message: message.into(),
        }
    }
    pub(crate) fn null(name: &str) -> Self {
        Fail::new(TUTTI_RESULT_NULL_POINTER, format!("`{name}` is NULL"))
    }
    pub(crate) fn arg(name: &str, problem: impl std::fmt::Display) -> Self {
        Fail::new(
            TUTTI_RESULT_INVALID_ARGUMENT,
            format!("invalid argument `{name}`: {problem}"),
        )
    }
}

impl From<sdk::Error> for Fail {
    fn from(e: sdk::Error) -> Self {
        #[allow(unreachable_patterns)]
        let code = match &e {
            sdk::Error::InvalidConfig(_) => TUTTI_RESULT_INVALID_CONFIG,
            sdk::Error::StaleHandle { .. } => TUTTI_RESULT_STALE_HANDLE,
            sdk::Error::InvalidState { .. } => TUTTI_RESULT_INVALID_STATE,
            sdk::Error::InvalidArgument { .. } => TUTTI_RESULT_INVALID_ARGUMENT,
            sdk::Error::FrameSize { .. } => TUTTI_RESULT_FRAME_SIZE,
            sdk::Error::BadFile { .. } => TUTTI_RESULT_BAD_FILE,
            sdk::Error::Io { .. } => TUTTI_RESULT_IO,
            sdk::Error::Capacity(_) => TUTTI_RESULT_CAPACITY,
            _ => TUTTI_RESULT_INVALID_STATE,
        };
        Fail::new(code, e.to_string())
    }
}

pub(crate) type FfiResult<T = ()> = Result<T, Fail>;

pub(crate) fn set_last_error(message: String) {
    LAST_ERROR.with(|m| *m.borrow_mut() = message);
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs an exported body inside the panic boundary, turning its outcome into a result code
/// and recording the message of a failure.
pub(crate) fn boundary(body: impl FnOnce() -> FfiResult<tutti_result>) -> tutti_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(code)) => code,
        Ok(Err(fail)) => {
            set_last_error(fail.message);
            fail.code
        }
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            drop(payload);
            set_last_error(format!("internal panic caught at the C boundary: {msg}"));
            TUTTI_RESULT_PANIC
        }
    }
}

/// [`boundary`] for bodies that only succeed or fail.
pub(crate) fn call(body: impl FnOnce() -> FfiResult) -> tutti_result {
    boundary(|| body().map(|()| TUTTI_RESULT_OK))
}

/// A checked out-pointer: non-NULL and aligned. Write it last, once everything succeeded.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, name: &str) -> FfiResult<Self> {
        if p.is_null() {
            return Err(Fail::null(name));
        }
        if !p.is_aligned() {
            return Err(Fail::arg(name, "pointer is misaligned"));
        }
        Ok(Out(p))
    }

    pub(crate) fn write(self, value: T) {
        // SAFETY: checked non-NULL and aligned in `new`; the caller promises it points to
        // writable memory for a `T`.
        unsafe { self.0.write(value) }
    }
}

/// Reads a C struct passed by pointer; NULL gives `None`.
pub(crate) fn read_opt<T: Copy>(p: *const T, name: &str) -> FfiResult<Option<T>> {
    if p.is_null() {
        return Ok(None);
    }
    if !p.is_aligned() {
        return Err(Fail::arg(name, "pointer is misaligned"));
    }
    // SAFETY: non-NULL and aligned; the caller promises a valid `T`.
    Ok(Some(unsafe { p.read() }))
}

fn check_buf<T>(p: *const T, len: usize, name: &str) -> FfiResult<()> {
    if len == 0 {
        return Ok(());
    }
    if p.is_null() {
        return Err(Fail::null(name));
    }
    if !p.is_aligned() {
        return Err(Fail::arg(name, "pointer is misaligned"));
    }
    if len
        .checked_mul(size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Fail::arg(name, format!("length {len} is too large")));
    }
    Ok(())
}

/// A caller buffer to read: `(p, len)`; `p` may be NULL when `len` is 0.
pub(crate) fn in_slice<'a, T>(p: *const T, len: usize, name: &str) -> FfiResult<&'a [T]> {
    check_buf(p, len, name)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: checked non-NULL, aligned and of a representable size; the caller promises
    // `len` readable elements that nothing writes during the call.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A caller buffer to write: `(p, len)`; `p` may be NULL when `len` is 0.
pub(crate) fn out_slice<'a, T>(p: *mut T, len: usize, name: &str) -> FfiResult<&'a mut [T]> {
    check_buf(p, len, name)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as in `in_slice`, for `len` writable elements not aliased during the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
}

/// A NUL-terminated path from C.
pub(crate) fn path_arg(p: *const c_char, name: &str) -> FfiResult<PathBuf> {
    if p.is_null() {
        return Err(Fail::null(name));
    }
    // SAFETY: non-NULL; the caller promises a NUL-terminated string.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(Fail::arg(name, "path is empty"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes)
            .map(PathBuf::from)
            .map_err(|_| Fail::arg(name, "path is not UTF-8"))
    }
}

/// Checks an enum value passed from C as an integer.
pub(crate) fn enum_arg<T>(
    value: u32,
    name: &str,
    map: impl FnOnce(u32) -> Option<T>,
) -> FfiResult<T> {
    map(value)
        .ok_or_else(|| Fail::arg(name, format!("{value} is not one of the documented values")))
}

/// A finite gain or level argument.
pub(crate) fn finite(value: f64, name: &str, lo: f64, hi: f64) -> FfiResult<()> {
    if !value.is_finite() || value < lo || value > hi {
        return Err(Fail::arg(name, format!("{value} is outside {lo}..={hi}")));
    }
    Ok(())
}
