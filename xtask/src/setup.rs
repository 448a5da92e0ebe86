//! `cargo xtask setup`: brings a machine that has only rustup, gcc, python3, node and npm to one
//! that can build, serve and test Foldlab, installing each tool only when it is missing or at
//! the wrong version (CI runs on the same machine, so a second run is quick).
//!
//! The versions are the ones proven together in /work/shared/TOOLCHAIN.md: Trunk 0.21.14 (0.22
//! needs a newer rustc), wasm-bindgen-cli exactly equal to the `wasm-bindgen` crate in
//! Cargo.lock (any difference and the generated JS does not match the wasm), wasm-opt from npm's
//! binaryen 132 (Debian's binaryen 108 silently breaks the app), Debian's chromium, firefox-esr and
//! webkit2gtk-driver (with xvfb), and geckodriver 0.37.1 from crates.io.

use std::fs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::process::{probe, run, say};
use crate::{Context, Error, Project, Result};

/// The Trunk release that builds with Rust 1.95.
pub const TRUNK_VERSION: &str = "0.21.14";
/// The binaryen release Trunk.toml's `wasm_opt = "version_132"` asks for.
pub const WASM_OPT_VERSION: &str = "132";
/// The compilation target of the app and of the browser tests.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where Debian's packages put the browser and its WebDriver; Playwright and
/// wasm-bindgen-test-runner are pointed at these paths.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Firefox ESR, the Gecko engine the tests run in.
pub const FIREFOX: &str = "/usr/bin/firefox-esr";
/// Firefox's WebDriver server (crates.io; Debian does not package it).
pub const GECKODRIVER_VERSION: &str = "0.37.1";
/// WebKitGTK's WebDriver server (Debian's webkit2gtk-driver); it starts [`MINIBROWSER`].
pub const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";
/// WebKitGTK's small browser: the WebKit engine (Safari's) the tests run in.
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
/// Runs a program with a virtual X display (WebKitGTK has no headless mode).
pub const XVFB_RUN: &str = "/usr/bin/xvfb-run";

/// Everything: build tools, Chromium, and the other two engines.
pub fn all(project: &Project) -> Result<()> {
    build_tools(project)?;
    browser()?;
    engines(project)
}

/// What `trunk build` needs: the wasm target, Trunk, wasm-bindgen-cli and the node packages
/// (wasm-opt; Playwright comes along from the same lockfile). No browser, so the Pages workflow
/// can build without apt.
pub fn build_tools(project: &Project) -> Result<()> {
    require_node(project)?;
    let wasm_bindgen = wasm_bindgen_version(project)?;
    wasm_target(project)?;
    trunk(project)?;
    wasm_bindgen_cli(project, &wasm_bindgen)?;
    node_packages(project)
}

fn report(tool: &str, installed: bool) {
    let state = if installed {
        "installed"
    } else {
        "already present"
    };
    say(format!("setup: {tool}: {state}"));
}

fn require_node(project: &Project) -> Result<()> {
    for tool in ["node", "npm"] {
        if probe(project.command(tool).arg("--version")).is_none() {
            return Err(Error::new(format!(
                "`{tool} --version` failed: install Node.js 20 (with npm) first"
            )));
        }
    }
    Ok(())
}

fn wasm_target(project: &Project) -> Result<()> {
    let installed = probe(
        project
            .command("rustup")
            .args(["target", "list", "--installed"]),
    )
    .ok_or_else(|| {
        Error::new("`rustup target list --installed` failed: xtask needs a rustup toolchain")
    })?;
    let present = installed.lines().any(|line| line.trim() == WASM_TARGET);
    if !present {
        run(project
            .command("rustup")
            .args(["target", "add", WASM_TARGET]))?;
    }
    report(&format!("rust target {WASM_TARGET}"), !present);
    Ok(())
}

/// The version after the program name in `trunk --version` / `wasm-bindgen --version` output.
pub fn version_of(output: &str) -> Option<&str> {
    output.lines().next()?.split_whitespace().nth(1)
}

