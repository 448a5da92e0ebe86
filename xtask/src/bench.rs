//! `cargo xtask bench`: the performance figures of issue 5. Installs what is missing, makes a
//! release build of its own (dist-bench/foldlab), measures the shipped size (the files, then the
//! first download as the browser fetches it, `tests/bench/download.mjs`, and the floor under it,
//! `tests/bench/floor`), runs the native criterion fold, then `tests/bench/run.mjs`, which serves
//! the build, runs `/bench` and the cold starts in headless Chromium, prints the one table and
//! writes target/bench/bench.json (copied to docs/benchmarks.json after a full run).

use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::PAGES_PUBLIC_URL;
use crate::process::{run, say};
use crate::{build, setup, size, split, Context, Error, Project, Result};

/// Where the benchmark's build goes (served under /foldlab/ like the Pages build).
pub const BENCH_DIST: &str = "dist-bench/foldlab";

/// The directory the benchmark's server serves (`BENCH_DIST` is its `foldlab/`).
const BENCH_ROOT: &str = "dist-bench";

/// The port the benchmark's server listens on unless FOLDLAB_E2E_PORT says otherwise.
const DEFAULT_PORT: &str = "4180";

/// How many events the native fold benchmark folds (`HISTORY` in benches/throughput/native.rs).
const NATIVE_FOLD_EVENTS: u64 = 1_000_000;

/// The criterion benchmark whose median is the native side of the fold figure.
const FOLD_BENCH: &str = "customer with 1,000,000 events/evolve only (events already decoded)";

/// Runs the benchmark; `quick` uses small sizes in the page.
pub fn bench(project: &Project, quick: bool) -> Result<()> {
    setup::all(project)?;
    say("bench: release build for the benchmark");
    let dist = build::release(project, PAGES_PUBLIC_URL, Path::new(BENCH_DIST))?;
    let rows = size::measure(&dist)?;
    for line in size::render(&rows).lines() {
        say(line);
    }
    let shipped: u64 = rows.iter().map(|r| r.brotli).sum();
    say(format!(
        "bench: shipped (wasm + JS of every view, brotli): {}",
        size::kb(shipped)
    ));
    let out_dir = split::target_dir(project).join("bench");
    let port = std::env::var("FOLDLAB_E2E_PORT").unwrap_or_else(|_| DEFAULT_PORT.to_string());
    say("bench: the first download, as the browser fetches it (br, then gzip)");
    let download = out_dir.join("download.json");
    run(
        first_visit(project, &port, &project.path(BENCH_ROOT), &download)
            .env("DOWNLOAD_BUDGET_BR", size::FIRST_BROTLI_BUDGET.to_string())
            .env("DOWNLOAD_BUDGET_GZIP", size::FIRST_GZIP_BUDGET.to_string()),
    )?;

    let floor_site = floor(project)?;
    say("bench: the floor's first visit, as the browser fetches it (br, then gzip), and a command");
    let floor_download = out_dir.join("floor.json");
    run(first_visit(project, &port, &floor_site, &floor_download).env("DOWNLOAD_FLOOR", "1"))?;

    say("bench: the native fold (criterion)");
    let criterion_home = out_dir.join("criterion");
    run(project
        .cargo()
        .args(["bench", "-p", "foldlab-lab", "--bench", "throughput"])
        .env("FOLDLAB_BENCH", "fold")
        .env("CRITERION_HOME", &criterion_home))?;
    let estimates = criterion_home
        .join(FOLD_BENCH)
        .join("new")
        .join("estimates.json");
    let text =
        fs::read_to_string(&estimates).context(format!("reading {}", estimates.display()))?;
    let median_ns = median_point_estimate(&text)
        .ok_or_else(|| Error::new(format!("no median in {}", estimates.display())))?;
    let per_event = median_ns / NATIVE_FOLD_EVENTS as f64;
    say(format!(
        "bench: native fold: {:.1} ms for {NATIVE_FOLD_EVENTS} events ({per_event:.2} ns per event)",
        median_ns / 1e6
    ));

    let mode = if quick { "quick" } else { "full" };
    let out = out_dir.join("bench.json");
    run(project
        .command("node")
        .arg(project.path("tests/bench/run.mjs"))
        .env("PORT", port)
        .env("BENCH_MODE", mode)
        .env("BENCH_OUT", &out)
        .env("BENCH_PROFILE", out_dir.join("profile"))
        .env("NATIVE_FOLD_NS", format!("{per_event}"))
        .env("NATIVE_FOLD_EVENTS", NATIVE_FOLD_EVENTS.to_string())
        .env("SHIPPED_BROTLI", shipped.to_string())
        .env("FLOOR_JSON", &floor_download)
        .env("DOWNLOAD_JSON", &download))?;
    if !quick {
        let docs = project.path("docs/benchmarks.json");
        fs::copy(&out, &docs).context(format!(
            "copying {} to {}",
            out.display(),
            docs.display()
        ))?;
        say(format!("bench: copied to {}", docs.display()));
    }
    Ok(())
}

