//! The mix planner and the tick executor.
//!
//! When the topology changes, [`build`] compiles the processor's objects into a flat list of
//! steps in dependency order:
//!
//! 1. **Ordering.** Nodes are endpoint inputs, channel inputs and channel outputs. A depth-first
//!    search from every endpoint, then every channel input, then every channel output (each in
//!    slot order) yields a
//!    post-order in which producers come before consumers. An edge that closes a cycle is a
//!    *back edge*; cycles are broken on a datafeed edge: the consumer reads the producer's
//!    previous frame from a delay buffer refreshed at the end of each tick (one frame of delay).
//!    If the closing edge is a conference edge (an output hearing an input whose own feed is
//!    still being resolved), that input's datafeed edge is delayed instead and the search runs
//!    again, so that every conference output sees the current frame of every input it mixes.
//! 2. **Classes.** Conference inputs are grouped into classes: each input is anchored to the
//!    smallest output set that holds it, and all members of an anchoring set are united. A
//!    conference, its monitor, its coach and its background sources form one class; separate
//!    conferences (breakout rooms) form separate classes, and a monitor of several of them sums
//!    their totals.
//! 3. **Totals and outputs.** Each class total (the sum of its members' terms at their most
//!    common gain) is computed once per tick, right after its last member is ready. Each output
//!    is expressed, class by class, as the class total minus the members it lacks (with
//!    corrections for members at another gain), or as the sum of its members when that is
//!    cheaper. Outputs with identical sets, gains and output stages are computed once.
//!
//! All arithmetic is on i32 accumulators with exact wrapping sums, saturated once per output,
//! so every output equals the naive sum of its inputs' terms.

use std::collections::HashMap;

use super::{Datafeed, OutSource, Processor};
use crate::dsp::level::GAIN_ONE;
use crate::dsp::mix;
use crate::dsp::talk::TalkChange;
use crate::engine::{ChannelId, Event, ParticipantId};

#[derive(Debug, Clone, Copy)]
enum Op {
    Total(u32),
    Add(u32, i32),
    Sub(u32, i32),
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Tones {
        ch: u32,
        dst: u32,
    },
    EndpointIn {
        ep: u32,
        frame: u32,
    },
    InputStage {
        ch: u32,
        src: u32,
        dst: u32,
        gain: i32,
        agc: bool,
    },
    Talk {
        part: u32,
        frame: u32,
    },
    Total {
        acc: u32,
        start: u32,
        len: u32,
    },
    MemberOut {
        total: u32,
        own: u32,
        dst: u32,
    },
    Output {
        ch: u32,
        start: u32,
        len: u32,
        dst: u32,
        gain: i32,
        agc: bool,
    },
    Copy {
        src: u32,
        dst: u32,
    },
    Play {
        player: u32,
        dst: u32,
    },
    OutStage {
        ch: u32,
        frame: u32,
        gain: i32,
        agc: bool,
    },
    Record {
        rec: u32,
        a: u32,
        b: u32,
    },
    Delay {
        src: u32,
        dst: u32,
    },
}

/// A compiled tick.
#[derive(Default)]
pub(crate) struct Plan {
    steps: Vec<Step>,
    /// Terms of the totals: (frame, gain, participant whose talk detector runs in the same
    /// pass, or `NONE`).
    terms: Vec<(u32, i32, u32)>,
    ops: Vec<Op>,
    accs: Vec<i32>,
    ep_tx: Vec<u32>,
    owned_frames: Vec<u32>,
    pub(crate) totals: usize,
    pub(crate) output_ops: usize,
    pub(crate) shared_outputs: usize,
    pub(crate) delayed_edges: usize,
}

const NONE: u32 = u32::MAX;

impl Plan {
    pub(crate) fn endpoint_tx_frame(&self, ep_slot: u32) -> u32 {
        self.ep_tx.get(ep_slot as usize).copied().unwrap_or(0)
    }
}

/// The node producing `feed`: a channel's output node or an endpoint's node; `None` when the
/// source is gone.
fn producer_node(p: &Processor, nch: u32, feed: Datafeed) -> Option<u32> {
    match feed {
        Datafeed::Channel(c) => {
            p.channels
                .get(c.index, c.generation)
                .ok()?
                .output
                .as_ref()?;
            Some(c.index)
        }
        Datafeed::Endpoint(e) => {
            p.endpoints.get(e.index, e.generation).ok()?;
            Some(2 * nch + e.index)
        }
    }
}

/// The datafeed a node consumes through a feed edge: a pass-through output's source or a
/// channel input's connection.
fn node_feed(p: &Processor, nch: u32, node: u32) -> Option<Datafeed> {
    if node < nch {
        match &p.channels.at(node)?.output.as_ref()?.source {
            OutSource::Feed(f) => Some(*f),
            _ => None,
        }
    } else if node < 2 * nch {
        p.channels.at(node - nch)?.input.as_ref()?.feed
    } else {
        None
    }
}