/// Installs a crate's binaries with `cargo install` unless `program --version` already
/// reports `version`.
fn cargo_tool(
    project: &Project,
    program: &str,
    krate: &str,
    version: &str,
    locked: bool,
) -> Result<()> {
    let current = probe(project.command(program).arg("--version"));
    let present = current.as_deref().and_then(version_of) == Some(version);
    if !present {
        let mut install = project.cargo();
        install.args(["install", krate, "--version", version]);
        if locked {
            install.arg("--locked");
        }
        // Outside the repository, so that its .cargo/config.toml (a wasm runner today, maybe a
        // default target tomorrow) cannot change how a host tool is built.
        install.current_dir(std::env::temp_dir());
        run(&mut install)?;
        let now = probe(project.command(program).arg("--version"));
        if now.as_deref().and_then(version_of) != Some(version) {
            return Err(Error::new(format!(
                "installed {krate} {version}, but `{program} --version` reports {:?}: \
                 is another {program} earlier on PATH?",
                now.unwrap_or_default()
            )));
        }
    }
    report(&format!("{krate} {version}"), !present);
    Ok(())
}

fn trunk(project: &Project) -> Result<()> {
    // --locked: Trunk's own lockfile is known to build with this toolchain.
    cargo_tool(project, "trunk", "trunk", TRUNK_VERSION, true)
}

fn wasm_bindgen_cli(project: &Project, version: &str) -> Result<()> {
    // Without --locked: the CLI's lockfile pins a webpki-roots release the registry here lacks.
    cargo_tool(project, "wasm-bindgen", "wasm-bindgen-cli", version, false)?;
    // The test runner ships in the same crate; check it too, since cargo runs it for wasm tests.
    if probe(project.command("wasm-bindgen-test-runner").arg("--version")).is_none() {
        return Err(Error::new(
            "wasm-bindgen-cli is installed but `wasm-bindgen-test-runner --version` fails",
        ));
    }
    Ok(())
}

/// The `wasm-bindgen` version pinned in Cargo.lock, after checking that Trunk.toml asks Trunk
/// for the same one (otherwise Trunk would try to download its own, which fails offline).
pub fn wasm_bindgen_version(project: &Project) -> Result<String> {
    let lock = fs::read_to_string(project.path("Cargo.lock")).context("reading Cargo.lock")?;
    let version = locked_version(&lock, "wasm-bindgen")?;
    let trunk_toml =
        fs::read_to_string(project.path("Trunk.toml")).context("reading Trunk.toml")?;
    match tools_setting(&trunk_toml, "wasm_bindgen") {
        Some(pinned) if pinned == version => Ok(version),
        Some(pinned) => Err(Error::new(format!(
            "Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has wasm-bindgen \
             {version}: set Trunk.toml's [tools] wasm_bindgen to \"{version}\""
        ))),
        None => Err(Error::new(format!(
            "Trunk.toml has no [tools] wasm_bindgen: add wasm_bindgen = \"{version}\""
        ))),
    }
}

/// The single version of `package` in a Cargo.lock (an error if there are none or several).
pub fn locked_version(lock: &str, package: &str) -> Result<String> {
    let mut versions: Vec<String> = Vec::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(value) = string_value(line, "name") {
            name = Some(value.to_string());
        } else if let Some(value) = string_value(line, "version") {
            if name.as_deref() == Some(package) && !versions.iter().any(|v| v == value) {
                versions.push(value.to_string());
            }
        }
    }
    match versions.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::new(format!("Cargo.lock has no package `{package}`"))),
        many => Err(Error::new(format!(
            "Cargo.lock has several versions of `{package}` ({}): the CLI can match only one",
            many.join(", ")
        ))),
    }
}

/// A `key = "value"` setting in the `[tools]` table of Trunk.toml.
pub fn tools_setting<'a>(toml: &'a str, key: &str) -> Option<&'a str> {
    let mut in_tools = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_tools = line == "[tools]";
        } else if in_tools {
            if let Some(value) = string_value(line, key) {
                return Some(value);
            }
        }
    }
    None
}

