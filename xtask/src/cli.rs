//! Command-line parsing for `cargo xtask`, std only: the grammar is small enough that a parser
//! crate would cost more compile time than it saves.

use crate::engines::{Engine, Engines};
use crate::{Error, Result};

/// The public URL GitHub Pages serves a project site under; the test pipeline builds for it so
/// that the end-to-end tests exercise the same asset paths as the deployed site.
pub const PAGES_PUBLIC_URL: &str = "/foldlab/";

/// What `cargo xtask test` runs; each stage can be skipped while iterating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestStages {
    /// (a) native unit and integration tests of the domain, store and xtask crates.
    pub native: bool,
    /// (b) the store's and the lab's wasm-bindgen tests in each engine.
    pub browser: bool,
    /// (c) the release build for the Pages sub-path.
    pub build: bool,
    /// (d) end-to-end tests against that build: Playwright's in Chromium, then the pass over
    /// every view in Firefox and WebKit.
    pub e2e: bool,
    /// The engines stages (b) and (d) run in.
    pub engines: Engines,
}

impl TestStages {
    /// Every stage, as CI runs it.
    pub const ALL: TestStages = TestStages {
        native: true,
        browser: true,
        build: true,
        e2e: true,
        engines: Engines::ALL,
    };
}

/// A parsed `cargo xtask` invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// Install whatever tool is missing or at the wrong version.
    Setup,
    /// Setup, then `trunk serve` on 127.0.0.1:8080.
    Serve,
    /// Release build into `dist` for `public_url`, plus 404.html.
    Build { public_url: String, dist: String },
    /// Release build for `/` and the raw/gzip/brotli size table with the wasm budget.
    Size,
    /// The whole test pipeline (or the selected stages).
    Test(TestStages),
    /// The performance figures: the benchmark page in headless Chromium plus the native fold.
    Bench {
        /// Small sizes, for a quick look.
        quick: bool,
    },
    /// Print usage.
    Help,
}

/// Usage text printed by `cargo xtask help` and after an argument error.
pub const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  setup                 install missing tools: wasm32 target, trunk, wasm-bindgen-cli,
                        chromium + chromedriver, firefox-esr, webkit2gtk-driver + xvfb
                        (apt), geckodriver (cargo install), node packages (npm ci)
  serve                 setup, then trunk serve on http://127.0.0.1:8080/
  build [--public-url URL] [--dist DIR]
                        release build (default: --public-url / --dist dist) and 404.html
  size                  release build for / and a raw/gzip/brotli size table;
                        fails only when the first download is over 250 KB brotli
                        or 320 KB gzip
  test [flags]          setup, then (a) native tests, (b) browser tests of the store
                        and the lab in Chromium, Firefox and WebKit, (c) release build
                        for /foldlab/ into dist-pages/foldlab, (d) Playwright e2e in
                        Chromium and the pass in tests/engines in Firefox and WebKit,
                        then the size figures
     --skip-native --skip-browser --skip-build --skip-e2e
                        leave out a stage while iterating
     --engine NAME      run (b) and (d) only in chromium, firefox or webkit (repeatable)
     --e2e-only         only (c) and (d)
     --e2e-no-build     only (d), against the existing dist-pages/foldlab
  bench [--quick]       setup, release build into dist-bench/foldlab, the first download
                        and its floor (tests/bench/floor), the native fold
                        (criterion), then /bench and cold starts in headless Chromium:
                        one table, target/bench/bench.json (docs/benchmarks.json after a
                        full run); --quick uses small sizes
";

/// Parses the arguments after `cargo xtask`.
pub fn parse<I, S>(args: I) -> Result<Task>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut args = args.into_iter().map(Into::into);
    let Some(task) = args.next() else {
        return Ok(Task::Help);
    };
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "setup" => no_options("setup", &rest).map(|()| Task::Setup),
        "serve" => no_options("serve", &rest).map(|()| Task::Serve),
        "size" => no_options("size", &rest).map(|()| Task::Size),
        "build" => parse_build(&rest),
        "test" => parse_test(&rest),
        "bench" => match rest.as_slice() {
            [] => Ok(Task::Bench { quick: false }),
            [flag] if flag == "--quick" => Ok(Task::Bench { quick: true }),
            [other, ..] => Err(Error::new(format!("`bench` does not know `{other}`"))),
        },
        "help" | "-h" | "--help" => Ok(Task::Help),
        other => Err(Error::new(format!("unknown task `{other}`"))),
    }
}

fn no_options(task: &str, rest: &[String]) -> Result<()> {
    match rest.first() {
        None => Ok(()),
        Some(arg) => Err(Error::new(format!("`{task}` takes no argument `{arg}`"))),
    }
}

fn parse_build(rest: &[String]) -> Result<Task> {
    let mut public_url = String::from("/");
    let mut dist = String::from("dist");
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        let target = match flag {
            "--public-url" => &mut public_url,
            "--dist" => &mut dist,
            _ => return Err(Error::new(format!("`build` does not know `{arg}`"))),
        };
        *target = match inline {
            Some(value) => value,
            None => args
                .next()
                .cloned()
                .ok_or_else(|| Error::new(format!("`{flag}` needs a value")))?,
        };
    }
    if dist.is_empty() {
        return Err(Error::new("`--dist` must not be empty"));
    }
    Ok(Task::Build {
        public_url: normalize_public_url(&public_url),
        dist,
    })
}

