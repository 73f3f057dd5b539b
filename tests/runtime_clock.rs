//! The media clock: absolute deadlines never drift, on a simulated clock over an hour of ticks
//! and on the real clock over two seconds; the catch-up policy skips frames only when far behind.

use std::time::{Duration, Instant};

use tutti::runtime::{Clock, Pacer, Runtime, RuntimeConfig, SimClock};
use tutti::{Config, Processor};

fn processor(frame_ms: u32) -> Processor {
    Processor::new(Config {
        sample_rate: 8000,
        frame_ms,
    })
    .unwrap()
}

/// Waits (really) until `f` holds, for at most `limit`.
fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    f()
}

#[test]
fn an_hour_on_a_simulated_clock_has_zero_drift() {
    // 360,000 deadlines at 10 ms (0 s .. 3600 s); every wake-up is up to 4 ms late.
    let frames: u64 = 360_000;
    let frame = Duration::from_millis(10);
    let clock = SimClock::new().with_wake_delay(Duration::from_millis(4));
    clock.hold_at(Some(frame * frames as u32));
    let rt = Runtime::start(
        processor(10),
        RuntimeConfig {
            clock: Some(Box::new(clock.clone())),
            realtime_priority: None,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        wait_for(Duration::from_secs(60), || rt.stats().ticks == frames + 1),
        "ticks: {}",
        rt.stats().ticks
    );
    // The thread now waits at the hold for the deadline after the last one.
    std::thread::sleep(Duration::from_millis(20));
    let stats = rt.stats();
    let elapsed = clock.time();
    assert_eq!(stats.ticks, frames + 1, "no tick beyond the hold");
    let expected = elapsed.as_nanos() / frame.as_nanos() + 1;
    assert_eq!(
        stats.ticks as u128, expected,
        "drift after {elapsed:?}: {} ticks",
        stats.ticks
    );
    assert!(elapsed >= Duration::from_secs(3600) && elapsed < Duration::from_millis(3_600_004));
    assert_eq!(stats.late_ticks, 0);
    assert_eq!(stats.skipped_frames, 0);
    assert!(stats.lateness_max_us < 4000.0, "{}", stats.lateness_max_us);
    clock.hold_at(None);
    let p = rt.shutdown().unwrap();
    assert_eq!(p.tick_count(), frames + 1);
}

#[test]
fn the_pacer_catches_up_then_skips_when_far_behind() {
    let frame = Duration::from_millis(20);
    let mut clock = SimClock::new();
    let mut pacer = Pacer::new(clock.now(), frame, 5);
    assert_eq!(pacer.wait(&mut clock).lateness, Duration::ZERO);
    // A stall of 3.5 frames: the next ticks run late, back to back, until on time again.
    clock.advance(frame * 3 + frame / 2);
    let lates: Vec<Duration> = (0..5).map(|_| pacer.wait(&mut clock).lateness).collect();
    assert_eq!(
        lates,
        vec![
            frame * 2 + frame / 2,
            frame + frame / 2,
            frame / 2,
            Duration::ZERO,
            Duration::ZERO
        ]
    );
    // A stall of 12.25 frames (more than 5): whole frames are skipped.
    clock.advance(frame * 12 + frame / 4);
    let w = pacer.wait(&mut clock);
    assert_eq!(w.skipped, 11);
    assert_eq!(w.lateness, frame / 4);
    assert_eq!(pacer.wait(&mut clock).lateness, Duration::ZERO);
    assert_eq!(pacer.index(), 1 + 5 + 11 + 1 + 1);
}

#[test]
fn two_seconds_on_the_real_clock_keep_count() {
    let frame_ms = 10u64;
    let before = Instant::now();
    let rt = Runtime::start(processor(frame_ms as u32), RuntimeConfig::default()).unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let lower = before.elapsed();
    let stats = rt.stats();
    let upper = before.elapsed();
    let counted = stats.ticks + stats.skipped_frames;
    let lo = (lower.as_millis() as u64 / frame_ms).saturating_sub(1);
    let hi = upper.as_millis() as u64 / frame_ms + 1;
    eprintln!(
        "real clock: {} ticks (+{} skipped) in {:?}; lateness p50 {} us, p99 {} us, max {} us",
        stats.ticks,
        stats.skipped_frames,
        lower,
        stats.lateness_p50_us,
        stats.lateness_p99_us,
        stats.lateness_max_us
    );
    // The thread starts a little after `before`, so the count may trail by the start-up time.
    let startup = 5;
    assert!(
        counted + startup >= lo && counted <= hi,
        "{counted} ticks, expected {lo}..={hi}"
    );
    rt.shutdown().unwrap();
}
