//! The Content-Security-Policy of the shipped page.
//!
//! GitHub Pages sets no response headers, so the policy travels in the page itself, as a
//! `<meta http-equiv="Content-Security-Policy">` written into the built index.html right after
//! `<meta charset>` (a meta policy governs only what comes after it, so it must precede the
//! `<base>`, the stylesheets and the scripts).
//!
//! Trunk's release output has one inline `<script type="module">` (the loader that imports the
//! wasm-bindgen JS and starts the wasm). Its text differs per build (it names the hashed files
//! under the public URL), so the policy allows it by the sha256 of its exact text, computed here
//! after the build. Nothing else inline runs: no other inline script, no event-handler
//! attribute, no `style` attribute, no `<style>` element.
//!
//! `cargo xtask serve` (Trunk's development server) ships no policy: the meta is added only by
//! `build::release`, and the dev server injects its own inline live-reload script and websocket.

use crate::{Error, Result};

/// What the page may load and run, given the hash sources of its inline scripts.
///
/// - `script-src 'self'`: the wasm-bindgen JS (module import and modulepreload);
///   `'wasm-unsafe-eval'`: compiling the wasm; the hashes: Trunk's inline loader.
/// - `style-src 'self'`: the app's stylesheets only; the app sets styles through the CSSOM
///   (`element.style.setProperty`), which the policy does not govern, never a `style` attribute.
/// - `img-src 'self' data:`: the empty `data:,` favicon (the charts are inline SVG elements, not
///   images), and the manifest's icons, which Chromium loads under the page's policy.
/// - `connect-src 'self'`: fetching the wasm (and its preload).
/// - `worker-src 'self'`: the service worker (`sw.js`, see `offline.rs`); `manifest-src 'self'`:
///   the web app manifest, linked once the lab is ready.
/// - `base-uri 'self'`: the `<base href>` Trunk writes for the public URL.
/// - `form-action 'none'`, `object-src 'none'`: no form is ever submitted, no plugin loaded.
///
/// Exporting a file (a `blob:` link with `download`) and the clipboard are not fetches or
/// navigations a policy governs, so they need nothing here.
pub fn policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in script_hashes {
        script_src.push_str(&format!(" '{hash}'"));
    }
    format!(
        "default-src 'none'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'self'; \
         form-action 'none'; object-src 'none'"
    )
}

/// The CSP hash source (`sha256-…`) of an inline script's exact text.
pub fn hash_source(text: &str) -> String {
    crate::files::sri(text.as_bytes())
}

/// The texts of the inline scripts in `html` (every `<script>` without a `src`).
pub fn inline_scripts(html: &str) -> Result<Vec<&str>> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let tag_end = after
            .find('>')
            .ok_or_else(|| Error::new("csp: a <script tag is not closed"))?;
        let tag = &after[..tag_end];
        let body = &after[tag_end + 1..];
        let close = body
            .find("</script>")
            .ok_or_else(|| Error::new("csp: a <script> has no </script>"))?;
        if !tag.contains(" src=") {
            found.push(&body[..close]);
        }
        rest = &body[close + "</script>".len()..];
    }
    Ok(found)
}

/// `html` with the policy meta inserted right after its `<meta charset…>`; refuses a page that
/// already has a policy or has no charset meta to put it after.
pub fn with_policy(html: &str) -> Result<String> {
    if html.contains("Content-Security-Policy") {
        return Err(Error::new(
            "csp: the page already has a Content-Security-Policy",
        ));
    }
    let hashes: Vec<String> = inline_scripts(html)?.into_iter().map(hash_source).collect();
    let charset = html
        .find("<meta charset")
        .ok_or_else(|| Error::new("csp: the page has no <meta charset> to put the policy after"))?;
    let end = charset
        + html[charset..]
            .find('>')
            .ok_or_else(|| Error::new("csp: <meta charset is not closed"))?
        + 1;
    Ok(format!(
        "{}\n    <meta http-equiv=\"Content-Security-Policy\" content=\"{}\" />{}",
        &html[..end],
        policy(&hashes),
        &html[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!doctype html>\n<html><head>\n    <meta charset=\"utf-8\" />\n    <base href=\"/foldlab/\" />\n<script type=\"module\">\nimport init from '/foldlab/x.js';\n</script>\n<script src=\"/foldlab/other.js\"></script></head><body></body></html>";

    #[test]
    fn hash_source_is_the_base64_sha256_of_the_text() {
        // sha256("") is e3b0c442…b855, known to every CSP hash calculator.
        assert_eq!(
            hash_source(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            hash_source("alert(1)"),
            "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI="
        );
    }

    #[test]
    fn only_scripts_without_src_are_inline() {
        assert_eq!(
            inline_scripts(PAGE).expect("well formed"),
            vec!["\nimport init from '/foldlab/x.js';\n"]
        );
    }

    #[test]
    fn the_policy_goes_right_after_the_charset_and_names_the_loader() {
        let out = with_policy(PAGE).expect("inserted");
        let meta = out.find("Content-Security-Policy").expect("present");
        assert!(meta > out.find("<meta charset").expect("charset"));
        assert!(meta < out.find("<base").expect("base"));
        let loader = hash_source("\nimport init from '/foldlab/x.js';\n");
        assert!(out.contains(&format!("script-src 'self' 'wasm-unsafe-eval' '{loader}';")));
        assert!(out.contains("default-src 'none';"));
        assert!(!out.contains("unsafe-inline"));
        // The rest of the page is unchanged.
        assert_eq!(
            out.replace(
                &out[out.find("\n    <meta http-equiv").expect("meta")
                    ..out.find("\n    <base").expect("base")],
                ""
            ),
            PAGE
        );
    }

    #[test]
    fn a_page_without_charset_or_with_a_policy_is_refused() {
        assert!(with_policy("<html><head></head></html>").is_err());
        let twice = with_policy(&with_policy(PAGE).expect("once"));
        assert!(twice.is_err());
        assert!(inline_scripts("<script>never closed").is_err());
    }
}