struct Graph<'a> {
    p: &'a Processor,
    nch: u32,
    delayed: Vec<bool>,
    /// Participants whose input node is finished in the current search, by slot: a
    /// conference output skips them a word at a time.
    part_done: Vec<u64>,
}

impl Graph<'_> {
    fn in_node(&self, ch: u32) -> u32 {
        self.nch + ch
    }

    fn producer(&self, feed: Datafeed) -> Option<u32> {
        producer_node(self.p, self.nch, feed)
    }

    /// The next dependency of `node` at or after `cursor`: (dep, next cursor, is feed edge).
    fn next_dep(&self, node: u32, cursor: u32) -> Option<(u32, u32, bool)> {
        // A datafeed edge (pass-through output or channel input), unless it is delayed.
        if cursor == 0 && !self.delayed[node as usize] {
            if let Some(f) = node_feed(self.p, self.nch, node) {
                return Some((self.producer(f)?, 1, true));
            }
        }
        if node >= self.nch {
            return None;
        }
        // A conference output depends on the inputs of its set, skipping finished ones a word
        // at a time.
        let OutSource::Conference(conf) = &self.p.channels.at(node)?.output.as_ref()?.source else {
            return None;
        };
        let words = conf.set.words();
        let done = |w: usize| self.part_done.get(w).copied().unwrap_or(0);
        let mut w = (cursor / 64) as usize;
        if w >= words.len() {
            return None;
        }
        let mut bits = words[w] & !done(w) & (!0u64).checked_shl(cursor % 64).unwrap_or(0);
        loop {
            if bits != 0 {
                let slot = w as u32 * 64 + bits.trailing_zeros();
                let part = self.p.participants.at(slot)?;
                return Some((self.in_node(part.channel.index), slot + 1, false));
            }
            w += 1;
            if w >= words.len() {
                return None;
            }
            bits = words[w] & !done(w);
        }
    }

    fn exists(&self, node: u32) -> bool {
        if node < self.nch {
            self.p.channels.at(node).is_some_and(|c| c.output.is_some())
        } else if node < 2 * self.nch {
            self.p
                .channels
                .at(node - self.nch)
                .is_some_and(|c| c.input.is_some())
        } else {
            self.p.endpoints.at(node - 2 * self.nch).is_some()
        }
    }

    /// Post-order of all nodes; marks delayed consumers. Returns true when it must run again.
    fn order(&mut self, n: u32, post: &mut Vec<u32>) -> bool {
        post.clear();
        self.part_done = vec![0; self.p.participants.capacity_slots().div_ceil(64)];
        let mut state = vec![0u8; n as usize];
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut again = false;
        // Inputs (and the endpoints feeding them) first, so that conference totals are ready
        // before the outputs that use them; outputs last.
        let starts = (2 * self.nch..n)
            .chain(self.nch..2 * self.nch)
            .chain(0..self.nch);
        for start in starts {
            if state[start as usize] != 0 || !self.exists(start) {
                continue;
            }
            state[start as usize] = 1;
            stack.push((start, 0));
            while let Some(&mut (node, ref mut cursor)) = stack.last_mut() {
                match self.next_dep(node, *cursor) {
                    Some((dep, next, feed_edge)) => {
                        *cursor = next;
                        match state[dep as usize] {
                            0 => {
                                state[dep as usize] = 1;
                                stack.push((dep, 0));
                            }
                            1 => {
                                if feed_edge {
                                    self.delayed[node as usize] = true;
                                } else {
                                    self.delayed[dep as usize] = true;
                                    again = true;
                                }
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state[node as usize] = 2;
                        post.push(node);
                        stack.pop();
                        if node >= self.nch && node < 2 * self.nch {
                            let pid = self
                                .p
                                .channels
                                .at(node - self.nch)
                                .and_then(|c| c.input.as_ref())
                                .and_then(|i| i.participant);
                            if let Some(pid) = pid {
                                self.part_done[pid.index as usize / 64] |= 1 << (pid.index % 64);
                            }
                        }
                    }
                }
            }
        }
        again
    }
}

struct UnionFind(Vec<u32>);

impl UnionFind {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.0[x as usize] != x {
            let up = self.0[self.0[x as usize] as usize];
            self.0[x as usize] = up;
            x = up;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb) as usize] = ra.min(rb);
        }
    }
}

