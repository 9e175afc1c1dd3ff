//! How long the validator takes on CodePipeline's largest pipeline (50 stages, 500 actions),
//! the size the editor re-checks on every change. Run with
//! `cargo run --release -p model --example validate_bench`.
use std::time::{Duration, Instant};

use model::sample::largest_pipeline;

const RUNS: u32 = 200;

fn main() {
    let pipeline = largest_pipeline();
    let errors = model::validate(&pipeline);
    assert!(errors.is_empty(), "the benchmark pipeline should be valid: {errors:#?}");
    let mut timings: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(model::validate(std::hint::black_box(&pipeline)));
            start.elapsed()
        })
        .collect();
    timings.sort();
    let fastest = timings[0];
    let median = timings[timings.len() / 2];
    let p95 = timings[timings.len() * 95 / 100];
    println!(
        "validate: {} stages, {} actions: fastest {:.3} ms, median {:.3} ms, p95 {:.3} ms over {RUNS} runs",
        pipeline.stages.len(),
        pipeline.actions().count(),
        fastest.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
    );
}
