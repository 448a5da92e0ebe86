//! The three browser engines the tests run in: Chromium (Blink), Firefox (Gecko) and WebKit
//! (Safari's engine, as WebKitGTK's MiniBrowser). Each is driven over WebDriver by a driver from
//! Debian or crates.io that setup installs; nothing is downloaded by a test tool.
//!
//! - The store's contract suite and the lab's browser tests run in each through
//!   wasm-bindgen-test-runner, which picks the driver from an environment variable.
//! - Chromium's end-to-end tests are Playwright's (tests/e2e). Playwright cannot drive the stock
//!   Firefox and WebKit builds, so their pass (tests/engines) runs under Playwright's test runner
//!   but drives the browser with WebdriverIO, through the driver the pass starts itself.

use std::fmt;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::setup::{self, CHROMEDRIVER, WEBKIT_DRIVER, XVFB_RUN};
use crate::{Error, Project, Result};

/// A browser engine the tests run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Debian's chromium with chromedriver.
    Chromium,
    /// Debian's firefox-esr with geckodriver.
    Firefox,
    /// WebKitGTK's MiniBrowser with WebKitWebDriver, on a virtual display.
    WebKit,
}

impl Engine {
    /// Every engine, in the order the stages run them.
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];

    /// The engine a `--engine` value names (`chromium`, `firefox`, `webkit`).
    pub fn parse(name: &str) -> Option<Engine> {
        Engine::ALL
            .into_iter()
            .find(|engine| engine.key() == name.to_ascii_lowercase())
    }

    /// The lower-case name used on the command line and by tests/engines.
    pub fn key(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// wasm-bindgen-test-runner for this engine: `cargo` (already holding `test … --target
    /// wasm32`) gets the variables the runner reads, wrapped in xvfb-run for WebKit.
    pub fn wasm_test_command(self, project: &Project, cargo: Command) -> Result<Command> {
        let mut command = match self {
            Engine::WebKit => {
                // WebKitGTK has no headless mode: the driver and browser get a virtual display.
                let mut xvfb = project.command(XVFB_RUN);
                xvfb.args(["-a", "-s", "-screen 0 1280x900x24"])
                    .arg(cargo.get_program())
                    .args(cargo.get_args());
                for (key, value) in cargo.get_envs() {
                    match value {
                        Some(value) => xvfb.env(key, value),
                        None => xvfb.env_remove(key),
                    };
                }
                xvfb
            }
            _ => cargo,
        };
        // The runner takes the first driver variable it finds; clear any a shell left behind.
        for driver in [
            "GECKODRIVER",
            "SAFARIDRIVER",
            "CHROMEDRIVER",
            "MSEDGEDRIVER",
        ] {
            command
                .env_remove(driver)
                .env_remove(format!("{driver}_REMOTE"));
        }
        command.env_remove("WASM_BINDGEN_TEST_WEBDRIVER_JSON");
        match self {
            Engine::Chromium => {
                // Headless flags for both crates (cargo runs each test in its crate's folder).
                command.env("CHROMEDRIVER", CHROMEDRIVER).env(
                    "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                    project.path("crates/store/webdriver.json"),
                );
            }
            Engine::Firefox => {
                command.env("GECKODRIVER", setup::geckodriver()?).env(
                    "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
                    project.path("tests/engines/firefox.json"),
                );
            }
            Engine::WebKit => {
                // The runner knows WebKit only as Safari's safaridriver and then asks for a
                // session with no capabilities; WebKitWebDriver answers that with its default
                // browser, MiniBrowser in automation mode (the same one tests/engines/webkit.json
                // names for the end-to-end pass).
                command.env("SAFARIDRIVER", WEBKIT_DRIVER);
            }
        }
        Ok(command)
    }

    /// The end-to-end pass over the Pages build in Firefox or WebKit: Playwright's runner with
    /// tests/engines/playwright.config.ts, whose fixture starts this engine's driver.
    pub fn e2e_command(self, project: &Project) -> Result<Command> {
        if self == Engine::Chromium {
            return Err(Error::new(
                "Chromium's end-to-end tests are Playwright's own (tests/e2e), not tests/engines",
            ));
        }
        let mut command = project.command(project.path("node_modules/.bin/playwright"));
        command.args([
            "test",
            "--config",
            "tests/engines/playwright.config.ts",
            "--project",
            self.key(),
        ]);
        command.env("FOLDLAB_GECKODRIVER", setup::geckodriver()?);
        Ok(command)
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Chromium => "Chromium",
            Engine::Firefox => "Firefox",
            Engine::WebKit => "WebKit",
        })
    }
}

/// Which engines a test run covers (all three unless `--engine` narrows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engines {
    chromium: bool,
    firefox: bool,
    webkit: bool,
}

impl Engines {
    /// All three engines.
    pub const ALL: Engines = Engines {
        chromium: true,
        firefox: true,
        webkit: true,
    };
    /// No engine (the start of a `--engine` list).
    pub const NONE: Engines = Engines {
        chromium: false,
        firefox: false,
        webkit: false,
    };

    /// Whether `engine` is in the set.
    pub fn has(self, engine: Engine) -> bool {
        match engine {
            Engine::Chromium => self.chromium,
            Engine::Firefox => self.firefox,
            Engine::WebKit => self.webkit,
        }
    }

    /// The set with `engine` added.
    pub fn with(mut self, engine: Engine) -> Engines {
        match engine {
            Engine::Chromium => self.chromium = true,
            Engine::Firefox => self.firefox = true,
            Engine::WebKit => self.webkit = true,
        }
        self
    }

    /// The engines in the set, in [`Engine::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Engine> {
        Engine::ALL
            .into_iter()
            .filter(move |engine| self.has(*engine))
    }
}

/// How long something took, as `1 min 05 s` or `42 s`.
pub fn duration(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs();
    if seconds >= 60 {
        format!("{} min {:02} s", seconds / 60, seconds % 60)
    } else {
        format!("{seconds} s")
    }
}

/// Runs `work` and returns its result with the time it took.
pub fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let result = work();
    (result, start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_named_in_lower_case_on_the_command_line() {
        assert_eq!(Engine::parse("firefox"), Some(Engine::Firefox));
        assert_eq!(Engine::parse("WebKit"), Some(Engine::WebKit));
        assert_eq!(Engine::parse("chromium"), Some(Engine::Chromium));
        assert_eq!(Engine::parse("safari"), None);
    }

    #[test]
    fn a_set_keeps_the_order_the_stages_run_in() {
        let set = Engines::NONE.with(Engine::WebKit).with(Engine::Chromium);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Engine::Chromium, Engine::WebKit]
        );
        assert!(!set.has(Engine::Firefox));
        assert_eq!(Engines::ALL.iter().count(), 3);
    }

    #[test]
    fn durations_read_as_minutes_and_seconds() {
        assert_eq!(duration(Duration::from_millis(42_900)), "42 s");
        assert_eq!(duration(Duration::from_secs(65)), "1 min 05 s");
    }
}
