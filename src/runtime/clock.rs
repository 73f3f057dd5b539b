//! Clocks for the media thread, and the absolute-deadline pacer.
//!
//! The media thread never sleeps "for a frame": tick `k` has the deadline `start + k * frame`,
//! computed from the tick index in integer nanoseconds, so wake-up latency and the time a tick
//! takes never accumulate. After any number of ticks the count is within one of
//! `elapsed / frame`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A monotonic time source the media thread sleeps on. Times are durations since an arbitrary
/// fixed origin of the clock.
pub trait Clock: Send + 'static {
    /// The current time.
    fn now(&mut self) -> Duration;
    /// Returns once the time is `deadline` or later (at once when it already is).
    fn sleep_until(&mut self, deadline: Duration);
}

/// The operating system's monotonic clock (`CLOCK_MONOTONIC` on Linux, slept on with an
/// absolute `clock_nanosleep`, so a wake-up never drifts by the time spent computing it).
#[derive(Debug, Default, Clone, Copy)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    #[cfg(target_os = "linux")]
    fn now(&mut self) -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes the time into the struct we pass.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    #[cfg(not(target_os = "linux"))]
    fn now(&mut self) -> Duration {
        use std::sync::OnceLock;
        static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
        ORIGIN.get_or_init(std::time::Instant::now).elapsed()
    }

    #[cfg(target_os = "linux")]
    fn sleep_until(&mut self, deadline: Duration) {
        let ts = libc::timespec {
            tv_sec: deadline.as_secs() as libc::time_t,
            tv_nsec: deadline.subsec_nanos() as libc::c_long,
        };
        loop {
            // SAFETY: clock_nanosleep reads the deadline we pass; the remainder pointer may be
            // null with TIMER_ABSTIME.
            let r = unsafe {
                libc::clock_nanosleep(
                    libc::CLOCK_MONOTONIC,
                    libc::TIMER_ABSTIME,
                    &ts,
                    std::ptr::null_mut(),
                )
            };
            if r != libc::EINTR {
                break;
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn sleep_until(&mut self, deadline: Duration) {
        let now = self.now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }
}

/// A simulated clock for tests: time moves only when the media thread sleeps (to the deadline,
/// plus an optional pseudo-random wake-up delay) or when the test calls [`SimClock::advance`].
/// Clones share the same time, so a test keeps one to read and move it while the runtime owns
/// another.
#[derive(Debug, Clone)]
pub struct SimClock {
    nanos: Arc<AtomicU64>,
    hold: Arc<AtomicU64>,
    max_wake_delay_ns: u64,
    rng: u64,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::new()
    }
}

impl SimClock {
    /// A clock at time zero that wakes sleepers exactly at their deadline.
    pub fn new() -> Self {
        SimClock {
            nanos: Arc::new(AtomicU64::new(0)),
            hold: Arc::new(AtomicU64::new(u64::MAX)),
            max_wake_delay_ns: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Makes every sleep end up to `max` after its deadline (uniformly, from a fixed seed), as
    /// an operating system's wake-up latency does.
    pub fn with_wake_delay(mut self, max: Duration) -> Self {
        self.max_wake_delay_ns = max.as_nanos() as u64;
        self
    }

    /// The simulated time.
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }

    /// Moves the simulated time forward (as a slow tick or a stalled machine would).
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(by.as_nanos() as u64, Ordering::AcqRel);
    }

    /// Holds sleepers whose deadline is later than `until` (really waiting, in steps of
    /// 100 µs) until the hold is moved past it or lifted with `None`. A test steps the
    /// runtime tick by tick this way: with a hold at `t`, exactly the ticks due at or before
    /// `t` run. Lift the hold before shutting the runtime down.
    pub fn hold_at(&self, until: Option<Duration>) {
        let v = until.map_or(u64::MAX, |d| d.as_nanos() as u64);
        self.hold.store(v, Ordering::Release);
    }

    fn next_delay(&mut self) -> u64 {
        if self.max_wake_delay_ns == 0 {
            return 0;
        }
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % self.max_wake_delay_ns
    }
}

impl Clock for SimClock {
    fn now(&mut self) -> Duration {
        self.time()
    }

    fn sleep_until(&mut self, deadline: Duration) {
        while deadline.as_nanos() as u64 > self.hold.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_micros(100));
        }
        let d = deadline.as_nanos() as u64 + self.next_delay();
        self.nanos.fetch_max(d, Ordering::AcqRel);
    }
}

/// What the pacer decided about one wake-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wake {
    /// How long after its deadline the tick starts.
    pub lateness: Duration,
    /// Frames skipped (not ticked) before this tick because the thread fell too far behind.
    pub skipped: u64,
}

/// Absolute-deadline pacing: tick `k` is due at `start + k * frame`.
///
/// Catch-up policy: a tick that wakes late runs at once, and so do the following ticks until
/// the thread is back on its deadlines (a burst). When a wake-up is `max_catch_up` frames or
/// more behind, the pacer gives up on those frames instead: it skips whole frames so that the
/// tick runs on the latest deadline that has passed, and reports how many it skipped. Skipped
/// frames are never ticked; the tick count then lags the clock by exactly the skipped count.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Duration,
    frame_ns: u64,
    next: u64,
    max_catch_up: u64,
}

impl Pacer {
    /// A pacer whose first deadline is `start`.
    pub fn new(start: Duration, frame: Duration, max_catch_up: u32) -> Self {
        Pacer {
            start,
            frame_ns: frame.as_nanos() as u64,
            next: 0,
            max_catch_up: max_catch_up.max(1) as u64,
        }
    }

    /// Deadline of the next tick.
    pub fn deadline(&self) -> Duration {
        self.start + Duration::from_nanos(self.frame_ns * self.next)
    }

    /// Index of the next deadline (ticks run plus frames skipped).
    pub fn index(&self) -> u64 {
        self.next
    }

    /// Sleeps until the next deadline, applies the catch-up policy and advances to the
    /// deadline after.
    pub fn wait(&mut self, clock: &mut dyn Clock) -> Wake {
        clock.sleep_until(self.deadline());
        let now = clock.now();
        let mut late = now.saturating_sub(self.deadline()).as_nanos() as u64;
        let mut skipped = 0;
        if late >= self.max_catch_up * self.frame_ns {
            skipped = late / self.frame_ns;
            self.next += skipped;
            late -= skipped * self.frame_ns;
        }
        self.next += 1;
        Wake {
            lateness: Duration::from_nanos(late),
            skipped,
        }
    }
}
