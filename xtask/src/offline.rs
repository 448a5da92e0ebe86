//! Offline after one visit: the service worker, the web app manifest and its icons, written into
//! a release build's dist folder as its very last step (after every page and asset is there).
//!
//! The worker's source is a template (`xtask/templates/sw.js`); this module fills in the build's
//! version and the list of its files, each with the SRI hash of its contents. The version is a
//! hash of every file's path and contents, so a deploy that changes any byte is a new version and
//! an unchanged rebuild is not. The worker caches every file of its version at install, checked
//! against those hashes, so a version is either complete and consistent or not installed at all.
//!
//! The manifest's `start_url` and `scope` are the build's public URL, and its colours come from
//! the light palette in `style/main.css`, so there is one place to change them.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::process::say;
use crate::{Context, Error, Project, Result};

/// The worker's file name, at the site's root (its scope is then the whole site).
pub const WORKER: &str = "sw.js";
/// The manifest's file name (the extension GitHub Pages serves as `application/manifest+json`).
pub const MANIFEST: &str = "manifest.webmanifest";
/// The icons the manifest names: Chromium needs a 192 and a 512 pixel icon to offer an install.
pub const ICON_SIZES: [u32; 2] = [192, 512];

const TEMPLATE: &str = include_str!("../templates/sw.js");
const VERSION_SLOT: &str = "\"__FOLDLAB_VERSION__\"";
const FILES_SLOT: &str = "\"__FOLDLAB_FILES__\"";

/// The app's name as an installed app shows it.
const NAME: &str = "Foldlab: Event Sourcing + CQRS lab";
const SHORT_NAME: &str = "Foldlab";

/// One file the worker caches: its path relative to the site's root (with `/`), and the SRI hash
/// (`sha256-…`) its fetched bytes must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedFile {
    /// The path relative to the worker's scope, `/`-separated: `lessons/happy_path.html`.
    pub path: String,
    /// `sha256-<base64>` of the file's contents.
    pub integrity: String,
}

/// [`write_into`] with the palette of the project's `style/main.css`: the last step of
/// `build::release`, once every other file of the build is written.
pub fn write(project: &Project, dist: &Path, public_url: &str) -> Result<()> {
    let css = project.path("style/main.css");
    let css = fs::read_to_string(&css).context(format!("reading {}", css.display()))?;
    write_into(dist, public_url, &css)
}

/// The icons, the manifest and then the worker, written into `dist` (a release build for
/// `public_url`) with the colours of `main_css`; the worker lists every file then in `dist`,
/// itself excepted.
pub fn write_into(dist: &Path, public_url: &str, main_css: &str) -> Result<()> {
    let palette = Palette::from_css(main_css)?;
    for size in ICON_SIZES {
        let file = dist.join(icon_name(size));
        fs::write(&file, icon_png(size, &palette)?)
            .context(format!("writing {}", file.display()))?;
    }
    let manifest = dist.join(MANIFEST);
    fs::write(&manifest, manifest_json(public_url, &palette)?)
        .context(format!("writing {}", manifest.display()))?;
    let files = cached_files(dist)?;
    let version = version(&files);
    let worker = dist.join(WORKER);
    fs::write(&worker, worker_js(&version, &files)?)
        .context(format!("writing {}", worker.display()))?;
    say(format!(
        "build: offline: {WORKER} version {version} caches {} files; {MANIFEST} and its icons",
        files.len()
    ));
    Ok(())
}

/// Every file under `dist` (recursively) except the worker itself, sorted by path, each with the
/// hash of its contents.
pub fn cached_files(dist: &Path) -> Result<Vec<CachedFile>> {
    let mut files = Vec::new();
    for path in crate::files::relative_files(dist)? {
        if path == WORKER {
            continue;
        }
        let file = dist.join(&path);
        let bytes = fs::read(&file).context(format!("reading {}", file.display()))?;
        files.push(CachedFile {
            integrity: crate::files::sri(&bytes),
            path,
        });
    }
    Ok(files)
}

