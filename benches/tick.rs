//! Whole ticks of an N-party conference (endpoint frames in, one tick, talk detection
//! included) at 8 and 48 kHz. N = 10,000 runs only under `cargo bench` (its set-up takes
//! seconds), not when `cargo test` runs the benches once as tests.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tutti::conference::{Conference, PartyOptions};
use tutti::dsp::synth::SpeechLike;
use tutti::{ChannelKind, Config, EndpointId, Processor};

fn setup(n: usize, rate: u32) -> (Processor, Vec<EndpointId>, Vec<Vec<i16>>) {
    let mut p = Processor::new(Config {
        sample_rate: rate,
        frame_ms: 20,
    })
    .unwrap();
    let l = p.frame_len();
    let mut conf = Conference::create(&mut p).unwrap();
    let mut eps = Vec::new();
    for _ in 0..n {
        let ep = p.endpoint_create().unwrap();
        let ch = p.channel_create(ChannelKind::FullDuplex).unwrap();
        p.channel_connect_input(ch, p.endpoint_datafeed(ep).unwrap())
            .unwrap();
        p.endpoint_connect(ep, p.channel_datafeed(ch).unwrap())
            .unwrap();
        conf.add_party(&mut p, ch, ch, PartyOptions::default())
            .unwrap();
        eps.push(ep);
    }
    p.commit();
    let voices = (0..16)
        .map(|v| {
            let mut x = vec![0i16; l * 50];
            SpeechLike::new(rate, v, -20.0).fill(&mut x);
            x
        })
        .collect();
    (p, eps, voices)
}

fn ticks(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let mut g = c.benchmark_group("tick");
    g.sample_size(10);
    for rate in [8000u32, 48000] {
        for n in [10usize, 100, 1000, 10_000] {
            if n == 10_000 && !full {
                continue;
            }
            let (mut p, eps, voices) = setup(n, rate);
            let l = p.frame_len();
            let mut t = 0usize;
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(
                BenchmarkId::new(format!("{}k", rate / 1000), n),
                &n,
                |b, _| {
                    b.iter(|| {
                        let pos = (t % 50) * l;
                        for (k, ep) in eps.iter().enumerate() {
                            p.endpoint_write(*ep, &voices[k % 16][pos..pos + l])
                                .unwrap();
                        }
                        p.tick();
                        t += 1;
                    })
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, ticks);
criterion_main!(benches);
