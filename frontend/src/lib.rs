//! The browser entry point: hydrates the server-rendered `app` into a live Leptos app.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// Validations per timed sample: browsers round `performance.now()` to 0.1 ms without
/// cross-origin isolation, too coarse for one validation.
const BATCH: u32 = 10;

/// Times the editor's validator inside the browser on CodePipeline's largest pipeline (50
/// stages, 500 actions): `runs` samples of `BATCH` validations, answered as JSON with the
/// fastest, median and p95 per validation in milliseconds. `scripts/bench-editor` calls it on
/// the release bundle.
#[wasm_bindgen]
pub fn bench_validation(runs: u32) -> String {
    let pipeline = model::sample::largest_pipeline();
    let Some(clock) = web_sys::window().and_then(|w| w.performance()) else {
        return r#"{"error": "no performance clock"}"#.to_string();
    };
    let mut timings: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = clock.now();
            for _ in 0..BATCH {
                std::hint::black_box(model::validate(std::hint::black_box(&pipeline)));
            }
            (clock.now() - start) / f64::from(BATCH)
        })
        .collect();
    timings.sort_by(f64::total_cmp);
    let at = |fraction: f64| timings[((timings.len() - 1) as f64 * fraction) as usize];
    format!(
        r#"{{"stages": {}, "actions": {}, "runs": {}, "fastest_ms": {:.3}, "median_ms": {:.3}, "p95_ms": {:.3}}}"#,
        pipeline.stages.len(),
        pipeline.actions().count(),
        timings.len(),
        at(0.0),
        at(0.5),
        at(0.95)
    )
}
