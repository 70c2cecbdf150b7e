//! Sanitiser throughput over the labelled corpus (MB/s of free text), and latency for a ~10 KB report with p50/p99
//! computed here over 2,000 runs (criterion reports means, not percentiles).
//!
//! `cargo bench -p shared --bench sanitiser`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shared::domain::Report;
use shared::sanitiser::sanitise;

#[path = "../tests/common/mod.rs"]
mod common;

/// The repository's own labelled cases, and the house's example reports where the house folder sits beside it.
fn corpus() -> Vec<Report> {
    let mut out: Vec<Report> = common::load_dir(&common::corpus::own_cases()).into_iter().map(|c| c.report).collect();
    assert!(!out.is_empty(), "no labelled cases in {}", common::corpus::own_cases().display());
    if let Some(dir) = common::corpus::house_examples() {
        out.extend(common::load_dir(&dir).into_iter().map(|c| c.report));
    }
    out
}

fn text_bytes(r: &Report) -> usize {
    r.account.len() + r.offender.description.as_deref().map_or(0, str::len)
}

/// A report of about 10 KB: the longest account of the corpus, its paragraphs repeated up to the schema's 10,000
/// characters.
fn ten_kb(corpus: &[Report]) -> Report {
    let mut r = corpus.iter().max_by_key(|r| r.account.len()).unwrap().clone();
    let base = r.account.clone();
    let mut account = String::new();
    while account.chars().count() + base.chars().count() + 2 <= 10_000 {
        account.push_str(&base);
        account.push_str("\n\n");
    }
    let room = 10_000 - account.chars().count();
    account.extend(base.chars().take(room));
    r.account = account;
    r
}

/// Time this thread has spent on a CPU (Linux): unlike wall-clock time, it leaves out the time other processes on
/// the machine took the core away.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok().map(Duration::from_nanos)
}

fn percentiles(report: &Report, runs: usize) -> (Duration, Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(sanitise(black_box(report)));
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], times[runs * 99 / 100], times[runs - 1])
}

/// With `NUM_BENCH_DUMP=<file>`: writes every draft of the corpus (as written, in lower case and in capitals) to the
/// file and stops, so two builds of the sanitiser can be compared draft by draft.
fn dump(corpus: &[Report]) -> bool {
    let Ok(path) = std::env::var("NUM_BENCH_DUMP") else { return false };
    let mut out = String::new();
    for r in corpus {
        for variant in 0..3 {
            let mut r = r.clone();
            match variant {
                1 => r.account = r.account.to_lowercase(),
                2 => r.account = r.account.to_uppercase(),
                _ => {}
            }
            out.push_str(&serde_json::to_string(&sanitise(&r)).unwrap());
            out.push('\n');
        }
    }
    std::fs::write(&path, out).unwrap();
    true
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    // The first report a fresh process sanitises also builds the word tables: what a cold function's first alert waits.
    let t = Instant::now();
    black_box(sanitise(black_box(&corpus[0])));
    let first = t.elapsed();
    if dump(&corpus) {
        return;
    }
    let bytes: usize = corpus.iter().map(text_bytes).sum();
    let mut group = c.benchmark_group("sanitiser");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("corpus_{}_reports", corpus.len()), |b| {
        b.iter(|| {
            for r in &corpus {
                black_box(sanitise(black_box(r)));
            }
        })
    });
    let big = ten_kb(&corpus);
    group.throughput(Throughput::Bytes(text_bytes(&big) as u64));
    group.bench_function("report_10kb", |b| b.iter(|| black_box(sanitise(black_box(&big)))));
    group.finish();

    // Own measurement: throughput over the corpus and percentiles for the 10 KB report.
    // `NUM_BENCH_ROUNDS` makes the run short (for a profiler); the 10 KB runs are ten times the rounds.
    let rounds: usize = std::env::var("NUM_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let cpu0 = cpu_time();
    let t = Instant::now();
    for _ in 0..rounds {
        for r in &corpus {
            black_box(sanitise(black_box(r)));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu0.zip(cpu_time()).map(|(a, b)| (b - a).as_secs_f64());
    let mb = (bytes * rounds) as f64 / 1e6;
    println!("first report in a fresh process (tables built on first use): {first:?}");
    println!("corpus: {} reports, {} bytes of free text, {rounds} rounds on one thread", corpus.len(), bytes);
    println!(
        "  throughput: {:.1} MB/s wall-clock{}",
        mb / secs,
        cpu.map(|c| format!(", {:.1} MB/s of CPU time", mb / c)).unwrap_or_default()
    );
    // `NUM_BENCH_CORPUS_ONLY=1` leaves the 10 KB runs out (to profile the corpus alone).
    if std::env::var_os("NUM_BENCH_CORPUS_ONLY").is_some() {
        return;
    }
    for _ in 0..rounds.min(50) {
        black_box(sanitise(&big));
    }
    let runs = rounds * 10;
    let (p50, p99, max) = percentiles(&big, runs);
    println!("10 KB report ({} bytes), {runs} runs:", text_bytes(&big));
    println!("  wall-clock: p50 {p50:?}, p99 {p99:?}, max {max:?}");
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
