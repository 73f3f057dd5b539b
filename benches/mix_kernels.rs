//! The mixing kernels on one frame: 160 samples (8 kHz, 20 ms) and 960 (48 kHz, 20 ms).

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tutti::dsp::mix;

fn frame(len: usize, seed: u32) -> Vec<i16> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s >> 16) as i16
        })
        .collect()
}

fn kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("mix");
    for len in [160usize, 960] {
        let x = frame(len, 1);
        let mut acc = vec![0i32; len];
        let mut out = vec![0i16; len];
        mix::widen(&mut acc, &frame(len, 2));
        g.throughput(Throughput::Elements(len as u64));
        g.bench_with_input(BenchmarkId::new("add_i16_energy", len), &len, |b, _| {
            b.iter(|| mix::add_i16_energy(black_box(&mut acc), black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("add_i16", len), &len, |b, _| {
            b.iter(|| mix::add_i16(black_box(&mut acc), black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("add_scaled", len), &len, |b, _| {
            b.iter(|| mix::add_scaled(black_box(&mut acc), black_box(&x), 2053))
        });
        g.bench_with_input(BenchmarkId::new("sub_i16", len), &len, |b, _| {
            b.iter(|| mix::sub_i16(black_box(&mut acc), black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("saturate_sub", len), &len, |b, _| {
            b.iter(|| mix::saturate_sub(black_box(&mut out), black_box(&acc), black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("saturate", len), &len, |b, _| {
            b.iter(|| mix::saturate(black_box(&mut out), black_box(&acc)))
        });
        g.bench_with_input(BenchmarkId::new("saturate_scaled", len), &len, |b, _| {
            b.iter(|| mix::saturate_scaled(black_box(&mut out), black_box(&acc), 5000))
        });
        g.bench_with_input(BenchmarkId::new("energy", len), &len, |b, _| {
            b.iter(|| mix::energy(black_box(&x)))
        });
        g.bench_with_input(BenchmarkId::new("copy", len), &len, |b, _| {
            b.iter(|| mix::copy(black_box(&mut out), black_box(&x)))
        });
    }
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
