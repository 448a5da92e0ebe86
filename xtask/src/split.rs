//! The release build's wasm, split so that a visitor downloads only what the start page and the
//! lab need; every other view's code is fetched the first time it opens.
//!
//! Trunk cannot split a module (the split must happen before wasm-bindgen runs), so the release
//! build runs the steps itself, as cargo-leptos does for Leptos's `#[lazy]`:
//!
//! 1. `cargo build --release` of the app for wasm32 with the configured flags plus
//!    `--cfg foldlab_split` (which turns the functions in src/lazy.rs into split points) and
//!    `--emit-relocs` (the splitter needs the linker's relocations to move code between modules);
//! 2. [`wasm_split_cli_support::transform`]: the main module, one wasm file per split point (and
//!    shared chunks for code two of them use), and `__wasm_split.js`, which fetches and links them;
//! 3. wasm-bindgen on the main module, keeping the linker's exports the chunks import, and
//!    esbuild `--minify` on its glue, the glue's snippets and the loader, and short names for
//!    the functions the module imports from its glue ([`crate::imports`]);
//! 4. wasm-opt `-Oz` (npm's binaryen 132) on every wasm file.
//!
//! The files go into `app-<hash>/` under the site, the hash covering all of them, so a new deploy
//! never mixes with a cached old one; inside, they refer to each other by relative paths.
//! [`head_tags`] is what index.html needs to start the app. The development server (Trunk)
//! builds without the cfg, so there every view ships in the one module.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::process::{check_status, describe, run, say};
use crate::{Context, Error, Project, Result};

/// The Rust flags the split build adds to those of .cargo/config.toml for wasm32 (RUSTFLAGS
/// replaces the config's `rustflags`, so [`rustflags`] repeats them).
pub const SPLIT_RUSTFLAGS: &[&str] = &["--cfg", "foldlab_split", "-Clink-args=--emit-relocs"];

/// The flags for the split build: the `rustflags` array of `[target.wasm32-unknown-unknown]` in
/// `config` (the text of .cargo/config.toml; a one-line array), then [`SPLIT_RUSTFLAGS`],
/// space-separated.
pub fn rustflags(config: &str) -> String {
    let mut flags: Vec<String> = Vec::new();
    let mut in_wasm_table = false;
    for line in config.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_wasm_table = line == "[target.wasm32-unknown-unknown]";
            continue;
        }
        let Some(value) = line.strip_prefix("rustflags") else {
            continue;
        };
        if !in_wasm_table {
            continue;
        }
        let value = value.trim_start().trim_start_matches('=').trim();
        flags.extend(
            value
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|item| item.trim().trim_matches('"').to_string())
                .filter(|item| !item.is_empty()),
        );
    }
    flags.extend(SPLIT_RUSTFLAGS.iter().map(|f| f.to_string()));
    flags.join(" ")
}

/// The wasm-bindgen output's name: `foldlab.js` and `foldlab_bg.wasm`.
pub const OUT_NAME: &str = "foldlab";

/// The loader the splitter writes, next to the main module.
pub const LINK_NAME: &str = "__wasm_split.js";

/// The features wasm-opt may use: those rustc enables by default for wasm32-unknown-unknown.
/// The chunks carry no `target_features` section, so they are named here.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// When set, wasm-opt keeps the function names, for a size analysis (`twiggy top` on the site's
/// wasm files); the site then ships larger files, so never for a deploy.
pub const KEEP_NAMES: &str = "FOLDLAB_WASM_NAMES";

/// What the split build put in the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// The directory under the site, `app-<hash>`.
    pub dir: String,
    /// Files in it, relative to it, sorted: the main module first is not guaranteed.
    pub files: Vec<String>,
    /// Every JS module in it (the main one first, then the split loader and wasm-bindgen's
    /// snippets, which the main one imports) with its `sha256-…` (see [`crate::files::sri`]), for their modulepreloads.
    pub modules: Vec<(String, String)>,
}

