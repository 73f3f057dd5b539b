//! Application endpoints over lock-free rings: the application writes and reads whole frames
//! from its own thread at its own pace; the media thread moves them in and out of the engine's
//! endpoint around each tick.
//!
//! Each direction is a single-producer single-consumer ring of `2 * depth` frames whose
//! consumer keeps at most `depth` frames queued:
//!
//! - **to the processor**: at each tick the media thread drops the oldest frames beyond `depth`
//!   (an *input overrun*, counted), then takes one frame; with none there the endpoint plays
//!   silence (an *input underrun*, counted once the application has written its first frame).
//!   A write that finds the ring full (the application wrote `depth` frames more than the
//!   processor could take in one tick) is refused and counted as an overrun too.
//! - **from the processor**: at each tick the media thread queues the frame the endpoint
//!   transmitted; a full ring drops that frame (an *output overrun*). A read drops the oldest
//!   frames beyond `depth` (output overruns) and returns the oldest remaining one; with none
//!   there it returns silence (an *output underrun*).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use super::{RuntimeEvent, Shared};
use crate::engine::{EndpointId, Processor};
use crate::{Error, Result};

/// Counters of one application endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointCounters {
    /// Ticks at which no frame from the application was queued (silence was played).
    pub input_underruns: u64,
    /// Frames from the application dropped because more than `depth` were queued.
    pub input_overruns: u64,
    /// Reads that found no frame from the processor (silence was returned).
    pub output_underruns: u64,
    /// Frames from the processor dropped because the application did not read them in time.
    pub output_overruns: u64,
}

#[derive(Default)]
pub(crate) struct EndpointShared {
    input_underruns: AtomicU64,
    input_overruns: AtomicU64,
    output_underruns: AtomicU64,
    output_overruns: AtomicU64,
    closed: AtomicBool,
}

impl EndpointShared {
    fn counters(&self) -> EndpointCounters {
        EndpointCounters {
            input_underruns: self.input_underruns.load(Ordering::Relaxed),
            input_overruns: self.input_overruns.load(Ordering::Relaxed),
            output_underruns: self.output_underruns.load(Ordering::Relaxed),
            output_overruns: self.output_overruns.load(Ordering::Relaxed),
        }
    }
}

/// The application's side of an endpoint created with
/// [`RuntimeHandle::app_endpoint`](super::RuntimeHandle::app_endpoint). Dropping it releases
/// the processor's endpoint at the next tick boundary.
pub struct AppEndpoint {
    id: EndpointId,
    frame_len: usize,
    depth: usize,
    to_engine: HeapProd<i16>,
    from_engine: HeapCons<i16>,
    shared: Arc<EndpointShared>,
    totals: Arc<Shared>,
}

impl std::fmt::Debug for AppEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppEndpoint")
            .field("id", &self.id)
            .field("depth", &self.depth)
            .finish()
    }
}

/// The media thread's side of an application endpoint.
pub(crate) struct MediaEndpoint {
    pub(crate) id: EndpointId,
    depth: usize,
    from_app: HeapCons<i16>,
    to_app: HeapProd<i16>,
    scratch: Box<[i16]>,
    shared: Arc<EndpointShared>,
    started: bool,
    underrunning: bool,
    overrunning: bool,
}

/// Makes both sides of an endpoint (allocates; done on the caller's thread).
pub(crate) fn pair(
    id: EndpointId,
    frame_len: usize,
    depth: usize,
    totals: Arc<Shared>,
) -> (AppEndpoint, MediaEndpoint) {
    let depth = depth.max(1);
    let (to_engine, from_app) = HeapRb::<i16>::new(2 * depth * frame_len).split();
    let (to_app, from_engine) = HeapRb::<i16>::new(2 * depth * frame_len).split();
    let shared = Arc::new(EndpointShared::default());
    (
        AppEndpoint {
            id,
            frame_len,
            depth,
            to_engine,
            from_engine,
            shared: shared.clone(),
            totals,
        },
        MediaEndpoint {
            id,
            depth,
            from_app,
            to_app,
            scratch: vec![0; frame_len].into_boxed_slice(),
            shared,
            started: false,
            underrunning: false,
            overrunning: false,
        },
    )
}

impl AppEndpoint {
    /// The processor's endpoint: connect it with
    /// [`Processor::endpoint_connect`] and use its datafeed like any endpoint's.
    pub fn id(&self) -> EndpointId {
        self.id
    }

    pub(crate) fn set_id(&mut self, id: EndpointId) {
        self.id = id;
    }

