//! The files of a build folder, as the build's later steps see them: the split hashes them, the
//! size table weighs them, the service worker lists them. One walk for all three.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Context, Result};

/// Every file under `dir` (recursively), relative to it with `/` separators, sorted.
pub fn relative_files(dir: &Path) -> Result<Vec<String>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
        for entry in fs::read_dir(dir).context(format!("listing {}", dir.display()))? {
            let path = entry.context(format!("listing {}", dir.display()))?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
                continue;
            }
            let relative = path.strip_prefix(root).context(format!(
                "{} lies outside {}",
                path.display(),
                root.display()
            ))?;
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// `sha256-<base64>` of `bytes`: the one hash format both Subresource Integrity (`integrity=`,
/// `fetch(…, { integrity })`) and a Content-Security-Policy hash source accept.
pub fn sri(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
    )
}

/// A scratch folder for one test, unique to the test process and `name`, emptied first.
#[cfg(test)]
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sri_is_the_base64_sha256() {
        // sha256("") is e3b0c442…b855, as every SRI and CSP hash calculator gives it.
        assert_eq!(
            sri(b""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn files_are_listed_relative_with_slashes_and_sorted() {
        let dir = scratch("files-listed");
        fs::create_dir_all(dir.join("snippets/a")).expect("temp dir");
        fs::write(dir.join("b.wasm"), "b").expect("file");
        fs::write(dir.join("snippets/a/x.js"), "x").expect("file");
        fs::write(dir.join("a.js"), "a").expect("file");
        let files = relative_files(&dir);
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(
            files.expect("listed"),
            vec!["a.js", "b.wasm", "snippets/a/x.js"]
        );
    }
}