/// The value of a TOML line `key = "value"` (enough for Cargo.lock and our Trunk.toml).
fn string_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(key)?.trim_start();
    let rest = rest.strip_prefix('=')?.trim();
    rest.strip_prefix('"')?.split('"').next()
}

/// Chromium and its WebDriver from Debian, for the wasm-bindgen tests and Playwright (which
/// cannot download its own browser here).
pub fn browser() -> Result<()> {
    debian_packages(
        "chromium + chromium-driver",
        &["chromium", "chromium-driver"],
        &[CHROMIUM, CHROMEDRIVER],
    )
}

/// Firefox ESR and WebKit (MiniBrowser) with their WebDriver servers, and the virtual display
/// WebKitGTK needs: the other two engines the tests run in (see engines.rs).
pub fn engines(project: &Project) -> Result<()> {
    debian_packages(
        "firefox-esr + webkit2gtk-driver + xvfb",
        // xvfb-run needs xauth, which xvfb only recommends.
        &["firefox-esr", "webkit2gtk-driver", "xvfb", "xauth"],
        &[
            FIREFOX,
            WEBKIT_DRIVER,
            MINIBROWSER,
            XVFB_RUN,
            "/usr/bin/xauth",
        ],
    )?;
    // geckodriver is not packaged by Debian; its own lockfile builds with this toolchain.
    let geckodriver = geckodriver()?;
    cargo_tool(
        project,
        &geckodriver.to_string_lossy(),
        "geckodriver",
        GECKODRIVER_VERSION,
        true,
    )
}

/// Where `cargo install` puts geckodriver. Always called by this path: WebdriverIO's npm
/// dependencies put a `geckodriver` of their own (one that downloads a driver) in
/// node_modules/.bin, which comes first on the children's PATH.
pub fn geckodriver() -> Result<PathBuf> {
    crate::cargo_bin_dir()
        .map(|bin| bin.join("geckodriver"))
        .ok_or_else(|| Error::new("neither CARGO_HOME nor HOME is set: where is cargo's bin?"))
}

/// Installs Debian `packages` with apt unless every one of `paths` is already a file.
fn debian_packages(what: &str, packages: &[&str], paths: &[&str]) -> Result<()> {
    let present = paths.iter().all(|path| Path::new(path).is_file());
    if !present {
        if probe(Command::new("apt-get").arg("--version")).is_none() {
            return Err(Error::new(format!(
                "{} missing and there is no apt-get: install {what}",
                paths.join(" or "),
            )));
        }
        // Wait for a concurrent apt (unattended upgrades, another job) instead of failing.
        let lock_wait = "DPkg::Lock::Timeout=600";
        run(&mut privileged(&["apt-get", "-o", lock_wait, "update"]))?;
        let mut install = vec!["apt-get", "-o", lock_wait, "install", "-y"];
        install.extend_from_slice(packages);
        run(&mut privileged(&install))?;
        for path in paths {
            if !Path::new(path).is_file() {
                return Err(Error::new(format!(
                    "apt-get installed {} but {path} is missing",
                    packages.join(", ")
                )));
            }
        }
    }
    report(what, !present);
    Ok(())
}