    /// Samples per frame.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Frames each direction keeps queued at most.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Queues one frame for the processor. Returns `false` when the ring was full and the
    /// frame was dropped (counted as an input overrun). Never blocks.
    pub fn write(&mut self, frame: &[i16]) -> Result<bool> {
        if frame.len() != self.frame_len {
            return Err(Error::FrameSize {
                expected: self.frame_len,
                got: frame.len(),
            });
        }
        if self.to_engine.vacant_len() < self.frame_len {
            self.shared.input_overruns.fetch_add(1, Ordering::Relaxed);
            self.totals.overruns.fetch_add(1, Ordering::Relaxed);
            return Ok(false);
        }
        self.to_engine.push_slice(frame);
        Ok(true)
    }

    /// Frames from the processor ready to be read (at most `depth` are kept).
    pub fn readable(&self) -> usize {
        (self.from_engine.occupied_len() / self.frame_len).min(self.depth)
    }

    /// Frames written and not yet taken by the processor.
    pub fn queued(&self) -> usize {
        self.to_engine.occupied_len() / self.frame_len
    }

    /// Frames that can be written before the ring is full.
    pub fn writable(&self) -> usize {
        self.to_engine.vacant_len() / self.frame_len
    }

    /// Takes the oldest frame the processor transmitted, after dropping frames beyond `depth`
    /// (output overruns). Returns `false`, with `out` silent, when none is queued (an output
    /// underrun). Never blocks.
    pub fn read(&mut self, out: &mut [i16]) -> Result<bool> {
        if out.len() != self.frame_len {
            return Err(Error::FrameSize {
                expected: self.frame_len,
                got: out.len(),
            });
        }
        let l = self.frame_len;
        let queued = self.from_engine.occupied_len() / l;
        if queued > self.depth {
            let drop = queued - self.depth;
            self.from_engine.skip(drop * l);
            self.shared
                .output_overruns
                .fetch_add(drop as u64, Ordering::Relaxed);
            self.totals
                .overruns
                .fetch_add(drop as u64, Ordering::Relaxed);
        }
        if self.from_engine.occupied_len() < l {
            out.fill(0);
            self.shared.output_underruns.fetch_add(1, Ordering::Relaxed);
            self.totals.underruns.fetch_add(1, Ordering::Relaxed);
            return Ok(false);
        }
        self.from_engine.pop_slice(out);
        Ok(true)
    }

    /// The endpoint's counters.
    pub fn counters(&self) -> EndpointCounters {
        self.shared.counters()
    }
}

impl Drop for AppEndpoint {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
    }
}

impl MediaEndpoint {
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Before a tick: one frame from the application into the processor.
    pub(crate) fn feed(&mut self, p: &mut Processor, totals: &Shared) -> Option<RuntimeEvent> {
        let l = self.scratch.len();
        let queued = self.from_app.occupied_len() / l;
        let mut event = None;
        if queued > 0 {
            self.started = true;
        }
        if queued > self.depth {
            let drop = queued - self.depth;
            self.from_app.skip(drop * l);
            self.shared
                .input_overruns
                .fetch_add(drop as u64, Ordering::Relaxed);
            totals.overruns.fetch_add(drop as u64, Ordering::Relaxed);
            if !self.overrunning {
                self.overrunning = true;
                event = Some(RuntimeEvent::EndpointOverrun {
                    endpoint: self.id,
                    tick: p.tick_count(),
                });
            }
        } else {
            self.overrunning = false;
        }
        if queued == 0 {
            self.scratch.fill(0);
            if self.started {
                self.shared.input_underruns.fetch_add(1, Ordering::Relaxed);
                totals.underruns.fetch_add(1, Ordering::Relaxed);
                if !self.underrunning {
                    self.underrunning = true;
                    event = Some(RuntimeEvent::EndpointUnderrun {
                        endpoint: self.id,
                        tick: p.tick_count(),
                    });
                }
            }
        } else {
            self.underrunning = false;
            self.from_app.pop_slice(&mut self.scratch);
        }
        if p.endpoint_write(self.id, &self.scratch).is_err() {
            // Released through the processor: the application side is told by `closed`.
            self.shared.closed.store(true, Ordering::Release);
        }
        event
    }

    /// After a tick: the frame the endpoint transmitted, to the application.
    pub(crate) fn drain(&mut self, p: &mut Processor, totals: &Shared) {
        if p.endpoint_read(self.id, &mut self.scratch).is_err() {
            self.shared.closed.store(true, Ordering::Release);
            return;
        }
        if self.to_app.vacant_len() < self.scratch.len() {
            self.shared.output_overruns.fetch_add(1, Ordering::Relaxed);
            totals.overruns.fetch_add(1, Ordering::Relaxed);
        } else {
            self.to_app.push_slice(&self.scratch);
        }
    }
}