/// Builds `tests/bench/floor` (the smallest app that opens the store and the engine, routes
/// between two pages and takes a command) as the site's modules are built (release profile, the
/// Rust flags of .cargo/config.toml, wasm-bindgen, its glue minified, the glue's imports given
/// short names, then wasm-opt `-Oz`) but unsplit, so without
/// the split build's `--emit-relocs`, whose sections only the splitter removes. Returns the
/// directory to serve: the floor is under its `foldlab/`, with a page that starts it, as the site
/// is under dist-bench.
fn floor(project: &Project) -> Result<PathBuf> {
    say("bench: release build of tests/bench/floor");
    run(split::release_wasm(project, "foldlab-floor")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS"))?;
    let target = split::target_dir(project);
    let root = target.join("bench").join("floor-site");
    if root.exists() {
        fs::remove_dir_all(&root).context(format!("clearing {}", root.display()))?;
    }
    let site = root.join("foldlab");
    fs::create_dir_all(&site).context(format!("creating {}", site.display()))?;
    run(project
        .command("wasm-bindgen")
        .args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(&site)
        .arg(target.join("wasm32-unknown-unknown/release/foldlab-floor.wasm")))?;
    split::minify(project, &[site.join("foldlab-floor.js")])?;
    crate::imports::shorten_in(&site, "foldlab-floor")?;
    split::optimize(project, &[site.join("foldlab-floor_bg.wasm")])?;
    for (name, body) in [("index.html", FLOOR_PAGE), ("404.html", FLOOR_PAGE)] {
        let page = site.join(name);
        fs::write(&page, body).context(format!("writing {}", page.display()))?;
    }
    Ok(root)
}

/// `tests/bench/download.mjs` on the site served from `root` (its `foldlab/`), writing `out`.
fn first_visit(project: &Project, port: &str, root: &Path, out: &Path) -> std::process::Command {
    let mut node = project.command("node");
    node.arg(project.path("tests/bench/download.mjs"))
        .env("PORT", port)
        .env("FOLDLAB_DIST_ROOT", root)
        .env("DOWNLOAD_OUT", out);
    node
}

/// The floor's page: it starts the module and asks for nothing else (no icon, no stylesheet).
const FLOOR_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Foldlab floor</title>\n<link rel=\"icon\" href=\"data:,\">\n<script type=\"module\">import init from '/foldlab/foldlab-floor.js'; init();</script>\n</head>\n<body></body>\n</html>\n";

/// The median's point estimate (ns) in criterion's `estimates.json`.
pub fn median_point_estimate(json: &str) -> Option<f64> {
    let median = &json[json.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))
        .unwrap_or(value.len());
    value[..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_read_from_criterion_estimates() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":54705233.15,"standard_error":1.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":3.0,"upper_bound":4.0},"point_estimate":57370659.09,"standard_error":2.0}}"#;
        assert_eq!(median_point_estimate(json), Some(57370659.09));
        assert_eq!(median_point_estimate("{}"), None);
    }
}
