//! `cargo xtask build` and `serve`: release builds for a given public URL, made ready for GitHub
//! Pages (Trunk builds the page and its stylesheets, split.rs the wasm, split into the first
//! download and one file per lazy view), and the development server (Trunk alone, one module).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{run, say};
use crate::{csp, setup, split, Context, Error, Project, Result};

/// The address `cargo xtask serve` listens on.
pub const SERVE_URL: &str = "http://127.0.0.1:8080/";

/// A release build of the app into `dist` (relative to the repository root unless absolute),
/// with asset paths under `public_url`: the page and stylesheets by Trunk, the split wasm under
/// `app-<hash>/` with the tags that start it (see [`split`]), its Content-Security-Policy (see
/// [`csp`]), a page for every route (see [`route_pages`]), then `404.html`. The result is a plain
/// folder of files.
///
/// GitHub Pages answers `/foldlab/lab` with `lab.html` (status 200), so a copy of index.html per
/// route makes a deep link or a reload boot the app without the browser logging a 404. Any other
/// path gets the site's 404.html, another copy, which boots the app to say "Nothing here".
pub fn release(project: &Project, public_url: &str, dist: &Path) -> Result<PathBuf> {
    let dist = project.path(dist);
    // Trunk builds the page and its stylesheets from a copy of index.html without the Rust link;
    // the wasm is built and split by split.rs, which Trunk cannot do.
    let source = project.path("index.html");
    let html = fs::read_to_string(&source).context(format!("reading {}", source.display()))?;
    let shell_dir = project.path(SHELL_DIR);
    fs::create_dir_all(&shell_dir).context(format!("creating {}", shell_dir.display()))?;
    let Shell { html, stylesheets } = release_shell(&html)?;
    let shell = shell_dir.join("index.html");
    fs::write(&shell, html).context(format!("writing {}", shell.display()))?;
    // One stylesheet for the release: the page's sheets in their order, so the cascade is the
    // same; one file compresses better than thirteen (about 5 KB less of the first download).
    let mut css = String::new();
    for sheet in &stylesheets {
        let path = project.path(sheet);
        let text = fs::read_to_string(&path).context(format!("reading {}", path.display()))?;
        css.push_str(&format!("/* {sheet} */\n{text}\n"));
    }
    let style = shell_dir.join(STYLESHEET);
    fs::write(&style, css).context(format!("writing {}", style.display()))?;
    // Minified before Trunk hashes it: about 3 KB less of the first download, brotli.
    split::minify(project, std::slice::from_ref(&style))?;
    let mut trunk = trunk(project);
    trunk
        .args(["build", "--release", "--public-url", public_url, "--dist"])
        .arg(&dist)
        .arg(&shell);
    let built = run(&mut trunk);
    let _ = fs::remove_dir_all(&shell_dir);
    built?;
    let app = split::build(project, &dist)?;
    let index = dist.join("index.html");
    let page = fs::read_to_string(&index).context(format!("reading {}", index.display()))?;
    let head_end = page
        .find("</head>")
        .ok_or_else(|| Error::new("build: Trunk's page has no </head>"))?;
    let page = format!(
        "{}{}{}",
        &page[..head_end],
        split::head_tags(&app, public_url),
        &page[head_end..]
    );
    let page = csp::with_policy(&without_wasm_preload_integrity(&page)?)?;
    fs::write(&index, &page).context(format!("writing {}", index.display()))?;
    let app = project.path("src/app.rs");
    let routes = fs::read_to_string(&app).context(format!("reading {}", app.display()))?;
    let lessons = lesson_ids(&project.path("scenarios"))?;
    let pages = route_pages(&routes, &lessons)?;
    for page_path in &pages {
        let file = dist.join(page_path);
        if let Some(dir) = file.parent() {
            fs::create_dir_all(dir).context(format!("creating {}", dir.display()))?;
        }
        fs::write(&file, &page).context(format!("writing {}", file.display()))?;
    }
    let not_found = dist.join("404.html");
    fs::copy(&index, &not_found).context(format!(
        "copying {} to {}",
        index.display(),
        not_found.display()
    ))?;
    say(format!(
        "build: {} (public url {public_url}, with its Content-Security-Policy, {} route pages and 404.html)",
        dist.display(),
        pages.len()
    ));
    crate::offline::write(project, &dist, public_url)?;
    Ok(dist)
}