/// Builds and splits the app into `dist/app-<hash>/`, replacing any earlier `app-*` there.
pub fn build(project: &Project, dist: &Path) -> Result<App> {
    let target = target_dir(project);
    let config_path = project.path(".cargo/config.toml");
    let config = fs::read_to_string(&config_path).unwrap_or_default();
    let mut cargo = release_wasm(project, "foldlab");
    cargo
        .env("RUSTFLAGS", rustflags(&config))
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    run(&mut cargo)?;
    let input = target.join("wasm32-unknown-unknown/release/foldlab.wasm");
    let wasm = fs::read(&input).context(format!("reading {}", input.display()))?;

    let stage = target.join("split");
    if stage.exists() {
        fs::remove_dir_all(&stage).context(format!("clearing {}", stage.display()))?;
    }
    fs::create_dir_all(&stage).context(format!("creating {}", stage.display()))?;
    let main = stage.join("main.wasm");
    let main_module = format!("./{OUT_NAME}.js");
    let link_name = format!("./{LINK_NAME}");
    let split = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&wasm);
        options.output_dir = &stage;
        options.main_out_path = &main;
        options.main_module = &main_module;
        options.link_name = &link_name;
        options
    })
    .map_err(|e| Error::new(format!("split: splitting {}: {e:#}", input.display())))?;
    let loader = stage.join(LINK_NAME);
    let text = fs::read_to_string(&loader).context(format!("reading {}", loader.display()))?;
    fs::write(&loader, quiet_loader(&text)?).context(format!("writing {}", loader.display()))?;

    let mut bindgen = project.command("wasm-bindgen");
    bindgen
        .args([
            "--target",
            "web",
            "--keep-lld-exports",
            "--no-typescript",
            "--out-name",
            OUT_NAME,
            "--out-dir",
        ])
        .arg(&stage)
        .arg(&main);
    run(&mut bindgen)?;
    fs::remove_file(&main).context(format!("removing {}", main.display()))?;
    // The glue, the loader and the glue's snippets (the store's `records.js`) are in the first
    // download: about 3.5 KB less, brotli.
    let mut scripts = vec![stage.join(format!("{OUT_NAME}.js")), stage.join(LINK_NAME)];
    scripts.extend(
        crate::files::relative_files(&stage)?
            .iter()
            .filter(|f| f.starts_with("snippets/") && f.ends_with(".js"))
            .map(|f| stage.join(f)),
    );
    minify(project, &scripts)?;
    crate::imports::shorten_in(&stage, OUT_NAME)?;

    let mut wasm_files = split.split_modules.clone();
    wasm_files.push(stage.join(format!("{OUT_NAME}_bg.wasm")));
    optimize(project, &wasm_files)?;

    let files = crate::files::relative_files(&stage)?;
    let mut hasher = Sha256::new();
    for file in &files {
        let bytes = fs::read(stage.join(file)).context(format!("reading {file}"))?;
        hasher.update(file.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let digest = hasher.finalize();
    let dir = format!("app-{}", hex(&digest[..8]));
    for entry in fs::read_dir(dist).context(format!("listing {}", dist.display()))? {
        let path = entry.context(format!("listing {}", dist.display()))?.path();
        let old = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("app-"));
        if old && path.is_dir() {
            fs::remove_dir_all(&path).context(format!("removing {}", path.display()))?;
        }
    }
    for file in &files {
        let to = dist.join(&dir).join(file);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).context(format!("creating {}", parent.display()))?;
        }
        fs::copy(stage.join(file), &to).context(format!("copying {file}"))?;
    }
    let main_js = format!("{OUT_NAME}.js");
    let mut modules = Vec::new();
    for file in files.iter().filter(|f| f.ends_with(".js")) {
        let bytes = fs::read(stage.join(file)).context(format!("reading {file}"))?;
        modules.push((file.clone(), crate::files::sri(&bytes)));
    }
    modules.sort_by_key(|(file, _)| *file != main_js);
    Ok(App {
        dir,
        files,
        modules,
    })
}

/// What the splitter's loader writes to the console when a file could not be fetched.
const LOADER_LOGS: &str = "console.error(e);";

/// The loader without its console message for a failed fetch. The app tells the learner itself
/// (`<Lazy>`'s message, the lab's banner), and the message also fires when a page is left while
/// its parts are still loading (Firefox reports that abort as an error). Fails if the loader no
/// longer has the line, so a new splitter version is looked at rather than passed through.
fn quiet_loader(loader: &str) -> Result<String> {
    if !loader.contains(LOADER_LOGS) {
        return Err(Error::new(format!(
            "split: the loader no longer has `{LOADER_LOGS}`; see split::quiet_loader"
        )));
    }
    Ok(loader.replace(LOADER_LOGS, ""))
}

/// `cargo build --release` of `package` for wasm32-unknown-unknown (the caller sets the flags).
pub(crate) fn release_wasm(project: &Project, package: &str) -> std::process::Command {
    let mut cargo = project.cargo();
    cargo.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "--package",
        package,
    ]);
    cargo
}

/// esbuild `--minify` on each JavaScript or CSS file, in place (npm's esbuild, pinned in
/// package.json): names inside a module shortened, whitespace and comments dropped; what a module
/// exports and imports keeps its name, so the files still link to each other and the wasm.
pub(crate) fn minify(project: &Project, files: &[PathBuf]) -> Result<()> {
    for file in files {
        let mut esbuild = project.command("esbuild");
        esbuild
            .arg(file)
            .args(["--minify", "--log-level=warning", "--allow-overwrite"])
            .arg(format!("--outfile={}", file.display()));
        if file.extension().is_some_and(|e| e == "js") {
            esbuild.arg("--format=esm");
        }
        run(&mut esbuild)?;
    }
    Ok(())
}

