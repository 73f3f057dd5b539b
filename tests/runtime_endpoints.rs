//! Application endpoints over lock-free rings: underrun plays silence and is counted, overrun
//! drops the oldest frames and is counted; events tell each episode. Ticks are stepped one by
//! one on a simulated clock.

use std::time::{Duration, Instant};

use tutti::runtime::{AppEndpoint, Runtime, RuntimeConfig, RuntimeEvent, SimClock};
use tutti::{Config, Datafeed, Processor};

const FRAME: Duration = Duration::from_millis(20);

struct Stepper {
    clock: SimClock,
    rt: Option<Runtime>,
}

impl Stepper {
    fn new() -> Stepper {
        let clock = SimClock::new();
        // Nothing runs until the first step.
        clock.hold_at(Some(Duration::ZERO));
        let p = Processor::new(Config {
            sample_rate: 8000,
            frame_ms: 20,
        })
        .unwrap();
        let rt = Runtime::start(
            p,
            RuntimeConfig {
                clock: Some(Box::new(clock.clone())),
                realtime_priority: None,
                ..Default::default()
            },
        )
        .unwrap();
        let s = Stepper {
            clock,
            rt: Some(rt),
        };
        s.wait_ticks(1);
        s
    }

    fn rt(&self) -> &Runtime {
        self.rt.as_ref().unwrap()
    }

    fn wait_ticks(&self, n: u64) {
        let t = Instant::now();
        while self.rt().stats().ticks < n {
            assert!(t.elapsed() < Duration::from_secs(10), "tick {n} never came");
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Runs a call on the media thread (letting the clock run one tick for it to be applied).
    fn call<R: Send + 'static>(&self, f: impl FnOnce(&mut Processor) -> R + Send + 'static) -> R {
        let h = self.rt().handle();
        let t = std::thread::spawn(move || h.call(f).unwrap());
        self.step_after_queued();
        t.join().unwrap()
    }

    fn endpoint(&self, depth: usize) -> AppEndpoint {
        let h = self.rt().handle();
        let t = std::thread::spawn(move || h.app_endpoint(depth).unwrap());
        self.step_after_queued();
        t.join().unwrap()
    }

    /// Waits until a call is queued, then lets one tick run (the call is applied before it).
    fn step_after_queued(&self) {
        let t = Instant::now();
        while self.rt().stats().command_queue_depth == 0 {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "the call was never queued"
            );
            std::thread::sleep(Duration::from_micros(100));
        }
        self.step(1);
    }

    /// Lets exactly `n` more ticks run.
    fn step(&self, n: u64) {
        let now = self.rt().stats().ticks;
        // Tick k (0-based) is due at k * FRAME; `now` ticks ran, so the next is tick `now`.
        self.clock.hold_at(Some(FRAME * (now + n - 1) as u32));
        self.wait_ticks(now + n);
    }
}

impl Drop for Stepper {
    fn drop(&mut self) {
        self.clock.hold_at(None);
        if let Some(rt) = self.rt.take() {
            let _ = rt.shutdown();
        }
    }
}

fn frame(v: i16) -> Vec<i16> {
    vec![v; 160]
}

#[test]
fn underrun_plays_silence_and_overrun_drops_the_oldest() {
    let s = Stepper::new();
    let mut ep = s.endpoint(3);
    let id = ep.id();
    // The endpoint transmits its own datafeed: what is written at a tick is read back.
    s.call(move |p| p.endpoint_connect(id, Datafeed::Endpoint(id)).unwrap());
    let mut out = frame(0);
    while ep.read(&mut out).unwrap() {}
    let base = ep.counters();

    // Overrun: 5 frames written before a tick with depth 3: the 2 oldest are dropped.
    for v in 1..=5 {
        assert!(ep.write(&frame(v)).unwrap());
    }
    s.step(1);
    assert_eq!(ep.counters().input_overruns - base.input_overruns, 2);
    assert!(ep.read(&mut out).unwrap());
    assert_eq!(out, frame(3));
    // The two left play at the next two ticks.
    s.step(2);
    assert!(ep.read(&mut out).unwrap());
    assert_eq!(out, frame(4));
    assert!(ep.read(&mut out).unwrap());
    assert_eq!(out, frame(5));
    assert_eq!(ep.counters().input_underruns, base.input_underruns);

    // Underrun: nothing queued, two ticks: silence, counted twice.
    s.step(2);
    assert_eq!(ep.counters().input_underruns - base.input_underruns, 2);
    for _ in 0..2 {
        assert!(ep.read(&mut out).unwrap());
        assert_eq!(out, frame(0));
    }

    // Reading with nothing queued: silence and an output underrun.
    out.fill(7);
    assert!(!ep.read(&mut out).unwrap());
    assert_eq!(out, frame(0));
    assert_eq!(ep.counters().output_underruns - base.output_underruns, 1);

    // Output overrun: 10 ticks unread with depth 3. The ring keeps 6; the 4 newest are dropped
    // by the media thread, then the read drops the 3 oldest of the 6.
    for k in 0..10 {
        assert!(ep.write(&frame(100 + k)).unwrap());
        s.step(1);
    }
    assert!(ep.read(&mut out).unwrap());
    assert_eq!(out, frame(103));
    assert_eq!(ep.counters().output_overruns - base.output_overruns, 4 + 3);
    assert!(ep.read(&mut out).unwrap());
    assert_eq!(out, frame(104));

    let stats = s.rt().stats();
    assert!(stats.endpoint_overruns >= 9);
    assert!(stats.endpoint_underruns >= 3);

    let events: Vec<RuntimeEvent> = s.rt().events().try_iter().collect();
    assert!(events
        .iter()
        .any(|e| matches!(e, RuntimeEvent::EndpointOverrun { endpoint, .. } if *endpoint == id)));
    assert!(events
        .iter()
        .any(|e| matches!(e, RuntimeEvent::EndpointUnderrun { endpoint, .. } if *endpoint == id)));
}

#[test]
fn a_dropped_endpoint_is_released_and_frames_must_fit() {
    let s = Stepper::new();
    let mut ep = s.endpoint(2);
    let id = ep.id();
    assert!(ep.write(&[0i16; 7]).is_err());
    let mut short = [0i16; 3];
    assert!(ep.read(&mut short).is_err());
    assert_eq!(s.call(|p| p.stats().endpoints), 1);
    drop(ep);
    s.step(1);
    assert_eq!(s.call(|p| p.stats().endpoints), 0);
    // The handle is stale now: generation-checked, never another endpoint.
    let err = s.call(move |p| p.endpoint_missing_frames(id).is_err());
    assert!(err);
}
