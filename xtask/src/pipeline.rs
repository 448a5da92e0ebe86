//! `cargo xtask test`: the one command CI runs. Setup, then (a) native tests, (b) the store's and
//! the lab's browser tests in Chromium, Firefox and WebKit, (c) a release build for the GitHub
//! Pages sub-path, (d) Playwright against that build in Chromium and the pass over every view in
//! Firefox and WebKit (tests/engines), then the size figures; it stops at the first failure,
//! except that (d) runs in every engine before it fails.
//!
//! CI reads the last summary line of the log, so the very last line printed on success or e2e
//! failure is Playwright's `e2e: N passed, M failed` (repeated after the size table and the
//! engines' times, which name each failed test: CI keeps only the end of the log).

use std::path::Path;

use crate::cli::{TestStages, PAGES_PUBLIC_URL};
use crate::engines::{duration, timed, Engine};
use crate::process::{check_status, describe, run, run_tee, say};
use crate::setup::{self, WASM_TARGET};
use crate::{build, size, Error, Project, Result};

/// Where stage (c) builds; the e2e static server serves `dist-pages` so the app lives under
/// `/foldlab/` as on GitHub Pages.
pub const PAGES_DIST: &str = "dist-pages/foldlab";

/// Runs the selected stages.
pub fn test(project: &Project, stages: TestStages) -> Result<()> {
    if stages.browser || stages.e2e {
        setup::all(project)?;
    } else {
        setup::build_tools(project)?;
    }
    // One line per engine and stage, repeated together before the last line.
    let mut times = Vec::new();
    if stages.native {
        stage("a", "native tests");
        native(project)?;
    }
    if stages.browser {
        for engine in stages.engines.iter() {
            stage(
                "b",
                &format!("browser tests of the store and the lab in {engine}"),
            );
            let (mut outcome, mut took) = timed(|| browser(project, engine));
            let mut verdict = if outcome.is_ok() { "passed" } else { "failed" };
            if outcome.is_err() && engine == Engine::WebKit {
                // WebKitGTK 2.50 now and then breaks one run of this stage by itself: in about
                // 380 runs looped on 5 December 2026, one test hung and one tripped the wasm
                // allocator's own heap check in a localStorage test (no IndexedDB involved); a
                // different test each time, and never in Chromium or Firefox. So a failed run is
                // run once more, with its output left above: a failure of ours fails twice.
                say("engines: WebKit: browser tests failed; running them once more");
                let (again, again_took) = timed(|| browser(project, engine));
                took += again_took;
                if again.is_ok() {
                    verdict = "passed on a second run (the first failed, see above)";
                }
                outcome = again;
            }
            times.push(format!(
                "engines: {engine}: browser tests {verdict} in {}",
                duration(took)
            ));
            say(times.last().expect("just pushed"));
            outcome?;
        }
    }
    if stages.build {
        stage("c", &format!("release build for {PAGES_PUBLIC_URL}"));
        build::release(project, PAGES_PUBLIC_URL, Path::new(PAGES_DIST))?;
    }
    if !stages.e2e {
        // Figures of a build from an earlier run would be misleading.
        if stages.build {
            size_figures(project);
        }
        times.iter().for_each(say);
        say("test: e2e skipped");
        return Ok(());
    }
    let mut summary = None;
    let mut outcome = Ok(());
    if stages.engines.has(Engine::Chromium) {
        stage("d", "Playwright end-to-end tests in Chromium");
        let ((line, failures, result), took) = timed(|| e2e(project, None));
        times.push(format!(
            "engines: Chromium: end-to-end (Playwright) {} in {}",
            counts(line.as_deref()),
            duration(took)
        ));
        times.extend(failures);
        outcome = match (&line, result) {
            (None, Ok(())) => Err(Error::new(
                "Playwright succeeded but printed no `e2e: N passed, M failed` line: is \
                 tests/e2e/support/summary-reporter.ts in playwright.config.ts's reporters?",
            )),
            (_, result) => result,
        };
        summary = line;
    }
    for engine in stages.engines.iter().filter(|e| *e != Engine::Chromium) {
        stage(
            "d",
            &format!("end-to-end pass in {engine} (tests/engines, WebdriverIO)"),
        );
        let ((line, failures, result), took) = timed(|| e2e(project, Some(engine)));
        let result = match (&line, result) {
            (None, Ok(())) => Err(Error::new(format!(
                "the {engine} pass printed no `e2e: N passed, M failed` line"
            ))),
            (_, result) => result,
        };
        times.push(format!(
            "engines: {engine}: end-to-end {} in {}",
            counts(line.as_deref()),
            duration(took)
        ));
        times.extend(failures);
        if let Err(error) = result {
            eprintln!("error: {error}");
            if outcome.is_ok() {
                outcome = Err(error.already_reported());
            }
        }
    }
    if outcome.is_ok() {
        size_figures(project);
    }
    times.iter().for_each(say);
    match (summary, outcome) {
        (Some(summary), Ok(())) => {
            say(summary);
            Ok(())
        }
        (Some(summary), Err(error)) => {
            if !error.is_reported() {
                eprintln!("error: {error}");
            }
            // Last, for CI.
            say(summary);
            Err(error.already_reported())
        }
        (None, outcome) => outcome,
    }
}

fn stage(letter: &str, what: &str) {
    say(format!("test: ({letter}) {what}"));
}

