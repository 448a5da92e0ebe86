//! `cargo xtask size`: what a visitor downloads. Raw, gzip and brotli sizes of the shipped .wasm,
//! .js and .css and the page, each marked as part of the first download or not (a view's own wasm
//! file, split off by split.rs, is fetched when the view first opens), and the budget "first
//! download ≤ 250 KB brotli and ≤ 320 KB gzip" (1 KB = 1000 bytes, as browsers' devtools count).
//! `cargo xtask bench` measures the same first download as the browser fetches it.
//!
//! Compression is done in-process (gzip level 9, brotli quality 11 with a 4 MB window, what
//! `gzip -9` and the `brotli` CLI do by default), so the figures need no extra binaries and are
//! the same on every machine.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::process::say;
use crate::{build, setup, Context, Error, Project, Result};

/// The first download, brotli, may not exceed this many bytes.
pub const FIRST_BROTLI_BUDGET: u64 = 250_000;

/// The first download, gzip (what GitHub Pages serves), may not exceed this many bytes.
pub const FIRST_GZIP_BUDGET: u64 = 320_000;

/// Sizes of one shipped file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Path relative to the dist directory.
    pub name: String,
    /// Bytes on disk.
    pub raw: u64,
    /// Bytes after gzip -9.
    pub gzip: u64,
    /// Bytes after brotli -q 11.
    pub brotli: u64,
    /// Whether a first visit fetches it (not a view's split-off wasm).
    pub first: bool,
}

/// The benchmark's baselines (src/bench/raw.js), which the `/bench` page adds when a run starts.
const BENCH_BASELINES: &str = "raw.js";

/// Whether a first visit fetches the file `name` (relative to the dist directory): everything
/// measured except the wasm files split off for views (only `foldlab_bg.wasm` is the main one),
/// the service worker, which the page registers only once the lab is ready, and the benchmark's
/// baselines.
pub fn in_first_download(name: &str) -> bool {
    name != crate::offline::WORKER
        && name != BENCH_BASELINES
        && (!name.ends_with(".wasm") || name.ends_with("foldlab_bg.wasm"))
}

/// `cargo xtask size`: a release build for `/` into dist/, then the table; fails only when the
/// first download is over budget.
pub fn size(project: &Project) -> Result<()> {
    setup::build_tools(project)?;
    let dist = build::release(project, "/", Path::new("dist"))?;
    let rows = measure(&dist)?;
    for line in render(&rows).lines() {
        say(line);
    }
    let (line, within) = budget(&rows);
    say(&line);
    if within {
        Ok(())
    } else {
        Err(Error::new(line))
    }
}

/// Measures every .wasm, .js and .css file under `dist` (wasm-bindgen snippets live in
/// subdirectories) and its index.html, sorted by name for a stable table.
pub fn measure(dist: &Path) -> Result<Vec<Row>> {
    // The page a first visit gets counts once (every route's page is a copy of it).
    let files = crate::files::relative_files(dist)?
        .into_iter()
        .filter(|name| {
            name == "index.html"
                || [".wasm", ".js", ".css"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
        })
        .map(|name| dist.join(name));
    let mut rows = Vec::new();
    for path in files {
        let bytes = fs::read(&path).context(format!("reading {}", path.display()))?;
        let name = path
            .strip_prefix(dist)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let first = in_first_download(&name);
        rows.push(Row {
            name,
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes)?,
            brotli: brotli_len(&bytes)?,
            first,
        });
    }
    if rows.iter().any(|row| row.name.ends_with(".wasm")) {
        Ok(rows)
    } else {
        Err(Error::new(format!(
            "no .wasm file in {}: did the build run?",
            dist.display()
        )))
    }
}

/// Length of `bytes` after gzip at the best compression level.
pub fn gzip_len(bytes: &[u8]) -> Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).context("gzip-compressing")?;
    let compressed = encoder.finish().context("gzip-compressing")?;
    Ok(compressed.len() as u64)
}

/// Length of `bytes` after brotli at quality 11, window 22.
pub fn brotli_len(bytes: &[u8]) -> Result<u64> {
    let mut compressed = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut compressed, 64 * 1024, 11, 22);
        writer.write_all(bytes).context("brotli-compressing")?;
        writer.flush().context("brotli-compressing")?;
    }
    Ok(compressed.len() as u64)
}

/// Bytes as kilobytes with one decimal (1 KB = 1000 bytes).
pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

/// The table: one row per file (marked `first` when a first visit fetches it), then the first
/// download's total and the total of every file.
pub fn render(rows: &[Row]) -> String {
    let sum = |name: &str, keep: &dyn Fn(&Row) -> bool| Row {
        name: String::from(name),
        raw: rows.iter().filter(|r| keep(r)).map(|r| r.raw).sum(),
        gzip: rows.iter().filter(|r| keep(r)).map(|r| r.gzip).sum(),
        brotli: rows.iter().filter(|r| keep(r)).map(|r| r.brotli).sum(),
        first: true,
    };
    let first = sum("first download", &|r: &Row| r.first);
    let total = sum("total", &|_: &Row| true);
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .chain([14])
        .max()
        .unwrap_or(14);
    let mut out = String::new();
    let line = |out: &mut String, name: &str, when: &str, raw: &str, gzip: &str, brotli: &str| {
        out.push_str(&format!(
            "size: {name:<width$}  {when:<5}  {raw:>10}  {gzip:>10}  {brotli:>10}\n"
        ));
    };
    line(&mut out, "file", "when", "raw", "gzip", "brotli");
    for row in rows {
        let when = if row.first { "first" } else { "later" };
        line(
            &mut out,
            &row.name,
            when,
            &kb(row.raw),
            &kb(row.gzip),
            &kb(row.brotli),
        );
    }
    for row in [&first, &total] {
        line(
            &mut out,
            &row.name,
            "",
            &kb(row.raw),
            &kb(row.gzip),
            &kb(row.brotli),
        );
    }
    out
}