fn hash_words(words: &[u64], gains: &[(u32, i32)], out_gain: i32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| {
        h ^= v;
        h = h.wrapping_mul(0x0000_0100_0000_01b3).rotate_left(17);
    };
    for &w in words {
        mix(w);
    }
    for &(s, g) in gains {
        mix(((s as u64) << 32) | g as u32 as u64);
    }
    mix(out_gain as u32 as u64);
    h
}

/// Compiles the processor's topology into a plan.
pub(crate) fn build(p: &mut Processor) -> Plan {
    // Frames owned by the previous plan (delay buffers) go back to the arena.
    let old = std::mem::take(&mut p.plan);
    for f in old.owned_frames {
        p.release_frame(f);
    }

    let nch = p.channels.capacity_slots() as u32;
    let nep = p.endpoints.capacity_slots() as u32;
    let n = 2 * nch + nep;
    let mut g = Graph {
        p,
        nch,
        delayed: vec![false; n as usize],
        part_done: Vec::new(),
    };
    let mut post = Vec::new();
    while g.order(n, &mut post) {}
    let delayed = g.delayed;
    let mut pos = vec![NONE; n as usize];
    for (i, &node) in post.iter().enumerate() {
        pos[node as usize] = i as u32;
    }

    // Delay buffers, one per producer read through a delayed edge.
    let mut delay_frame: HashMap<u32, u32> = HashMap::new();
    let mut owned_frames = Vec::new();
    let mut delayed_edges = 0;
    for node in 0..n {
        if !delayed[node as usize] {
            continue;
        }
        let feed = node_feed(p, nch, node);
        if let Some(prod) = feed.and_then(|f| producer_node(p, nch, f)) {
            delayed_edges += 1;
            if let std::collections::hash_map::Entry::Vacant(e) = delay_frame.entry(prod) {
                let f = p.alloc_frame();
                owned_frames.push(f);
                e.insert(f);
            }
        }
    }
    // An endpoint transmitting another endpoint's datafeed gets a copy taken during the tick,
    // since the application may overwrite the source frame before it reads this one.
    let mut ep_copy: Vec<(u32, u32)> = Vec::new();
    let loopbacks: Vec<u32> = p
        .endpoints
        .iter()
        .filter(|(_, _, e)| {
            matches!(e.tx_feed, Some(Datafeed::Endpoint(x)) if p.endpoints.contains(x.index, x.generation))
        })
        .map(|(slot, _, _)| slot)
        .collect();
    for slot in loopbacks {
        let f = p.alloc_frame();
        owned_frames.push(f);
        ep_copy.push((slot, f));
    }
    let p: &Processor = p;

    // Conference outputs and their identical-mix groups.
    let mut conf_outs: Vec<u32> = Vec::new();
    for (slot, _, c) in p.channels.iter() {
        if let Some(o) = c.output.as_ref() {
            if matches!(o.source, OutSource::Conference(_)) {
                conf_outs.push(slot);
            }
        }
    }
    let conf_of = |slot: u32| -> &super::ConfOut {
        match &p.channels.at(slot).unwrap().output.as_ref().unwrap().source {
            OutSource::Conference(c) => c,
            _ => unreachable!(),
        }
    };
    let mut rep = vec![NONE; nch as usize];
    let mut shared_outputs = 0;
    {
        let mut groups: HashMap<u64, Vec<u32>> = HashMap::new();
        for &o in &conf_outs {
            let out = p.channels.at(o).unwrap().output.as_ref().unwrap();
            let conf = conf_of(o);
            if out.agc.is_some() {
                rep[o as usize] = o;
                continue;
            }
            let h = hash_words(conf.set.words(), &conf.gains, out.gain_q);
            let list = groups.entry(h).or_default();
            let found = list.iter().copied().find(|&r| {
                let ro = p.channels.at(r).unwrap().output.as_ref().unwrap();
                let rc = conf_of(r);
                rc.set == conf.set && rc.gains == conf.gains && ro.gain_q == out.gain_q
            });
            match found {
                Some(r) => {
                    rep[o as usize] = r;
                    shared_outputs += 1;
                }
                None => {
                    list.push(o);
                    rep[o as usize] = o;
                }
            }
        }
    }

    // Effective frames of outputs and inputs.
    let mut out_frame = vec![0u32; nch as usize];
    for (slot, _, c) in p.channels.iter() {
        if let Some(o) = c.output.as_ref() {
            out_frame[slot as usize] = match &o.source {
                OutSource::Silence => 0,
                OutSource::Conference(_) => {
                    let r = rep[slot as usize];
                    p.channels.at(r).unwrap().output.as_ref().unwrap().frame
                }
                _ => o.frame,
            };
        }
    }
    // The frame a producer node writes this tick.
    let produced = |prod: u32| -> u32 {
        if prod < nch {
            out_frame[prod as usize]
        } else {
            p.endpoints.at(prod - 2 * nch).unwrap().rx_frame
        }
    };
    // What a sink reads from `feed`: the producer's frame, or, for the consumer of a delayed
    // edge, its delay buffer; silence when there is no source.
    let resolve_for = |feed: Option<Datafeed>, consumer: Option<u32>| -> u32 {
        let Some(prod) = feed.and_then(|f| producer_node(p, nch, f)) else {
            return 0;
        };
        match consumer {
            Some(c) if delayed[c as usize] => delay_frame[&prod],
            _ => produced(prod),
        }
    };
    let resolve = |feed: Option<Datafeed>, consumer: u32| resolve_for(feed, Some(consumer));
    let resolve_final = |feed: Option<Datafeed>| resolve_for(feed, None);
    let mut in_frame = vec![0u32; nch as usize];
    let mut in_src = vec![0u32; nch as usize];
    for (slot, _, c) in p.channels.iter() {
        if let Some(i) = c.input.as_ref() {
            let src = resolve(i.feed, nch + slot);
            in_src[slot as usize] = src;
            in_frame[slot as usize] =
                if i.gain_q != GAIN_ONE || i.agc.is_some() || i.listen.is_some() {
                    i.frame
                } else {
                    src
                };
        }
    }

    // Classes of conference inputs.
    let np = p.participants.capacity_slots() as u32;
    let mut uf = UnionFind((0..np).collect());
    let mut class_of = vec![NONE; np as usize];
    let mut classes: Vec<Vec<u32>> = Vec::new();
    let mut class_ready = Vec::new();
    {
        let mut by_size: Vec<u32> = rep
            .iter()
            .enumerate()
            .filter(|&(i, &r)| r == i as u32)
            .map(|(i, _)| i as u32)
            .collect();
        by_size.sort_by_key(|&o| (conf_of(o).set.len(), o));
        let mut anchored = vec![0u64; (np as usize).div_ceil(64)];
        for &o in &by_size {
            let set = conf_of(o).set.words();
            let mut anchors = false;
            for (w, &bits) in set.iter().enumerate() {
                let newly = bits & !anchored[w];
                if newly != 0 {
                    anchored[w] |= newly;
                    anchors = true;
                }
            }
            if anchors && conf_of(o).set.len() >= 2 {
                let mut it = conf_of(o).set.iter();
                let first = it.next().unwrap();
                for s in it {
                    uf.union(first, s);
                }
            }
        }
        let mut root_class: HashMap<u32, u32> = HashMap::new();
        for (slot, _, part) in p.participants.iter() {
            if part.heard_by == 0 {
                continue;
            }
            let r = uf.find(slot);
            let c = *root_class.entry(r).or_insert_with(|| {
                classes.push(Vec::new());
                (classes.len() - 1) as u32
            });
            classes[c as usize].push(slot);
        }
        for (c, members) in classes.iter().enumerate() {
            if members.len() >= 2 {
                for &m in members {
                    class_of[m as usize] = c as u32;
                }
            }
            let ready = members
                .iter()
                .map(|&m| pos[(nch + p.participants.at(m).unwrap().channel.index) as usize])
                .max()
                .unwrap_or(0);
            class_ready.push(ready);
        }
    }

    // Most common gain of each participant across the sets that hold it.
    let mut canon = vec![GAIN_ONE; np as usize];
    {
        let mut counts: HashMap<(u32, i32), u32> = HashMap::new();
        // Sets that hold each participant at a gain other than unity.
        let mut not_unity: HashMap<u32, u32> = HashMap::new();
        for &o in &conf_outs {
            for &(s, gq) in &conf_of(o).gains {
                *counts.entry((s, gq)).or_default() += 1;
                *not_unity.entry(s).or_default() += 1;
            }
        }
        let mut best: HashMap<u32, (u32, i32)> = HashMap::new();
        for (&(s, gq), &cnt) in &counts {
            let e = best.entry(s).or_insert((0, GAIN_ONE));
            if cnt > e.0 || (cnt == e.0 && gq < e.1) {
                *e = (cnt, gq);
            }
        }
        for (s, (cnt, gq)) in best {
            let heard = p.participants.at(s).map(|x| x.heard_by).unwrap_or(0);
            let unity = heard.saturating_sub(not_unity[&s]);
            if cnt > unity {
                canon[s as usize] = gq;
            }
        }
    }
    let part_frame = |s: u32| in_frame[p.participants.at(s).unwrap().channel.index as usize];

    // Emit steps in dependency order.
    let frame_len = p.frame_len;
    let mut plan = Plan {
        owned_frames,
        delayed_edges,
        shared_outputs,
        ..Plan::default()
    };
    let mut class_acc = vec![NONE; classes.len()];
    let mut class_used = vec![false; classes.len()];
    let mut n_accs = 1u32; // accumulator 0 is the per-output scratch
    let mut pending_totals: Vec<Vec<u32>> = vec![Vec::new(); post.len()];
    let mut out_exprs: HashMap<u32, Vec<Op>> = HashMap::new();

    // Output expressions first (they decide which totals are used).
    let mut cnt = vec![0u32; classes.len()];
    let mut touched: Vec<u32> = Vec::new();
    // A group of identical outputs is computed at the earliest position of its members.
    let mut group_pos = vec![NONE; nch as usize];
    for &o in &conf_outs {
        let r = rep[o as usize] as usize;
        group_pos[r] = group_pos[r].min(pos[o as usize]);
    }
    // Word bitsets of the large classes, for outputs that hear most of one class.
    let class_bits: Vec<Option<Vec<u64>>> = classes
        .iter()
        .map(|members| {
            (members.len() >= 64).then(|| {
                let mut b = vec![0u64; (np as usize).div_ceil(64)];
                for &m in members {
                    b[m as usize / 64] |= 1 << (m % 64);
                }
                b
            })
        })
        .collect();
    // Members of each class whose most common gain is not unity (usually none).
    let class_odd: Vec<Vec<u32>> = classes
        .iter()
        .map(|members| {
            members
                .iter()
                .copied()
                .filter(|&m| canon[m as usize] != GAIN_ONE)
                .collect()
        })
        .collect();
    for &o in &conf_outs {
        if rep[o as usize] != o {
            continue;
        }
        let opos = group_pos[o as usize];
        let conf = conf_of(o);
        let gain_in = |s: u32| super::gain_of(&conf.gains, s);
        // Fast path: the set lies within one large, ready class: total minus what it lacks,
        // found a word at a time.
        if let Some(first) = conf.set.iter().next() {
            let c = class_of[first as usize];
            if c != NONE && class_ready[c as usize] < opos {
                if let Some(cb) = &class_bits[c as usize] {
                    let words = conf.set.words();
                    let inside = words
                        .iter()
                        .enumerate()
                        .all(|(w, &bits)| bits & !cb.get(w).copied().unwrap_or(0) == 0);
                    let have = conf.set.len();
                    let missing = classes[c as usize].len() - have;
                    let mut diffs: Vec<u32> = conf
                        .gains
                        .iter()
                        .filter(|&&(s, g)| g != canon[s as usize])
                        .map(|&(s, _)| s)
                        .collect();
                    for &m in &class_odd[c as usize] {
                        if conf.set.contains(m)
                            && gain_in(m) != canon[m as usize]
                            && !diffs.contains(&m)
                        {
                            diffs.push(m);
                        }
                    }
                    if inside && 1 + missing + 2 * diffs.len() < have {
                        class_used[c as usize] = true;
                        let mut ops = vec![Op::Total(c)];
                        let mut subs = Vec::new();
                        for &m in &diffs {
                            let f = part_frame(m);
                            subs.push(Op::Sub(f, canon[m as usize]));
                            ops.push(Op::Add(f, gain_in(m)));
                        }
                        for (w, &cw) in cb.iter().enumerate() {
                            let mut lack = cw & !words.get(w).copied().unwrap_or(0);
                            while lack != 0 {
                                let m = w as u32 * 64 + lack.trailing_zeros();
                                lack &= lack - 1;
                                subs.push(Op::Sub(part_frame(m), canon[m as usize]));
                            }
                        }
                        ops.extend(subs);
                        out_exprs.insert(o, ops);
                        continue;
                    }
                }
            }
        }
        let mut ops = Vec::new();
        let mut singles = Vec::new();
        touched.clear();
        for s in conf.set.iter() {
            let c = class_of[s as usize];
            if c != NONE && class_ready[c as usize] < opos {
                if cnt[c as usize] == 0 {
                    touched.push(c);
                }
                cnt[c as usize] += 1;
            } else {
                singles.push(s);
            }
        }
        let mut adds = Vec::new();
        let mut subs = Vec::new();
        for &c in &touched {
            let members = &classes[c as usize];
            let have = cnt[c as usize] as usize;
            cnt[c as usize] = 0;
            let missing = members.len() - have;
            let diffs = members
                .iter()
                .filter(|&&m| conf.set.contains(m) && gain_in(m) != canon[m as usize])
                .count();
            if 1 + missing + 2 * diffs < have {
                class_used[c as usize] = true;
                ops.push(Op::Total(c));
                for &m in members {
                    let f = part_frame(m);
                    if !conf.set.contains(m) {
                        subs.push(Op::Sub(f, canon[m as usize]));
                    } else if gain_in(m) != canon[m as usize] {
                        subs.push(Op::Sub(f, canon[m as usize]));
                        adds.push(Op::Add(f, gain_in(m)));
                    }
                }
            } else {
                for &m in members {
                    if conf.set.contains(m) {
                        adds.push(Op::Add(part_frame(m), gain_in(m)));
                    }
                }
            }
        }
        for s in singles {
            adds.push(Op::Add(part_frame(s), gain_in(s)));
        }
        ops.extend(adds);
        ops.extend(subs);
        out_exprs.insert(o, ops);
    }
    for (c, used) in class_used.iter().enumerate() {
        if *used {
            class_acc[c] = n_accs;
            n_accs += 1;
            pending_totals[class_ready[c] as usize].push(c as u32);
        }
    }
    plan.totals = class_used.iter().filter(|&&u| u).count();
    // Members of a computed total have their talk detection done in the total's pass.
    let mut talk_in_total = vec![false; np as usize];
    for (c, used) in class_used.iter().enumerate() {
        if *used {
            for &m in &classes[c] {
                talk_in_total[m as usize] = true;
            }
        }
    }
    plan.accs = vec![0; n_accs as usize * frame_len];

    let mut emitted_out = vec![false; nch as usize];
    for (i, &node) in post.iter().enumerate() {
        if node < nch {
            let slot = node;
            let out = p.channels.at(slot).unwrap().output.as_ref().unwrap();
            let stage = out.gain_q != GAIN_ONE || out.agc.is_some();
            match &out.source {
                OutSource::Silence => {}
                OutSource::Feed(f) => {
                    let src = resolve(Some(*f), node);
                    plan.steps.push(Step::Copy {
                        src,
                        dst: out.frame,
                    });
                }
                OutSource::Replay(pl) => {
                    plan.steps.push(Step::Play {
                        player: pl.index,
                        dst: out.frame,
                    });
                }
                OutSource::Tones(_) => {
                    plan.steps.push(Step::Tones {
                        ch: slot,
                        dst: out.frame,
                    });
                }
                OutSource::Conference(_) => {
                    let r = rep[slot as usize];
                    if !emitted_out[r as usize] {
                        emitted_out[r as usize] = true;
                        let rout = p.channels.at(r).unwrap().output.as_ref().unwrap();
                        let ops = out_exprs.remove(&r).unwrap();
                        let rstage = rout.gain_q != GAIN_ONE || rout.agc.is_some();
                        plan.output_ops +=
                            ops.iter().filter(|o| !matches!(o, Op::Total(_))).count();
                        if std::env::var("TUTTI_DEBUG_PLAN").is_ok() {
                            eprintln!("out {r}: {ops:?}");
                        }
                        match (rstage, ops.as_slice()) {
                            (false, [Op::Total(c), Op::Sub(f, GAIN_ONE)]) => {
                                plan.steps.push(Step::MemberOut {
                                    total: class_acc[*c as usize],
                                    own: *f,
                                    dst: rout.frame,
                                });
                            }
                            _ => {
                                let start = plan.ops.len() as u32;
                                for op in ops {
                                    plan.ops.push(match op {
                                        Op::Total(c) => Op::Total(class_acc[c as usize]),
                                        other => other,
                                    });
                                }
                                plan.steps.push(Step::Output {
                                    ch: r,
                                    start,
                                    len: plan.ops.len() as u32 - start,
                                    dst: rout.frame,
                                    gain: rout.gain_q,
                                    agc: rout.agc.is_some(),
                                });
                            }
                        }
                    }
                }
            }
            if stage && !matches!(out.source, OutSource::Conference(_) | OutSource::Silence) {
                plan.steps.push(Step::OutStage {
                    ch: slot,
                    frame: out.frame,
                    gain: out.gain_q,
                    agc: out.agc.is_some(),
                });
            }
        } else if node < 2 * nch {
            let slot = node - nch;
            let inp = p.channels.at(slot).unwrap().input.as_ref().unwrap();
            if in_frame[slot as usize] == inp.frame {
                plan.steps.push(Step::InputStage {
                    ch: slot,
                    src: in_src[slot as usize],
                    dst: inp.frame,
                    gain: inp.gain_q,
                    agc: inp.agc.is_some(),
                });
            }
            if let Some(pid) = inp.participant {
                if p.participants.at(pid.index).is_some_and(|x| x.heard_by > 0)
                    && !talk_in_total[pid.index as usize]
                {
                    plan.steps.push(Step::Talk {
                        part: pid.index,
                        frame: in_frame[slot as usize],
                    });
                }
            }
        } else {
            let ep = node - 2 * nch;
            plan.steps.push(Step::EndpointIn {
                ep,
                frame: p.endpoints.at(ep).unwrap().rx_frame,
            });
        }
        for &c in &pending_totals[i] {
            let start = plan.terms.len() as u32;
            for &m in &classes[c as usize] {
                plan.terms.push((part_frame(m), canon[m as usize], m));
            }
            plan.steps.push(Step::Total {
                acc: class_acc[c as usize],
                start,
                len: plan.terms.len() as u32 - start,
            });
        }
    }

    // Recorders read the final frames of this tick.
    for (slot, _, r) in p.recorders.iter() {
        let a = match r.input {
            // A channel input's recorder reads the frame that enters the conferences.
            Some(c) if p.channels.contains(c.index, c.generation) => in_frame[c.index as usize],
            Some(_) => 0,
            None => resolve_final(r.feeds[0]),
        };
        let b = resolve_final(r.feeds[1]);
        plan.steps.push(Step::Record { rec: slot, a, b });
    }
    plan.ep_tx = vec![0; nep as usize];
    for (slot, _, e) in p.endpoints.iter() {
        plan.ep_tx[slot as usize] = resolve_final(e.tx_feed);
    }
    for (slot, f) in ep_copy {
        let src = plan.ep_tx[slot as usize];
        plan.steps.push(Step::Copy { src, dst: f });
        plan.ep_tx[slot as usize] = f;
    }
    let mut delays: Vec<(u32, u32)> = delay_frame.into_iter().collect();
    delays.sort_unstable();
    for (prod, dst) in delays {
        plan.steps.push(Step::Delay {
            src: produced(prod),
            dst,
        });
    }
    plan
}