/// The build's version: the first 16 hex digits of a sha256 over every file's path and hash, so
/// any change to any file (or a file added, removed or renamed) makes a new version.
pub fn version(files: &[CachedFile]) -> String {
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.path.as_bytes());
        hasher.update([0]);
        hasher.update(file.integrity.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The worker's source: the template with the version and the file list filled in.
pub fn worker_js(version: &str, files: &[CachedFile]) -> Result<String> {
    for slot in [VERSION_SLOT, FILES_SLOT] {
        if TEMPLATE.matches(slot).count() != 1 {
            return Err(Error::new(format!(
                "offline: the worker template must hold {slot} exactly once"
            )));
        }
    }
    let list: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::json!({ "path": f.path, "integrity": f.integrity }))
        .collect();
    let list = serde_json::to_string(&list).context("offline: writing the file list")?;
    let version = serde_json::to_string(version).context("offline: writing the version")?;
    Ok(TEMPLATE
        .replace(VERSION_SLOT, &version)
        .replace(FILES_SLOT, &list))
}

/// The web app manifest for a build under `public_url` (`/foldlab/`): installable in Chromium
/// (name, start URL, standalone display, a 192 and a 512 pixel icon).
pub fn manifest_json(public_url: &str, palette: &Palette) -> Result<String> {
    let base = if public_url.ends_with('/') {
        public_url.to_string()
    } else {
        format!("{public_url}/")
    };
    if !base.starts_with('/') {
        return Err(Error::new(format!(
            "offline: the public url {public_url:?} must be a path starting with /"
        )));
    }
    let icons: Vec<serde_json::Value> = ICON_SIZES
        .iter()
        .map(|size| {
            serde_json::json!({
                "src": format!("{base}{}", icon_name(*size)),
                "sizes": format!("{size}x{size}"),
                "type": "image/png",
                "purpose": "any",
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "name": NAME,
        "short_name": SHORT_NAME,
        "description": "An Event Sourcing + CQRS laboratory that runs entirely in your browser.",
        "id": base,
        "start_url": base,
        "scope": base,
        "display": "standalone",
        "theme_color": palette.accent.hex(),
        "background_color": palette.background.hex(),
        "icons": icons,
    });
    serde_json::to_string_pretty(&manifest).context("offline: writing the manifest")
}

/// An icon's file name.
pub fn icon_name(size: u32) -> String {
    format!("icon-{size}.png")
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// `#rrggbb`.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.trim().strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb([channel(0)?, channel(2)?, channel(4)?]))
    }

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// The colours the manifest and the icons use, from the light palette in `style/main.css`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// `--accent`: the theme colour (the installed app's title bar), the icon's ground.
    pub accent: Rgb,
    /// `--accent-ink`: what is drawn on the accent.
    pub on_accent: Rgb,
    /// `--new-bg`: the icon's folded result.
    pub highlight: Rgb,
    /// `--bg`: the splash screen's background.
    pub background: Rgb,
}

impl Palette {
    /// The first (light, `:root`) value of each variable in the stylesheet.
    pub fn from_css(css: &str) -> Result<Palette> {
        let colour = |name: &str| -> Result<Rgb> {
            let declaration = format!("{name}:");
            let at = css
                .find(&declaration)
                .ok_or_else(|| Error::new(format!("offline: style/main.css declares no {name}")))?;
            let value = &css[at + declaration.len()..];
            let value = &value[..value.find(';').unwrap_or(value.len())];
            Rgb::parse(value).ok_or_else(|| {
                Error::new(format!(
                    "offline: {name} in style/main.css is {value:?}, not #rrggbb"
                ))
            })
        };
        Ok(Palette {
            accent: colour("--accent")?,
            on_accent: colour("--accent-ink")?,
            highlight: colour("--new-bg")?,
            background: colour("--bg")?,
        })
    }
}

/// The icon, `size` pixels square, as a PNG: a rounded square in the accent colour holding a log
/// of four events (bars) and, below a gap, the one state they fold into (a wider bar).
pub fn icon_png(size: u32, palette: &Palette) -> Result<Vec<u8>> {
    let pixels = icon_rgba(size, palette);
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, size, size);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .context("offline: writing an icon's header")?;
        writer
            .write_image_data(&pixels)
            .context("offline: writing an icon's pixels")?;
        writer.finish().context("offline: finishing an icon")?;
    }
    Ok(out)
}

/// A shape in the icon, in units of the icon's side (0.0 to 1.0).
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    radius: f64,
}

impl Rect {
    fn contains(&self, x: f64, y: f64) -> bool {
        if x < self.left || x > self.right || y < self.top || y > self.bottom {
            return false;
        }
        // Inside the rectangle; outside a corner's quarter circle is outside the shape.
        let cx = x.clamp(self.left + self.radius, self.right - self.radius);
        let cy = y.clamp(self.top + self.radius, self.bottom - self.radius);
        (x - cx).powi(2) + (y - cy).powi(2) <= self.radius.powi(2)
    }
}