/// wasm-opt `-Oz` on every file in place, as many at once as the machine has cores. Its output is
/// shown only when it fails (it warns about the name subsections of every chunk otherwise).
pub(crate) fn optimize(project: &Project, files: &[PathBuf]) -> Result<()> {
    say(format!("split: wasm-opt -Oz on {} wasm files", files.len()));
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::Mutex::new(files.iter());
    let keep_names = std::env::var_os(KEEP_NAMES).is_some();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let file = match next.lock() {
                            Ok(mut files) => files.next(),
                            Err(_) => None,
                        };
                        let Some(file) = file else { return Ok(()) };
                        let mut opt = project.command("wasm-opt");
                        opt.arg("-Oz").args(WASM_FEATURES);
                        if keep_names {
                            opt.arg("-g");
                        }
                        opt.arg(file).arg("-o").arg(file);
                        let shown = describe(&opt);
                        let output = opt
                            .output()
                            .map_err(|e| Error::new(format!("could not start `{shown}`: {e}")))?;
                        if !output.status.success() {
                            say(String::from_utf8_lossy(&output.stderr));
                        }
                        check_status(&shown, output.status)?;
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::new("split: a wasm-opt worker panicked")))
            })
            .collect::<Result<Vec<()>>>()
            .map(|_| ())
    })
}

/// The tags that start the app, for index.html's `<head>`, with paths under `public_url`: a
/// modulepreload of each JS module (with its integrity), so the browser fetches the modules the
/// main one imports without waiting to read it; a preload of the main wasm (without one: the
/// loader fetches it without one, so a preload with one would go unused); and the inline loader
/// the Content-Security-Policy allows by its hash.
pub fn head_tags(app: &App, public_url: &str) -> String {
    let base = format!("{public_url}{}/", app.dir);
    let mut tags = String::new();
    for (module, integrity) in &app.modules {
        tags.push_str(&format!(
            "<link rel=\"modulepreload\" href=\"{base}{module}\" crossorigin=\"anonymous\" integrity=\"{integrity}\">\n"
        ));
    }
    tags.push_str(&format!(
        concat!(
            "<link rel=\"preload\" href=\"{base}{name}_bg.wasm\" crossorigin=\"anonymous\" as=\"fetch\" type=\"application/wasm\">\n",
            "<script type=\"module\">\n",
            "import init from '{base}{name}.js';\n",
            "await init({{ module_or_path: '{base}{name}_bg.wasm' }});\n",
            "</script>\n"
        ),
        base = base,
        name = OUT_NAME,
    ));
    tags
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The target directory cargo uses for this checkout.
pub fn target_dir(project: &Project) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project.path("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_reports_a_failed_fetch_to_the_app_only() {
        let loader = "try { await callee(); success = true; } catch (e) {\n    console.error(e);\n    success = false;\n}";
        let quiet = quiet_loader(loader).expect("the line is there");
        assert!(!quiet.contains("console"), "{quiet}");
        assert!(quiet.contains("success = false;"), "{quiet}");
        assert!(quiet_loader("catch (e) { success = false; }").is_err());
    }

    #[test]
    fn the_head_tags_load_the_main_module_under_the_public_url() {
        let app = App {
            dir: "app-0123456789abcdef".into(),
            files: vec!["foldlab.js".into(), "foldlab_bg.wasm".into()],
            modules: vec![
                ("foldlab.js".into(), "sha384-abc".into()),
                ("__wasm_split.js".into(), "sha384-def".into()),
            ],
        };
        let tags = head_tags(&app, "/foldlab/");
        assert!(tags.contains("<link rel=\"modulepreload\" href=\"/foldlab/app-0123456789abcdef/foldlab.js\" crossorigin=\"anonymous\" integrity=\"sha384-abc\">"), "{tags}");
        assert!(tags.contains("<link rel=\"modulepreload\" href=\"/foldlab/app-0123456789abcdef/__wasm_split.js\" crossorigin=\"anonymous\" integrity=\"sha384-def\">"), "{tags}");
        assert!(tags.contains("import init from '/foldlab/app-0123456789abcdef/foldlab.js';"));
        assert!(tags.contains("module_or_path: '/foldlab/app-0123456789abcdef/foldlab_bg.wasm'"));
        let scripts = crate::csp::inline_scripts(&tags).expect("well formed");
        assert_eq!(scripts.len(), 1);
        // The wasm preload carries no integrity, as build::without_wasm_preload_integrity wants.
        assert_eq!(
            crate::build::without_wasm_preload_integrity(&tags).expect("has a wasm preload"),
            tags
        );
    }

    #[test]
    fn the_split_build_keeps_the_configured_wasm_flags_and_adds_its_own() {
        let config = "[alias]\nxtask = \"run\"\n\n[target.wasm32-unknown-unknown]\nrunner = \"x\"\n# a comment\nrustflags = [\"--cfg\", \"erase_components\"]\n\n[target.x86_64]\nrustflags = [\"-Cnative\"]\n";
        assert_eq!(
            rustflags(config),
            "--cfg erase_components --cfg foldlab_split -Clink-args=--emit-relocs"
        );
        assert_eq!(
            rustflags(""),
            "--cfg foldlab_split -Clink-args=--emit-relocs"
        );
        let real =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.cargo/config.toml"))
                .expect(".cargo/config.toml");
        assert!(
            rustflags(&real).starts_with("--cfg erase_components "),
            "{}",
            rustflags(&real)
        );
    }
}
