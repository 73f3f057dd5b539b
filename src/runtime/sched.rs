//! Real-time scheduling of the media thread.

use std::sync::atomic::{AtomicBool, Ordering};

/// Asks for `SCHED_FIFO` at `priority` for the calling thread.
#[cfg(target_os = "linux")]
pub(crate) fn request_realtime(priority: i32) -> Result<(), String> {
    let prio = priority.clamp(1, 99);
    let param = libc::sched_param {
        sched_priority: prio,
    };
    // SAFETY: pthread_setschedparam reads the parameter struct we pass for the calling thread.
    let r = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if r == 0 {
        Ok(())
    } else {
        Err(format!(
            "real-time priority (SCHED_FIFO {prio}) was not granted: {} (grant CAP_SYS_NICE or \
             an rtprio limit to the process); the media thread runs at normal priority",
            std::io::Error::from_raw_os_error(r)
        ))
    }
}

/// Asks for real-time priority (not available on this system).
#[cfg(not(target_os = "linux"))]
pub(crate) fn request_realtime(priority: i32) -> Result<(), String> {
    Err(format!(
        "real-time priority ({priority}) is not supported on this system; the media thread runs \
         at normal priority"
    ))
}

/// Prints the warning to stderr once per process.
pub(crate) fn warn_once(message: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!("tutti runtime: {message}");
    }
}