/// The budget line and whether the first download is within it.
pub fn budget(rows: &[Row]) -> (String, bool) {
    let first = rows.iter().filter(|r| r.first);
    let brotli: u64 = first.clone().map(|r| r.brotli).sum();
    let gzip: u64 = first.map(|r| r.gzip).sum();
    let within = brotli <= FIRST_BROTLI_BUDGET && gzip <= FIRST_GZIP_BUDGET;
    let verdict = if within { "ok" } else { "OVER BUDGET" };
    let line = format!(
        "size: budget first download ≤ {} brotli and ≤ {} gzip: {} brotli, {} gzip (files, not counting HTTP overhead): {verdict}",
        kb(FIRST_BROTLI_BUDGET),
        kb(FIRST_GZIP_BUDGET),
        kb(brotli),
        kb(gzip),
    );
    (line, within)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, brotli: u64) -> Row {
        Row {
            name: name.into(),
            raw: brotli * 3,
            gzip: brotli * 5 / 4,
            brotli,
            first: in_first_download(name),
        }
    }

    #[test]
    fn repetitive_input_compresses_and_brotli_beats_gzip() {
        let text = "event sourcing folds events into state. ".repeat(500);
        let gzip = gzip_len(text.as_bytes()).expect("gzip in memory");
        let brotli = brotli_len(text.as_bytes()).expect("brotli in memory");
        assert!(gzip < text.len() as u64 / 10, "gzip {gzip}");
        assert!(brotli < gzip, "brotli {brotli} vs gzip {gzip}");
    }

    #[test]
    fn kilobytes_have_one_decimal() {
        assert_eq!(kb(73_149), "73.1 KB");
        assert_eq!(kb(0), "0.0 KB");
    }

    #[test]
    fn the_table_ends_with_the_first_download_then_the_total() {
        let table = render(&[
            row("app-1/foldlab_bg.wasm", 70_000),
            row("app-1/foldlab.js", 7_000),
            row("app-1/split_designs.wasm", 30_000),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        let first = lines[lines.len() - 2];
        let last = lines[lines.len() - 1];
        assert!(first.starts_with("size: first download"), "{table}");
        assert!(first.ends_with("77.0 KB"), "{table}");
        assert!(last.starts_with("size: total"), "{table}");
        assert!(last.ends_with("107.0 KB"), "{table}");
        assert!(table.contains("split_designs.wasm  later"), "{table}");
    }

    #[test]
    fn only_the_main_wasm_is_in_the_first_download() {
        assert!(in_first_download("app-1/foldlab_bg.wasm"));
        assert!(in_first_download("app-1/foldlab.js"));
        assert!(in_first_download("app-1/__wasm_split.js"));
        assert!(in_first_download("main-1.css"));
        assert!(in_first_download("index.html"));
        assert!(!in_first_download("app-1/split_designs.wasm"));
        assert!(!in_first_download("app-1/chunk_3.wasm"));
        assert!(!in_first_download("sw.js"));
        assert!(!in_first_download("raw.js"));
    }

    #[test]
    fn a_first_download_exactly_at_both_budgets_is_within_them() {
        let at = Row {
            name: "app-1/foldlab_bg.wasm".into(),
            raw: 900_000,
            gzip: FIRST_GZIP_BUDGET,
            brotli: FIRST_BROTLI_BUDGET,
            first: true,
        };
        assert!(budget(std::slice::from_ref(&at)).1);
        let later = Row {
            name: "app-1/split_bench.wasm".into(),
            first: false,
            ..at.clone()
        };
        assert!(
            budget(&[at.clone(), later]).1,
            "a view's own wasm does not count"
        );
        let over_gzip = Row {
            gzip: FIRST_GZIP_BUDGET + 1,
            ..at.clone()
        };
        let (line, within) = budget(&[over_gzip]);
        assert!(!within);
        assert!(line.ends_with("OVER BUDGET"), "{line}");
        let over_brotli = Row {
            brotli: FIRST_BROTLI_BUDGET + 1,
            ..at
        };
        assert!(!budget(&[over_brotli]).1);
    }

    #[test]
    fn the_page_is_measured_once_not_every_route_copy() {
        let dir = crate::files::scratch("size-page");
        fs::create_dir_all(dir.join("lessons")).expect("temp dir");
        fs::write(dir.join("index.html"), "<html></html>").expect("page");
        fs::write(dir.join("lessons/index.html"), "<html></html>").expect("copy");
        fs::write(dir.join("lab.html"), "<html></html>").expect("copy");
        fs::write(dir.join("foldlab_bg.wasm"), [0_u8, 97, 115, 109]).expect("wasm");
        let rows = measure(&dir);
        let _ = fs::remove_dir_all(&dir);
        let names: Vec<String> = rows
            .expect("measured")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, vec!["foldlab_bg.wasm", "index.html"]);
    }

    #[test]
    fn measuring_a_directory_without_wasm_is_an_error() {
        let dir = crate::files::scratch("size-no-wasm");
        fs::write(dir.join("app.js"), "console.log(1)").expect("temp file");
        let result = measure(&dir);
        let _ = fs::remove_dir_all(&dir);
        assert!(result.is_err());
    }
}
