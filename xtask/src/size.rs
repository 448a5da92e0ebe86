//! `cargo xtask size`: what a visitor downloads. Raw, gzip and brotli sizes of the shipped .wasm
//! and .js, and the budget "wasm ≤ 250 KB brotli" (1 KB = 1000 bytes, as browsers' devtools
//! count).
//!
//! Compression is done in-process (gzip level 9, brotli quality 11 with a 4 MB window, what
//! `gzip -9` and the `brotli` CLI do by default), so the figures need no extra binaries and are
//! the same on every machine.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::process::say;
use crate::{build, setup, Context, Error, Project, Result};

/// The brotli-compressed wasm may not exceed this many bytes.
pub const WASM_BROTLI_BUDGET: u64 = 250_000;

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
}

/// `cargo xtask size`: a release build for `/` into dist/, then the table; fails only when the
/// wasm is over budget.
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

/// Measures every .wasm and .js file under `dist` (wasm-bindgen snippets live in
/// subdirectories), sorted by name for a stable table.
pub fn measure(dist: &Path) -> Result<Vec<Row>> {
    let mut files = Vec::new();
    collect(dist, &mut files)?;
    files.sort();
    let mut rows = Vec::new();
    for path in files {
        let bytes = fs::read(&path).context(format!("reading {}", path.display()))?;
        let name = path
            .strip_prefix(dist)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        rows.push(Row {
            name,
            raw: bytes.len() as u64,
            gzip: gzip_len(&bytes)?,
            brotli: brotli_len(&bytes)?,
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

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let entries = fs::read_dir(dir).context(format!("listing {}", dir.display()))?;
    for entry in entries {
        let path = entry.context(format!("listing {}", dir.display()))?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js")
        ) {
            files.push(path);
        }
    }
    Ok(())
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

/// The table: one row per file, then the total.
pub fn render(rows: &[Row]) -> String {
    let total = Row {
        name: String::from("total"),
        raw: rows.iter().map(|r| r.raw).sum(),
        gzip: rows.iter().map(|r| r.gzip).sum(),
        brotli: rows.iter().map(|r| r.brotli).sum(),
    };
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .chain([4])
        .max()
        .unwrap_or(4);
    let mut out = String::new();
    let line = |out: &mut String, name: &str, raw: &str, gzip: &str, brotli: &str| {
        out.push_str(&format!(
            "size: {name:<width$}  {raw:>10}  {gzip:>10}  {brotli:>10}\n"
        ));
    };
    line(&mut out, "file", "raw", "gzip", "brotli");
    for row in rows.iter().chain([&total]) {
        line(
            &mut out,
            &row.name,
            &kb(row.raw),
            &kb(row.gzip),
            &kb(row.brotli),
        );
    }
    out
}

/// The budget line and whether the wasm is within it.
pub fn budget(rows: &[Row]) -> (String, bool) {
    let wasm: u64 = rows
        .iter()
        .filter(|r| r.name.ends_with(".wasm"))
        .map(|r| r.brotli)
        .sum();
    let within = wasm <= WASM_BROTLI_BUDGET;
    let verdict = if within { "ok" } else { "OVER BUDGET" };
    let line = format!(
        "size: budget wasm ≤ {} brotli: {} ({wasm} bytes): {verdict}",
        kb(WASM_BROTLI_BUDGET),
        kb(wasm)
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
            gzip: brotli * 2,
            brotli,
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
    fn the_table_ends_with_the_total() {
        let table = render(&[row("app_bg.wasm", 70_000), row("app.js", 7_000)]);
        let last = table.lines().last().unwrap_or_default();
        assert!(last.starts_with("size: total"), "{table}");
        assert!(last.ends_with("77.0 KB"), "{table}");
    }

    #[test]
    fn a_wasm_exactly_at_the_budget_is_within_it() {
        let (_, within) = budget(&[row("a.wasm", WASM_BROTLI_BUDGET), row("a.js", 90_000)]);
        assert!(within);
        let (line, within) = budget(&[row("a.wasm", WASM_BROTLI_BUDGET + 1)]);
        assert!(!within);
        assert!(line.ends_with("OVER BUDGET"), "{line}");
    }

    #[test]
    fn measuring_a_directory_without_wasm_is_an_error() {
        let dir = std::env::temp_dir().join(format!("xtask-size-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(dir.join("app.js"), "console.log(1)").expect("temp file");
        let result = measure(&dir);
        let _ = fs::remove_dir_all(&dir);
        assert!(result.is_err());
    }
}
