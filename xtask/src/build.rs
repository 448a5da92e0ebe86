//! `cargo xtask build` and `serve`: Trunk release builds for a given public URL, made ready for
//! GitHub Pages, and the development server.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{run, say};
use crate::{csp, setup, Context, Project, Result};

/// The address `cargo xtask serve` listens on.
pub const SERVE_URL: &str = "http://127.0.0.1:8080/";

/// A release build of the app into `dist` (relative to the repository root unless absolute),
/// with asset paths under `public_url`, its Content-Security-Policy (see [`csp`]), then
/// `404.html`.
///
/// GitHub Pages answers an unknown path with the site's 404.html, so a copy of index.html makes
/// deep links and reloads on any client-side route boot the app instead of showing an error.
pub fn release(project: &Project, public_url: &str, dist: &Path) -> Result<PathBuf> {
    let dist = project.path(dist);
    let mut trunk = trunk(project);
    trunk
        .args(["build", "--release", "--public-url", public_url, "--dist"])
        .arg(&dist);
    run(&mut trunk)?;
    let index = dist.join("index.html");
    let page = fs::read_to_string(&index).context(format!("reading {}", index.display()))?;
    fs::write(&index, csp::with_policy(&page)?).context(format!("writing {}", index.display()))?;
    let not_found = dist.join("404.html");
    fs::copy(&index, &not_found).context(format!(
        "copying {} to {}",
        index.display(),
        not_found.display()
    ))?;
    say(format!(
        "build: {} (public url {public_url}, with its Content-Security-Policy and 404.html)",
        dist.display()
    ));
    Ok(dist)
}

/// Trunk, told not to ask the network whether a newer Trunk exists (the pinned one is the one
/// that builds with our rustc, and a fresh machine may have no route to ask).
fn trunk(project: &Project) -> Command {
    let mut trunk = project.command("trunk");
    trunk.env("TRUNK_SKIP_VERSION_CHECK", "true");
    trunk
}

/// `cargo xtask build`: build tools, then [`release`].
pub fn build(project: &Project, public_url: &str, dist: &str) -> Result<()> {
    setup::build_tools(project)?;
    release(project, public_url, Path::new(dist)).map(|_| ())
}

/// `cargo xtask serve`: setup, then Trunk's development server with live reload.
pub fn serve(project: &Project) -> Result<()> {
    setup::all(project)?;
    say(format!("serve: Foldlab at {SERVE_URL}"));
    run(trunk(project).args(["serve", "--address", "127.0.0.1", "--port", "8080"]))
}
