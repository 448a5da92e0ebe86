//! Foldlab's repository automation (matklad's cargo-xtask pattern): everything a fresh clone
//! needs to reach a running app and green tests, behind `cargo xtask setup|serve|build|size|test`.
//!
//! The binary (`main.rs`) only parses arguments; the work lives in this library so that its
//! pure parts (argument parsing, Cargo.lock reading, size formatting, summary-line parsing) are
//! unit tested by the native test stage.

pub mod bench;
pub mod build;
pub mod cli;
pub mod csp;
pub mod engines;
pub mod files;
pub mod imports;
pub mod offline;
pub mod pipeline;
pub mod process;
pub mod setup;
pub mod size;
pub mod split;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A failure with a message that says what was being done (and which command failed),
/// so that the single `error:` line printed by `main` is enough to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    reported: bool,
}

impl Error {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            reported: false,
        }
    }

    /// The same error, marked as already printed: `main` then only sets the exit code, so that
    /// a line printed after the error (the e2e summary CI reads) stays the last one.
    pub fn already_reported(self) -> Self {
        Error {
            reported: true,
            ..self
        }
    }

    /// Whether the message has already been printed.
    pub fn is_reported(&self) -> bool {
        self.reported
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result type of every fallible xtask step.
pub type Result<T> = std::result::Result<T, Error>;

/// Adds "while doing X" context to any error that can be displayed.
pub trait Context<T> {
    /// Wraps the error as `"{what}: {error}"`.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::new(format!("{what}: {e}")))
    }
}

/// Where things are: the repository root, the `cargo` to re-invoke, and the PATH that child
/// processes see.
///
/// The PATH is extended rather than the tools being called by absolute path because Trunk itself
/// looks up `wasm-bindgen` and `wasm-opt` on PATH (and only uses them when their versions match
/// Trunk.toml), and cargo finds `wasm-bindgen-test-runner` on PATH too.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    cargo: OsString,
    path_env: OsString,
}

impl Project {
    /// Locates the repository from where this xtask was compiled and prepares the child PATH:
    /// `node_modules/.bin` (wasm-opt 132, playwright) first, then cargo's bin directory (trunk,
    /// wasm-bindgen, which `cargo install` puts there even when a shell has not sourced
    /// `~/.cargo/env`), then the inherited PATH.
    pub fn locate() -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the program it runs. Prefer it to the path baked
        // in at compile time: checkouts that share one target directory (git worktrees) share the
        // xtask binary too, and cargo does not rebuild it when only the checkout's path differs.
        let runtime_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let manifest_dir = runtime_dir.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest_dir
            .parent()
            .ok_or_else(|| Error::new("xtask's manifest directory has no parent"))?
            .to_path_buf();
        // `cargo run` tells us which cargo started us; re-using it keeps the same toolchain.
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));

        let mut dirs = vec![root.join("node_modules").join(".bin")];
        if let Some(bin) = cargo_bin_dir() {
            dirs.push(bin);
        }
        if let Some(inherited) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&inherited));
        }
        let path_env = std::env::join_paths(dirs).context("building PATH for child processes")?;
        Ok(Project {
            root,
            cargo,
            path_env,
        })
    }

    /// The repository root (where Cargo.lock, Trunk.toml and package.json live).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path relative to the repository root.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    /// A command that runs in the repository root with the extended PATH.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path_env);
        command
    }

    /// A `cargo` command (the same cargo that runs this xtask).
    pub fn cargo(&self) -> Command {
        self.command(&self.cargo)
    }
}

/// `$CARGO_HOME/bin`, defaulting to `~/.cargo/bin` as rustup does.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home).join("bin"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo").join("bin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_prefixes_the_message_with_what_was_being_done() {
        let failed: std::result::Result<(), &str> = Err("permission denied");
        let error = failed.context("writing dist/404.html").err();
        assert_eq!(
            error,
            Some(Error::new("writing dist/404.html: permission denied"))
        );
    }

    #[test]
    fn the_project_root_holds_the_workspace_manifest() {
        let project = Project::locate().expect("the xtask crate sits inside the repository");
        assert!(project.path("Cargo.lock").is_file());
        assert!(project.path("xtask").join("Cargo.toml").is_file());
    }
}