/// The AGC of a channel's output, if it has one.
#[inline]
fn output_agc(p: &mut Processor, ch: u32) -> Option<&mut crate::dsp::agc::Agc> {
    p.channels.at_mut(ch)?.output.as_mut()?.agc.as_mut()
}

/// Feeds one frame's energy to a participant's talk detector and raises its events.
#[inline]
fn talk(p: &mut Processor, part: u32, energy: u64) {
    let Some(pt) = p.participants.at_mut(part) else {
        return;
    };
    if let Some(change) = pt.talk.process_energy(energy) {
        let channel = pt.channel;
        let participant = ParticipantId::new(part, p.participants.generation_at(part));
        p.push_event(match change {
            TalkChange::Started => Event::TalkStarted {
                channel,
                participant,
            },
            TalkChange::Stopped => Event::TalkStopped {
                channel,
                participant,
            },
        });
    }
}

impl Plan {
    /// Runs one tick. Allocates nothing.
    pub(crate) fn run(&mut self, p: &mut Processor) {
        let l = p.frame_len;
        let base = p.frames.as_mut_ptr();
        let nframes = p.frames.len() / l;
        let acc_base = self.accs.as_mut_ptr();
        // SAFETY (for the helpers below): every frame and accumulator index in the plan was
        // taken from live objects when the plan was built, the arenas are not resized while the
        // plan runs, and a step never writes a frame it also reads (the planner gives each
        // written frame to exactly one producer).
        let fr = |f: u32| -> &[i16] {
            debug_assert!((f as usize) < nframes);
            unsafe { std::slice::from_raw_parts(base.add(f as usize * l), l) }
        };
        let fr_mut = |f: u32| -> &mut [i16] {
            debug_assert!(f != 0 && (f as usize) < nframes);
            unsafe { std::slice::from_raw_parts_mut(base.add(f as usize * l), l) }
        };
        let acc = |a: u32| -> &mut [i32] {
            unsafe { std::slice::from_raw_parts_mut(acc_base.add(a as usize * l), l) }
        };
        for &step in &self.steps {
            match step {
                Step::EndpointIn { ep, frame } => {
                    // The application wrote the frame in place; a frame not written is silence.
                    let e = p.endpoints.at_mut(ep).expect("planned endpoint");
                    if e.written {
                        e.written = false;
                    } else {
                        fr_mut(frame).fill(0);
                        e.missing += 1;
                    }
                }
                Step::InputStage {
                    ch,
                    src,
                    dst,
                    gain,
                    agc,
                } => {
                    let d = fr_mut(dst);
                    let (chans, events) = (&mut p.channels, &mut p.events);
                    let gen = chans.generation_at(ch);
                    let listen = chans
                        .at_mut(ch)
                        .and_then(|c| c.input.as_mut())
                        .and_then(|i| i.listen.as_mut());
                    if let Some(listen) = listen {
                        let rate_khz = p.config.sample_rate as u64 / 1000;
                        let origin = listen.origin;
                        let channel = ChannelId::new(ch, gen);
                        let ticks = p.stats.ticks;
                        let dropped = &mut p.stats.events_dropped;
                        listen.process(fr(src), d, gain, &mut |e| {
                            let ms = |s: u64| (origin + s) / rate_khz;
                            super::push_event_to(
                                events,
                                dropped,
                                ticks,
                                Event::Tone {
                                    channel,
                                    tone: e.tone,
                                    kind: e.kind,
                                    start_ms: ms(e.start),
                                    end_ms: e.end.map(ms),
                                    level_dbm0: e.level_dbm0,
                                },
                            );
                        });
                    } else if gain == GAIN_ONE {
                        mix::copy(d, fr(src));
                    } else {
                        mix::scale_i16(d, fr(src), gain);
                    }
                    if agc {
                        if let Some(a) = p
                            .channels
                            .at_mut(ch)
                            .and_then(|c| c.input.as_mut())
                            .and_then(|i| i.agc.as_mut())
                        {
                            a.process(d);
                        }
                    }
                }
                Step::Talk { part, frame } => talk(p, part, mix::energy(fr(frame))),
                Step::Total { acc: a, start, len } => {
                    let t = acc(a);
                    let terms = &self.terms[start as usize..(start + len) as usize];
                    for (k, &(f, g, part)) in terms.iter().enumerate() {
                        let x = fr(f);
                        let e = match (k == 0, g == GAIN_ONE) {
                            (true, true) => mix::widen_energy(t, x),
                            (false, true) => mix::add_i16_energy(t, x),
                            (true, false) => {
                                mix::widen_scaled(t, x, g);
                                mix::energy(x)
                            }
                            (false, false) => {
                                mix::add_scaled(t, x, g);
                                mix::energy(x)
                            }
                        };
                        if part != NONE {
                            talk(p, part, e);
                        }
                    }
                }
                Step::MemberOut { total, own, dst } => {
                    mix::saturate_sub(fr_mut(dst), acc(total), fr(own));
                }
                Step::Output {
                    ch,
                    start,
                    len,
                    dst,
                    gain,
                    agc,
                } => {
                    let ops = &self.ops[start as usize..(start + len) as usize];
                    let d = fr_mut(dst);
                    if ops.is_empty() {
                        d.fill(0);
                        continue;
                    }
                    let t = acc(0);
                    let mut rest = ops;
                    if let [Op::Total(a), tail @ ..] = ops {
                        t.copy_from_slice(acc(*a));
                        rest = tail;
                    } else {
                        t.fill(0);
                    }
                    for &op in rest {
                        match op {
                            Op::Total(a) => mix::add_i32(t, acc(a)),
                            Op::Add(f, GAIN_ONE) => mix::add_i16(t, fr(f)),
                            Op::Add(f, g) => mix::add_scaled(t, fr(f), g),
                            Op::Sub(f, GAIN_ONE) => mix::sub_i16(t, fr(f)),
                            Op::Sub(f, g) => mix::sub_scaled(t, fr(f), g),
                        }
                    }
                    if agc {
                        // The output gain saturates first; the AGC then works on the result.
                        if gain != GAIN_ONE {
                            mix::saturate_scaled(d, t, gain);
                            if let Some(a) = output_agc(p, ch) {
                                a.process(d);
                            }
                        } else if let Some(a) = output_agc(p, ch) {
                            a.process_acc(t, d);
                        }
                    } else if gain != GAIN_ONE {
                        mix::saturate_scaled(d, t, gain);
                    } else {
                        mix::saturate(d, t);
                    }
                }
                Step::Copy { src, dst } => mix::copy(fr_mut(dst), fr(src)),
                Step::Play { player, dst } => p.play_frame(player, dst),
                Step::Tones { ch, dst } => {
                    let d = fr_mut(dst);
                    let finished = match p
                        .channels
                        .at_mut(ch)
                        .and_then(|c| c.output.as_mut())
                        .map(|o| &mut o.source)
                    {
                        Some(OutSource::Tones(src)) => {
                            // A finished source fills silence; it reports finishing once.
                            let was_done = src.is_done();
                            !src.fill(d) && !was_done
                        }
                        _ => {
                            d.fill(0);
                            false
                        }
                    };
                    if finished {
                        let channel = ChannelId::new(ch, p.channels.generation_at(ch));
                        p.push_event(Event::TonesFinished { channel });
                    }
                }
                Step::OutStage {
                    ch,
                    frame,
                    gain,
                    agc,
                } => {
                    let d = fr_mut(frame);
                    if gain != GAIN_ONE {
                        mix::scale_in_place(d, gain);
                    }
                    if agc {
                        if let Some(a) = output_agc(p, ch) {
                            a.process(d);
                        }
                    }
                }
                Step::Record { rec, a, b } => p.record_frame(rec, a, b),
                Step::Delay { src, dst } => mix::copy(fr_mut(dst), fr(src)),
            }
        }
    }
}
