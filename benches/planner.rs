//! Re-planning a full mix-minus conference of N parties (with a monitor) after a change.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tutti::conference::{Conference, PartyOptions};
use tutti::{ChannelKind, Config, Processor};

fn planner(c: &mut Criterion) {
    let mut g = c.benchmark_group("planner");
    g.sample_size(10);
    for n in [10usize, 100, 1000] {
        let mut p = Processor::new(Config::default()).unwrap();
        let mut conf = Conference::create(&mut p).unwrap();
        let mut chans = Vec::new();
        for _ in 0..n {
            let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
            conf.add_party(&mut p, ch, ch, PartyOptions::default())
                .unwrap();
            chans.push(ch);
        }
        let m = p.channel_create(ChannelKind::OutputOnly).unwrap();
        conf.add_monitor(&mut p, m).unwrap();
        p.commit();
        let mut flip = false;
        g.bench_with_input(BenchmarkId::new("replan_conference", n), &n, |b, _| {
            b.iter(|| {
                // A change that forces a re-plan, then the plan itself.
                flip = !flip;
                p.channel_set_output_gain(m, if flip { -1.0 } else { 0.0 })
                    .unwrap();
                p.commit();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, planner);
criterion_main!(benches);