fn parse_test(rest: &[String]) -> Result<Task> {
    let mut stages = TestStages::ALL;
    let mut named = Engines::NONE;
    let mut args = rest.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--engine" => {
                let name = args
                    .next()
                    .ok_or_else(|| Error::new("`--engine` needs a value"))?;
                let engine = Engine::parse(name).ok_or_else(|| {
                    Error::new(format!(
                        "unknown engine `{name}`: chromium, firefox or webkit"
                    ))
                })?;
                named = named.with(engine);
            }
            "--skip-native" => stages.native = false,
            "--skip-browser" => stages.browser = false,
            "--skip-build" => stages.build = false,
            "--skip-e2e" => stages.e2e = false,
            "--e2e-only" => {
                stages.native = false;
                stages.browser = false;
            }
            "--e2e-no-build" => {
                stages.native = false;
                stages.browser = false;
                stages.build = false;
            }
            other => return Err(Error::new(format!("`test` does not know `{other}`"))),
        }
    }
    if named != Engines::NONE {
        stages.engines = named;
    }
    Ok(Task::Test(stages))
}

/// Trunk joins the public URL with asset names, so it must start and end with `/`
/// (`foldlab` and `/foldlab` both mean `/foldlab/`).
pub fn normalize_public_url(url: &str) -> String {
    let trimmed = url.trim_matches('/');
    if trimmed.is_empty() {
        String::from("/")
    } else {
        format!("/{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str], expected: Result<Task>) {
        assert_eq!(parse(args.iter().copied()), expected, "args: {args:?}");
    }

    #[test]
    fn no_task_prints_help() {
        check(&[], Ok(Task::Help));
    }

    #[test]
    fn build_defaults_to_the_root_url_and_dist() {
        check(
            &["build"],
            Ok(Task::Build {
                public_url: "/".into(),
                dist: "dist".into(),
            }),
        );
    }

    #[test]
    fn build_accepts_separate_and_inline_values() {
        let expected = Ok(Task::Build {
            public_url: "/foldlab/".into(),
            dist: "dist-pages-ci".into(),
        });
        check(
            &[
                "build",
                "--public-url",
                "/foldlab/",
                "--dist",
                "dist-pages-ci",
            ],
            expected.clone(),
        );
        check(
            &["build", "--public-url=foldlab", "--dist=dist-pages-ci"],
            expected,
        );
    }

    #[test]
    fn a_flag_without_its_value_is_an_error() {
        check(
            &["build", "--dist"],
            Err(Error::new("`--dist` needs a value")),
        );
    }

    #[test]
    fn public_urls_always_start_and_end_with_a_slash() {
        assert_eq!(normalize_public_url(""), "/");
        assert_eq!(normalize_public_url("/"), "/");
        assert_eq!(normalize_public_url("foldlab"), "/foldlab/");
        assert_eq!(normalize_public_url("/foldlab"), "/foldlab/");
        assert_eq!(normalize_public_url("/a/b/"), "/a/b/");
    }

    #[test]
    fn test_flags_select_stages() {
        check(&["test"], Ok(Task::Test(TestStages::ALL)));
        check(
            &["test", "--e2e-only"],
            Ok(Task::Test(TestStages {
                native: false,
                browser: false,
                build: true,
                e2e: true,
                engines: Engines::ALL,
            })),
        );
        check(
            &["test", "--skip-e2e", "--skip-browser"],
            Ok(Task::Test(TestStages {
                native: true,
                browser: false,
                build: true,
                e2e: false,
                engines: Engines::ALL,
            })),
        );
    }

    #[test]
    fn engine_flags_narrow_the_browser_stages_to_the_named_engines() {
        check(
            &[
                "test",
                "--e2e-no-build",
                "--engine",
                "firefox",
                "--engine",
                "webkit",
            ],
            Ok(Task::Test(TestStages {
                native: false,
                browser: false,
                build: false,
                e2e: true,
                engines: Engines::NONE.with(Engine::Firefox).with(Engine::WebKit),
            })),
        );
        check(
            &["test", "--engine", "opera"],
            Err(Error::new(
                "unknown engine `opera`: chromium, firefox or webkit",
            )),
        );
        check(
            &["test", "--engine"],
            Err(Error::new("`--engine` needs a value")),
        );
    }

    #[test]
    fn bench_takes_an_optional_quick_flag() {
        check(&["bench"], Ok(Task::Bench { quick: false }));
        check(&["bench", "--quick"], Ok(Task::Bench { quick: true }));
        check(
            &["bench", "--fast"],
            Err(Error::new("`bench` does not know `--fast`")),
        );
    }

    #[test]
    fn unknown_tasks_and_flags_are_errors() {
        check(&["deploy"], Err(Error::new("unknown task `deploy`")));
        check(
            &["test", "--fast"],
            Err(Error::new("`test` does not know `--fast`")),
        );
        check(
            &["size", "--all"],
            Err(Error::new("`size` takes no argument `--all`")),
        );
    }
}