/// A command run as root: directly when we are root, else through sudo (non-interactive when
/// there is no terminal, so CI fails with sudo's message instead of hanging on a prompt).
fn privileged(args: &[&str]) -> Command {
    let is_root = probe(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut command = if is_root {
        Command::new("env")
    } else {
        let mut sudo = Command::new("sudo");
        if !std::io::stdin().is_terminal() {
            sudo.arg("-n");
        }
        sudo.arg("env");
        sudo
    };
    // Through `env` because sudo drops the caller's environment; this keeps apt from asking.
    command.arg("DEBIAN_FRONTEND=noninteractive").args(args);
    command
}

/// `npm ci` when node_modules is missing or older than package.json / package-lock.json.
fn node_packages(project: &Project) -> Result<()> {
    let lockfile = project.path("package-lock.json");
    let stale = node_modules_stale(project)?;
    if stale {
        let mut npm = project.command("npm");
        if lockfile.is_file() {
            npm.arg("ci");
        } else {
            npm.arg("install");
        }
        // Playwright drives Debian's chromium; its own browser download cannot work here.
        npm.args(["--no-audit", "--no-fund"])
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        run(&mut npm)?;
    }
    report(
        "node packages (@playwright/test, webdriverio, binaryen, esbuild)",
        stale,
    );

    let wasm_opt = project.path("node_modules/.bin/wasm-opt");
    let version = probe(project.command(&wasm_opt).arg("--version")).unwrap_or_default();
    // `wasm-opt version 132 (version_132)`
    if version.split_whitespace().nth(2) != Some(WASM_OPT_VERSION) {
        return Err(Error::new(format!(
            "`{} --version` reports {version:?}, expected version {WASM_OPT_VERSION}: \
             package.json must pin binaryen {WASM_OPT_VERSION}.0.0",
            wasm_opt.display()
        )));
    }
    Ok(())
}

/// npm records what it installed in node_modules/.package-lock.json; when package.json or the
/// lockfile are newer than that record (a pull, an edit), node_modules may not match them.
fn node_modules_stale(project: &Project) -> Result<bool> {
    let installed = project.path("node_modules/.package-lock.json");
    let Some(installed_at) = modified(&installed)? else {
        return Ok(true);
    };
    for manifest in ["package.json", "package-lock.json"] {
        if let Some(changed_at) = modified(&project.path(manifest))? {
            if changed_at > installed_at {
                return Ok(true);
            }
        }
    }
    let bins = [
        "node_modules/.bin/wasm-opt",
        "node_modules/.bin/esbuild",
        "node_modules/.bin/playwright",
        "node_modules/webdriverio/package.json",
    ];
    Ok(bins.iter().any(|bin| !project.path(bin).exists()))
}

fn modified(path: &Path) -> Result<Option<SystemTime>> {
    match fs::metadata(path) {
        Ok(metadata) => metadata.modified().map(Some).context(format!(
            "reading the modification time of {}",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::new(format!("reading {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.130"
"#;

    #[test]
    fn the_wasm_bindgen_version_comes_from_its_own_package_entry() {
        assert_eq!(locked_version(LOCK, "wasm-bindgen"), Ok("0.2.130".into()));
    }

    #[test]
    fn a_missing_package_is_an_error() {
        assert_eq!(
            locked_version(LOCK, "leptos"),
            Err(Error::new("Cargo.lock has no package `leptos`"))
        );
    }

    #[test]
    fn two_versions_of_one_package_cannot_both_match_the_cli() {
        let lock = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.100\"\n");
        assert!(locked_version(&lock, "wasm-bindgen").is_err());
    }

    #[test]
    fn the_workspace_lockfile_pins_the_wasm_bindgen_that_trunk_toml_names() {
        let project = Project::locate().expect("inside the repository");
        let version = wasm_bindgen_version(&project);
        assert!(version.is_ok(), "{version:?}");
    }

    #[test]
    fn tools_settings_are_read_only_from_the_tools_table() {
        let toml = "[build]\nwasm_bindgen = \"wrong\"\n\n[tools]\nwasm_opt = \"version_132\"\nwasm_bindgen = \"0.2.130\"\n";
        assert_eq!(tools_setting(toml, "wasm_bindgen"), Some("0.2.130"));
        assert_eq!(tools_setting(toml, "wasm_opt"), Some("version_132"));
        assert_eq!(tools_setting(toml, "sass"), None);
    }

    #[test]
    fn version_output_is_program_name_then_version() {
        assert_eq!(version_of("trunk 0.21.14"), Some("0.21.14"));
        assert_eq!(version_of("wasm-bindgen 0.2.130\n"), Some("0.2.130"));
        assert_eq!(version_of(""), None);
    }
}