/// (a) Unit and integration tests of the native crates. `--lib --tests` leaves out doc-tests,
/// whose `Doc-tests … 0 passed` trailer would otherwise be the last summary line, and naming
/// the packages keeps the Leptos app (root package) from being compiled natively.
fn native(project: &Project) -> Result<()> {
    run(project.cargo().args([
        "test",
        "-p",
        "foldlab-domain",
        "-p",
        "foldlab-store",
        "-p",
        "foldlab-engine",
        "-p",
        "foldlab-lab",
        "-p",
        "foldlab-designs",
        "-p",
        "xtask",
        "--lib",
        "--tests",
    ]))
}

/// (b) The wasm-bindgen tests, run by wasm-bindgen-test-runner (the cargo runner for wasm32 in
/// .cargo/config.toml) through the engine's WebDriver: the store's contract suite and backends,
/// and the lab's tests of what sits above them (tabs racing through the engine, salvage, the
/// simulator).
fn browser(project: &Project, engine: Engine) -> Result<()> {
    let mut cargo = project.cargo();
    cargo.args([
        "test",
        "-p",
        "foldlab-store",
        "-p",
        "foldlab-lab",
        "--target",
        WASM_TARGET,
        "--features",
        "foldlab-store/contract",
        "--tests",
    ]);
    let mut command = engine.wasm_test_command(project, cargo)?;
    // IndexedDB tests in a cold headless browser can exceed the 20 s default.
    run(command.env("WASM_BINDGEN_TEST_TIMEOUT", "120"))
}

/// (d) Playwright against the Pages build; its webServer serves dist-pages like GitHub Pages.
/// `None` runs tests/e2e in Chromium, an engine runs tests/engines in it. Returns the summary
/// line the custom reporter printed (if any), its lines naming each test that failed or passed
/// on a second try, and whether the run passed.
fn e2e(project: &Project, engine: Option<Engine>) -> (Option<String>, Vec<String>, Result<()>) {
    if !project.path(PAGES_DIST).join("index.html").is_file() {
        return (
            None,
            Vec::new(),
            Err(Error::new(format!(
                "{PAGES_DIST}/index.html is missing: run the build stage first"
            ))),
        );
    }
    let mut playwright = match engine {
        Some(engine) => match engine.e2e_command(project) {
            Ok(command) => command,
            Err(error) => return (None, Vec::new(), Err(error)),
        },
        None => {
            // The local binary (what `npx playwright` would run) without npx's registry fallback.
            let mut command = project.command(project.path("node_modules/.bin/playwright"));
            command.arg("test");
            command
        }
    };
    let mut summary = None;
    let mut failures = Vec::new();
    let shown = describe(&playwright);
    let status = run_tee(&mut playwright, |line| {
        if parse_e2e_summary(line).is_some() {
            summary = Some(line.trim().to_string());
        } else if NAMED_TESTS.iter().any(|p| line.trim_start().starts_with(p)) {
            failures.push(format!("  {}", line.trim()));
        }
    });
    let outcome = status.and_then(|status| check_status(&shown, status));
    (summary, failures, outcome)
}

/// How the summary reporter starts a line naming a test that failed, or passed only when tried
/// again (CI runs each failed test a second time, see playwright.config.ts).
const NAMED_TESTS: [&str; 2] = ["e2e failed: ", "e2e passed on a second try: "];

/// `N passed, M failed` from a summary line, for the engines' lines.
fn counts(summary: Option<&str>) -> String {
    match summary.and_then(parse_e2e_summary) {
        Some((passed, failed)) => format!("{passed} passed, {failed} failed"),
        None => "without a summary".to_string(),
    }
}

/// `(passed, failed)` from a line `e2e: N passed, M failed`.
pub fn parse_e2e_summary(line: &str) -> Option<(u64, u64)> {
    let rest = line.trim().strip_prefix("e2e:")?.trim_start();
    let (passed, failed) = rest.split_once(", ")?;
    let passed = passed.strip_suffix(" passed")?.parse().ok()?;
    let failed = failed.strip_suffix(" failed")?.parse().ok()?;
    Some((passed, failed))
}

/// The size table of the Pages build, for information: a failure to measure is reported but
/// does not fail the tests, and the budget is enforced by `cargo xtask size`.
fn size_figures(project: &Project) {
    let dist = project.path(PAGES_DIST);
    match size::measure(&dist) {
        Ok(rows) => {
            for line in size::render(&rows).lines() {
                say(line);
            }
            say(size::budget(&rows).0);
        }
        Err(error) => say(format!("size: not measured: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reporter_summary_line_is_recognised() {
        assert_eq!(parse_e2e_summary("e2e: 2 passed, 0 failed"), Some((2, 0)));
        assert_eq!(
            parse_e2e_summary("  e2e: 0 passed, 3 failed\n"),
            Some((0, 3))
        );
    }

    #[test]
    fn an_engine_line_repeats_the_counts_or_says_there_were_none() {
        assert_eq!(
            counts(Some("e2e: 7 passed, 1 failed")),
            "7 passed, 1 failed"
        );
        assert_eq!(counts(None), "without a summary");
    }

    #[test]
    fn other_summaries_are_not_the_e2e_line() {
        assert_eq!(parse_e2e_summary("  2 passed (1.7s)"), None);
        assert_eq!(
            parse_e2e_summary("test result: ok. 5 passed; 0 failed; 0 ignored"),
            None
        );
        assert_eq!(parse_e2e_summary("e2e: many passed, 0 failed"), None);
    }
}