/// The icon's pixels (RGBA, row by row), each the average of 4×4 samples so edges are smooth.
fn icon_rgba(size: u32, palette: &Palette) -> Vec<u8> {
    let ground = Rect {
        left: 0.0,
        top: 0.0,
        right: 1.0,
        bottom: 1.0,
        radius: 0.18,
    };
    let bar = |top: f64, right: f64| Rect {
        left: 0.22,
        top,
        right,
        bottom: top + 0.075,
        radius: 0.03,
    };
    // The events, then the state they fold into.
    let events = [
        bar(0.2, 0.62),
        bar(0.31, 0.78),
        bar(0.42, 0.52),
        bar(0.53, 0.7),
    ];
    let state = Rect {
        left: 0.22,
        top: 0.68,
        right: 0.78,
        bottom: 0.8,
        radius: 0.04,
    };
    const SAMPLES: u32 = 4;
    let mut pixels = Vec::with_capacity((size * size * 4) as usize);
    for py in 0..size {
        for px in 0..size {
            let mut sum = [0.0f64; 4];
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let x = (f64::from(px) + (f64::from(sx) + 0.5) / f64::from(SAMPLES))
                        / f64::from(size);
                    let y = (f64::from(py) + (f64::from(sy) + 0.5) / f64::from(SAMPLES))
                        / f64::from(size);
                    let colour = if !ground.contains(x, y) {
                        None
                    } else if events.iter().any(|e| e.contains(x, y)) {
                        Some(palette.on_accent)
                    } else if state.contains(x, y) {
                        Some(palette.highlight)
                    } else {
                        Some(palette.accent)
                    };
                    if let Some(Rgb([r, g, b])) = colour {
                        sum[0] += f64::from(r);
                        sum[1] += f64::from(g);
                        sum[2] += f64::from(b);
                        sum[3] += 255.0;
                    }
                }
            }
            let covered = sum[3] / 255.0;
            let n = f64::from(SAMPLES * SAMPLES);
            for (i, channel) in sum.iter().enumerate() {
                // Colour channels are averaged over the covered samples only (straight alpha).
                let value = if i == 3 {
                    channel / n
                } else if covered > 0.0 {
                    channel / covered
                } else {
                    0.0
                };
                pixels.push(value.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    const CSS: &str = ":root {\n  --bg: #f6f7f9;\n  --accent: #0b5cad;\n  --accent-ink: #ffffff;\n  --new-bg: #ddf4ff;\n}\n@media (prefers-color-scheme: dark) { :root { --bg: #0f1318; --accent: #4493f8; } }";

    fn palette() -> Palette {
        Palette::from_css(CSS).expect("palette")
    }

    /// A scratch dist folder, unique per test, removed and made anew.
    fn scratch(name: &str) -> PathBuf {
        let dir = crate::files::scratch(&format!("offline-{name}"));
        fs::create_dir_all(dir.join("lessons")).expect("scratch dir");
        fs::write(dir.join("index.html"), "<html>index</html>").expect("index");
        fs::write(dir.join("lab.html"), "<html>index</html>").expect("lab");
        fs::write(dir.join("lessons/happy_path.html"), "<html>index</html>").expect("lesson");
        fs::write(dir.join("foldlab-1_bg.wasm"), [0u8, 97, 115, 109]).expect("wasm");
        dir
    }

    #[test]
    fn the_palette_is_the_light_one_from_the_stylesheet() {
        let p = palette();
        assert_eq!(p.accent.hex(), "#0b5cad");
        assert_eq!(p.background.hex(), "#f6f7f9");
        assert_eq!(p.on_accent, Rgb([255, 255, 255]));
    }

    #[test]
    fn the_real_stylesheet_gives_a_palette() {
        let css =
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../style/main.css"))
                .expect("style/main.css");
        assert!(Palette::from_css(&css).is_ok());
    }

    #[test]
    fn a_stylesheet_without_the_colour_or_with_another_notation_is_refused() {
        let missing = Palette::from_css(":root { --bg: #ffffff; }").expect_err("refused");
        assert!(missing.to_string().contains("--accent"), "{missing}");
        let named = Palette::from_css(&CSS.replace("#0b5cad", "blue")).expect_err("refused");
        assert!(named.to_string().contains("not #rrggbb"), "{named}");
    }

    #[test]
    fn the_manifest_starts_and_stays_under_the_public_url_and_names_both_icons() {
        let json: serde_json::Value =
            serde_json::from_str(&manifest_json("/foldlab/", &palette()).expect("manifest"))
                .expect("valid JSON");
        assert_eq!(json["start_url"], "/foldlab/");
        assert_eq!(json["scope"], "/foldlab/");
        assert_eq!(json["display"], "standalone");
        assert_eq!(json["short_name"], "Foldlab");
        assert_eq!(json["theme_color"], "#0b5cad");
        assert_eq!(json["icons"][0]["src"], "/foldlab/icon-192.png");
        assert_eq!(json["icons"][1]["sizes"], "512x512");
        // A public url without its slash means the same site.
        assert_eq!(
            manifest_json("/foldlab", &palette()).expect("manifest"),
            manifest_json("/foldlab/", &palette()).expect("manifest")
        );
        assert!(manifest_json("foldlab/", &palette()).is_err());
    }

    #[test]
    fn an_icon_is_a_png_of_its_size_with_transparent_corners_and_an_accent_ground() {
        let bytes = icon_png(192, &palette()).expect("icon");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        assert_eq!((info.width, info.height), (192, 192));
        assert_eq!(info.color_type, png::ColorType::Rgba);
        let at = |x: usize, y: usize| &pixels[(y * 192 + x) * 4..(y * 192 + x) * 4 + 4];
        assert_eq!(at(0, 0)[3], 0, "a rounded corner is transparent");
        assert_eq!(
            at(10, 96),
            [0x0b, 0x5c, 0xad, 255],
            "the ground is the accent"
        );
        // The first event's bar, 0.22 to 0.62 across and 0.2 to 0.275 down.
        assert_eq!(
            at(76, 45),
            [255, 255, 255, 255],
            "an event is drawn on the accent"
        );
    }

    #[test]
    fn every_file_is_listed_with_its_hash_and_the_worker_is_not() {
        let dist = scratch("list");
        fs::write(dist.join(WORKER), "old worker").expect("worker");
        let files = cached_files(&dist).expect("files");
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "foldlab-1_bg.wasm",
                "index.html",
                "lab.html",
                "lessons/happy_path.html"
            ]
        );
        assert_eq!(files[1].integrity, crate::files::sri(b"<html>index</html>"));
        let _ = fs::remove_dir_all(&dist);
    }

    #[test]
    fn the_version_changes_with_any_file_and_only_then() {
        let dist = scratch("version");
        let first = version(&cached_files(&dist).expect("files"));
        assert_eq!(first.len(), 16);
        assert_eq!(version(&cached_files(&dist).expect("files")), first);
        fs::write(dist.join("lessons/happy_path.html"), "<html>new</html>").expect("changed");
        let changed = version(&cached_files(&dist).expect("files"));
        assert_ne!(changed, first);
        fs::rename(dist.join("lab.html"), dist.join("lab2.html")).expect("renamed");
        assert_ne!(version(&cached_files(&dist).expect("files")), changed);
        let _ = fs::remove_dir_all(&dist);
    }

    #[test]
    fn the_worker_carries_the_version_and_every_file_with_its_hash() {
        let files = vec![CachedFile {
            path: "lessons/happy_path.html".into(),
            integrity: "sha256-abc=".into(),
        }];
        let js = worker_js("0123456789abcdef", &files).expect("worker");
        assert!(!js.contains("__FOLDLAB_"), "every slot is filled");
        assert!(js.contains("const VERSION = \"0123456789abcdef\";"), "{js}");
        assert!(js.contains(
            "const FILES = [{\"integrity\":\"sha256-abc=\",\"path\":\"lessons/happy_path.html\"}];"
        ));
    }

    #[test]
    fn write_puts_the_manifest_and_icons_in_the_worker_s_list() {
        let dist = scratch("write");
        write_into(&dist, "/foldlab/", CSS).expect("written");
        let js = fs::read_to_string(dist.join(WORKER)).expect("worker");
        for name in [MANIFEST, "icon-192.png", "icon-512.png", "index.html"] {
            assert!(js.contains(&format!("\"path\":\"{name}\"")), "{name}");
        }
        assert!(!js.contains("\"path\":\"sw.js\""));
        let version = version(&cached_files(&dist).expect("files"));
        assert!(js.contains(&version));
        let _ = fs::remove_dir_all(&dist);
    }
}