/// The directory of the copy of index.html that Trunk builds in a release (removed after): one
/// level below the repository root, where no Cargo.toml makes Trunk build the app itself.
pub const SHELL_DIR: &str = ".release-shell";

/// The one stylesheet of a release build, which the shell links (in [`SHELL_DIR`]).
const STYLESHEET: &str = "style.css";

/// The page Trunk builds for a release, and the stylesheets it stands for.
#[derive(Debug, PartialEq)]
pub struct Shell {
    /// The page.
    pub html: String,
    /// The page's own stylesheets (paths relative to the repository), in their order: the
    /// release links one file, [`STYLESHEET`], made of them.
    pub stylesheets: Vec<String>,
}

/// `html` as Trunk should build it from [`SHELL_DIR`]: without its `<link data-trunk rel="rust">`
/// line (split.rs builds the wasm), its Trunk stylesheets replaced by one link to [`STYLESHEET`]
/// where the first was, and each other Trunk link's relative `href` one level up.
pub fn release_shell(html: &str) -> Result<Shell> {
    let mut found = false;
    let mut stylesheets = Vec::new();
    let mut out = String::with_capacity(html.len());
    for line in html.lines() {
        if line.contains("data-trunk") && line.contains("rel=\"rust\"") {
            found = true;
            continue;
        }
        if line.contains("data-trunk") && line.contains("rel=\"css\"") {
            let href = line
                .split(" href=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .ok_or_else(|| {
                    Error::new(format!("build: a stylesheet link without href: {line}"))
                })?;
            if stylesheets.is_empty() {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(&format!(
                    "{indent}<link data-trunk rel=\"css\" href=\"{STYLESHEET}\" />\n"
                ));
            }
            stylesheets.push(href.to_string());
            continue;
        }
        let relative = line.contains("data-trunk")
            && line.contains(" href=\"")
            && !line.contains(" href=\"/")
            && !line.contains("://");
        if relative {
            out.push_str(&line.replacen(" href=\"", " href=\"../", 1));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !found {
        return Err(Error::new(
            "build: index.html has no <link data-trunk rel=\"rust\"> line",
        ));
    }
    Ok(Shell {
        html: out,
        stylesheets,
    })
}

/// The route patterns in the app's table of routes: every `route("…"` in `src/app.rs`.
pub fn route_patterns(app_rs: &str) -> Vec<&str> {
    const CALL: &str = "route(\"";
    app_rs
        .match_indices(CALL)
        .filter_map(|(at, _)| {
            let rest = &app_rs[at + CALL.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        // A route's path starts with `/`; anything else (a comment naming the field) is not one.
        .filter(|pattern| pattern.starts_with('/'))
        .collect()
}

/// The lessons' ids: the bundled scenario files' names without `.json` (a lesson's route is
/// `/lessons/<scenario name>`), sorted.
pub fn lesson_ids(scenarios: &Path) -> Result<Vec<String>> {
    let entries = fs::read_dir(scenarios).context(format!("reading {}", scenarios.display()))?;
    let mut ids: Vec<String> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter_map(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    ids.sort();
    Ok(ids)
}

/// The files (relative to the site's root) that answer each route of the app with the app's page,
/// given `src/app.rs` and the lessons' ids: `lab.html` for `/lab`, `lessons/happy_path.html` for
/// `/lessons/:id`, and so on. `/` is index.html itself.
///
/// A route that other routes lie under (`/lessons`) is a directory too; GitHub Pages may then
/// redirect `/lessons` to `/lessons/`, so that directory gets an `index.html` as well. A route
/// with a parameter this function does not know the values of is an error, so that a new one
/// is not silently left to the 404 page.
pub fn route_pages(app_rs: &str, lesson_ids: &[String]) -> Result<Vec<String>> {
    let mut routes: Vec<String> = Vec::new();
    for pattern in route_patterns(app_rs) {
        let path = pattern.trim_matches('/');
        if path.is_empty() {
            continue;
        }
        if !path.contains(':') && !path.contains('*') {
            routes.push(path.to_string());
        } else if path == "lessons/:id" {
            routes.extend(lesson_ids.iter().map(|id| format!("lessons/{id}")));
        } else {
            return Err(Error::new(format!(
                "build: the route {pattern:?} has a parameter; say in xtask/src/build.rs which values it takes, so each gets a page"
            )));
        }
    }
    if routes.is_empty() {
        return Err(Error::new(
            "build: no routes (route(\"…\", …)) found in src/app.rs",
        ));
    }
    let mut pages: Vec<String> = routes.iter().map(|r| format!("{r}.html")).collect();
    for route in &routes {
        let prefix = format!("{route}/");
        if routes.iter().any(|other| other.starts_with(&prefix)) {
            pages.push(format!("{route}/index.html"));
        }
    }
    pages.sort();
    pages.dedup();
    Ok(pages)
}

/// `html` without the `integrity` attribute of its wasm preload. Trunk gives the
/// `<link rel="preload" … .wasm>` an integrity hash, but the loader fetches the wasm without one,
/// so Chromium cannot use the preload and warns about it on every load. The wasm is still
/// fetched from the site only (the policy's `connect-src 'self'`).
pub fn without_wasm_preload_integrity(html: &str) -> Result<String> {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut found = false;
    while let Some(start) = rest.find("<link") {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e + 1)
            .ok_or_else(|| Error::new("build: a <link tag is not closed"))?;
        let tag = &rest[start..end];
        out.push_str(&rest[..start]);
        if tag.contains("rel=\"preload\"") && tag.contains(".wasm\"") {
            found = true;
            out.push_str(&without_attribute(tag, "integrity"));
        } else {
            out.push_str(tag);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    if !found {
        return Err(Error::new(
            "build: Trunk wrote no <link rel=\"preload\"> for the wasm; check its output",
        ));
    }
    Ok(out)
}

/// `tag` without ` name="…"`.
fn without_attribute(tag: &str, name: &str) -> String {
    let needle = format!(" {name}=\"");
    match tag.find(&needle) {
        Some(at) => {
            let value = at + needle.len();
            match tag[value..].find('"') {
                Some(close) => format!("{}{}", &tag[..at], &tag[value + close + 1..]),
                None => tag.to_string(),
            }
        }
        None => tag.to_string(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = r#"
        /// A route; `cargo xtask build` reads each `route("…"` below.
        const ROUTES: &[Route] = &[
            route("/", START),
            route("/lab", || view! { <LabPage /> }.into_any()),
            route("/about", START),
            route("/lessons", || later(|| Box::pin(lazy::lessons()))),
            route("/lessons/:id", || later(|| Box::pin(lazy::lesson()))),
            route("/time-travel", TIME_TRAVEL),
        ];
    "#;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn every_route_in_the_table_gets_a_page_and_every_lesson_its_own() {
        let pages = route_pages(APP, &ids(&["happy_path", "late_delivery"])).expect("pages");
        assert_eq!(
            pages,
            vec![
                "about.html",
                "lab.html",
                "lessons.html",
                "lessons/happy_path.html",
                "lessons/index.html",
                "lessons/late_delivery.html",
                "time-travel.html",
            ]
        );
    }

    #[test]
    fn a_route_with_an_unknown_parameter_is_refused() {
        let app = r#"route("/events/:id", EVENTS),"#;
        let error = route_pages(app, &[]).expect_err("refused");
        assert!(error.to_string().contains("/events/:id"), "{error}");
    }

    #[test]
    fn the_real_routes_and_scenarios_give_the_lab_and_the_first_lesson_a_page() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask sits in the repository")
            .to_path_buf();
        let app = fs::read_to_string(root.join("src/app.rs")).expect("src/app.rs");
        let lessons = lesson_ids(&root.join("scenarios")).expect("scenarios");
        assert!(lessons.contains(&"happy_path".to_string()), "{lessons:?}");
        let pages = route_pages(&app, &lessons).expect("pages");
        for page in [
            "lab.html",
            "about.html",
            "designs.html",
            "lessons/happy_path.html",
        ] {
            assert!(pages.contains(&page.to_string()), "{page} in {pages:?}");
        }
        assert!(!pages.iter().any(|p| p.contains(':')), "{pages:?}");
    }

    #[test]
    fn the_release_shell_has_no_rust_link_one_stylesheet_and_its_links_point_one_level_up() {
        let html = "<head>\n    <base data-trunk-public-url />\n    <link data-trunk rel=\"css\" href=\"style/main.css\" />\n    <link rel=\"icon\" href=\"data:,\" />\n    <link data-trunk rel=\"css\" href=\"style/stage.css\" />\n    <link data-trunk rel=\"copy-file\" href=\"icon.svg\" />\n    <link data-trunk rel=\"rust\" data-wasm-opt=\"z\" />\n  </head>\n";
        let shell = release_shell(html).expect("has a rust link");
        assert_eq!(
            shell.html,
            "<head>\n    <base data-trunk-public-url />\n    <link data-trunk rel=\"css\" href=\"style.css\" />\n    <link rel=\"icon\" href=\"data:,\" />\n    <link data-trunk rel=\"copy-file\" href=\"../icon.svg\" />\n  </head>\n"
        );
        assert_eq!(shell.stylesheets, ["style/main.css", "style/stage.css"]);
        assert!(release_shell(&shell.html).is_err());
        let real = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../index.html"))
            .expect("index.html");
        let shell = release_shell(&real).expect("the real page has one");
        assert!(!shell.html.contains("rel=\"rust\""));
        assert_eq!(shell.html.matches("rel=\"css\"").count(), 1);
        assert_eq!(
            shell.stylesheets.first().map(String::as_str),
            Some("style/main.css")
        );
        assert_eq!(shell.stylesheets.len(), real.matches("rel=\"css\"").count());
    }

    #[test]
    fn only_the_wasm_preload_loses_its_integrity() {
        let page = concat!(
            "<head>\n",
            "<link rel=\"modulepreload\" href=\"/foldlab/app-1.js\" crossorigin=\"anonymous\" integrity=\"sha384-js\">\n",
            "<link rel=\"preload\" href=\"/foldlab/app-1_bg.wasm\" crossorigin=\"anonymous\" integrity=\"sha384-wasm\" as=\"fetch\" type=\"application/wasm\">\n",
            "<link rel=\"stylesheet\" href=\"/foldlab/main.css\" integrity=\"sha384-css\"/>\n",
            "</head>"
        );
        let out = without_wasm_preload_integrity(page).expect("found");
        assert!(!out.contains("sha384-wasm"), "{out}");
        assert!(out.contains("<link rel=\"preload\" href=\"/foldlab/app-1_bg.wasm\" crossorigin=\"anonymous\" as=\"fetch\" type=\"application/wasm\">"), "{out}");
        assert!(out.contains("integrity=\"sha384-js\""), "{out}");
        assert!(out.contains("integrity=\"sha384-css\""), "{out}");
        assert_eq!(out.len(), page.len() - " integrity=\"sha384-wasm\"".len());
    }

    #[test]
    fn a_page_without_a_wasm_preload_is_refused() {
        assert!(without_wasm_preload_integrity(
            "<head><link rel=\"stylesheet\" href=\"a.css\"></head>"
        )
        .is_err());
    }
}
