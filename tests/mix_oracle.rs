//! The mixer against a naive per-output reference mixer, bit for bit.
//!
//! The reference below is written from the documented definition only: a gain of `g` dB is the
//! Q12 factor `round(4096 * 10^(g/20))`; a term is `(x * factor + 2048) >> 12`; an output is the
//! sum of its set's terms (times the output gain, the same way), saturated once to i16.

#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use tutti::{ChannelId, ChannelKind, Config, EndpointId, Processor};

#[path = "support/oracle.rs"]
mod oracle;
use oracle::{q12, sat, term};

const GAINS: [f32; 6] = [0.0, 0.0, -6.0, 3.5, -20.0, 12.0];

#[derive(Default, Clone)]
struct Model {
    started: bool,
    attached: bool,
    set: BTreeMap<usize, f32>,
    in_gain: f32,
    out_gain: f32,
}

struct Rig {
    k: usize,
    p: Processor,
    ch: Vec<ChannelId>,
    ep: Vec<EndpointId>,
    m: Vec<Model>,
    rng: u64,
}

impl Rig {
    fn new(rate: u32, frame_ms: u32, k: usize) -> Rig {
        let mut p = Processor::new(Config {
            sample_rate: rate,
            frame_ms,
        })
        .unwrap();
        let mut ch = Vec::new();
        let mut ep = Vec::new();
        for _ in 0..k {
            let c = p.channel_create(ChannelKind::FullDuplex).unwrap();
            let e = p.endpoint_create().unwrap();
            p.channel_connect_input(c, p.endpoint_datafeed(e).unwrap())
                .unwrap();
            p.endpoint_connect(e, p.channel_datafeed(c).unwrap())
                .unwrap();
            ch.push(c);
            ep.push(e);
        }
        Rig {
            k,
            p,
            ch,
            ep,
            m: vec![Model::default(); k],
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn check(&self, what: &str, ok: bool, expect_ok: bool) -> Result<(), TestCaseError> {
        prop_assert_eq!(ok, expect_ok, "{}: result differs from the model", what);
        Ok(())
    }

    fn act(&mut self, a: &Action) -> Result<(), TestCaseError> {
        let k = self.k;
        let (i, j) = (a.a % k, a.b % k);
        let g = GAINS[a.g as usize % GAINS.len()];
        match a.kind % 11 {
            0 => {
                let r = self.p.conf_prim_start(self.ch[i]);
                self.check("start", r.is_ok(), !self.m[i].started)?;
                self.m[i].started = true;
            }
            1 => {
                let r = self.p.conf_prim_attach(self.ch[i]);
                self.check("attach", r.is_ok(), !self.m[i].attached)?;
                self.m[i].attached = true;
            }
            2 => {
                let r = self.p.conf_prim_add(self.ch[i], self.ch[j], g);
                let ok = self.m[i].started && self.m[j].attached;
                self.check("add", r.is_ok(), ok)?;
                if ok {
                    self.m[i].set.insert(j, g);
                }
            }
            3 => {
                let r = self.p.conf_prim_leave(self.ch[i], self.ch[j]);
                let ok = self.m[i].started && self.m[j].attached && self.m[i].set.contains_key(&j);
                self.check("leave", r.is_ok(), ok)?;
                if ok {
                    self.m[i].set.remove(&j);
                }
            }
            4 => {
                let r = self.p.conf_prim_detach(self.ch[i]);
                self.check("detach", r.is_ok(), self.m[i].attached)?;
                self.m[i].attached = false;
                for m in self.m.iter_mut() {
                    m.set.remove(&i);
                }
            }
            5 => {
                let r = self.p.conf_prim_stop(self.ch[i]);
                self.check("stop", r.is_ok(), self.m[i].started)?;
                self.m[i].started = false;
                self.m[i].set.clear();
            }
            6 | 7 => self.tick()?,
            8 => {
                // A full mix-minus conference over a subset of channels, plus what is there.
                // Small rigs: a random subset; large rigs: nearly everyone, so that one class
                // holds more than 64 inputs.
                let members: Vec<usize> = (0..k)
                    .filter(|&n| {
                        if k > 64 {
                            !(n + a.b).is_multiple_of(11) || n == i
                        } else {
                            (a.b >> (n % 8)) & 1 == 1 || n == i
                        }
                    })
                    .collect();
                for &o in &members {
                    if !self.m[o].started {
                        self.p.conf_prim_start(self.ch[o]).unwrap();
                        self.m[o].started = true;
                    }
                    if !self.m[o].attached {
                        self.p.conf_prim_attach(self.ch[o]).unwrap();
                        self.m[o].attached = true;
                    }
                }
                for &o in &members {
                    for &n in &members {
                        if n != o {
                            self.p.conf_prim_add(self.ch[o], self.ch[n], 0.0).unwrap();
                            self.m[o].set.insert(n, 0.0);
                        }
                    }
                }
            }
            9 => {
                if a.g.is_multiple_of(2) {
                    self.p.channel_set_input_gain(self.ch[i], g).unwrap();
                    self.m[i].in_gain = g;
                } else {
                    self.p.channel_set_output_gain(self.ch[i], g).unwrap();
                    self.m[i].out_gain = g;
                }
            }
            _ => {
                // Release the channel and put a new one in its place: old handles go stale.
                let old = self.ch[i];
                self.p.channel_release(old).unwrap();
                prop_assert!(self.p.conf_prim_start(old).is_err());
                let c = self.p.channel_create(ChannelKind::FullDuplex).unwrap();
                let e = self.ep[i];
                self.p
                    .channel_connect_input(c, self.p.endpoint_datafeed(e).unwrap())
                    .unwrap();
                self.p
                    .endpoint_connect(e, self.p.channel_datafeed(c).unwrap())
                    .unwrap();
                self.ch[i] = c;
                self.m[i] = Model::default();
                for m in self.m.iter_mut() {
                    m.set.remove(&i);
                }
            }
        }
        Ok(())
    }

    fn tick(&mut self) -> Result<(), TestCaseError> {
        let l = self.p.frame_len();
        let k = self.k;
        let mut inputs = vec![vec![0i16; l]; k];
        for input in inputs.iter_mut() {
            let scale = match self.rand() % 4 {
                0 => 0,
                1 => 300,
                2 => 8000,
                _ => 32768,
            };
            for v in input.iter_mut() {
                *v = if scale == 0 {
                    0
                } else {
                    ((self.rand() % (2 * scale)) as i64 - scale as i64).clamp(-32768, 32767) as i16
                };
            }
        }
        for n in 0..k {
            self.p.endpoint_write(self.ep[n], &inputs[n]).unwrap();
        }
        self.p.tick();
        let entered: Vec<Vec<i64>> = (0..k)
            .map(|n| {
                inputs[n]
                    .iter()
                    .map(|&x| sat(term(x as i64, self.m[n].in_gain as f64)) as i64)
                    .collect()
            })
            .collect();
        let mut out = vec![0i16; l];
        for o in 0..k {
            self.p.endpoint_read(self.ep[o], &mut out).unwrap();
            for n in 0..l {
                let want = if self.m[o].started {
                    let sum: i64 = self.m[o]
                        .set
                        .iter()
                        .map(|(&i, &g)| term(entered[i][n], g as f64))
                        .sum();
                    if self.m[o].out_gain == 0.0 {
                        sat(sum)
                    } else {
                        sat((sum * q12(self.m[o].out_gain as f64) + 2048) >> 12)
                    }
                } else {
                    0
                };
                prop_assert_eq!(out[n], want, "output of channel {} sample {}", o, n);
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct Action {
    kind: u8,
    a: usize,
    b: usize,
    g: u8,
}

fn action() -> impl Strategy<Value = Action> {
    (0u8..11, 0usize..1000, 0usize..256, 0u8..12).prop_map(|(kind, a, b, g)| Action {
        kind,
        a,
        b,
        g,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn every_output_equals_the_naive_mix(actions in prop::collection::vec(action(), 1..60), rate in prop::sample::select(vec![8000u32, 16000, 48000]), ten in any::<bool>()) {
        let mut rig = Rig::new(rate, if ten { 10 } else { 20 }, 9);
        for a in &actions {
            rig.act(a)?;
        }
        rig.tick()?;
        rig.tick()?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Large conferences take the planner's word-at-a-time path; the same oracle applies.
    #[test]
    fn large_conferences_equal_the_naive_mix(actions in prop::collection::vec(action(), 1..40)) {
        let mut rig = Rig::new(8000, 10, 80);
        rig.act(&Action { kind: 8, a: 0, b: 3, g: 0 })?;
        for a in &actions {
            rig.act(a)?;
        }
        rig.tick()?;
        rig.tick()?;
    }
}
