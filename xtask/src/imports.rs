//! Short names for the functions a wasm module imports from its wasm-bindgen glue.
//!
//! wasm-bindgen names each of them after what it calls plus a hash
//! (`__wbg_removeAttribute_735f25a801a701e1`), and the name is written twice: in the module's
//! import section and as a key of the glue's import object. The app's main module has over 300
//! of them, about 21 KB raw; the hashes do not compress. [`shorten`] gives each a short name
//! (`a`, `b`, … `Z`, `aa`, …) in both files, so the first download is about 8 KB brotli smaller.
//! The module's other imports (the split loader's, a snippet's) keep their names.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use wasm_encoder::{Encode, RawSection};
use wasmparser::{BinaryReader, Parser, Payload, TypeRef};

use crate::{Context, Error, Result};

/// The module `wasm` and its glue `glue` with every import from the glue's own module
/// (`glue_module`, as wasm-bindgen names it: `./foldlab_bg.js`) renamed. Fails, changing nothing,
/// when the glue does not hold each such name exactly once followed by `:` (an object key), the
/// form wasm-bindgen writes: a new wasm-bindgen is then looked at rather than trusted.
pub fn shorten(wasm: &[u8], glue: &str, glue_module: &str) -> Result<(Vec<u8>, String)> {
    let fail = |what: String| Error::new(format!("imports: {what}"));
    let mut module = wasm_encoder::Module::new();
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| fail(format!("reading the module: {e}")))?;
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        let range = range.start as usize..range.end as usize;
        if !matches!(payload, Payload::ImportSection(_)) {
            module.section(&RawSection {
                id,
                data: &wasm[range],
            });
            continue;
        }
        let mut reader = BinaryReader::new(&wasm[range.clone()], range.start as u64);
        let read = |e: wasmparser::BinaryReaderError| fail(format!("reading the imports: {e}"));
        let count = reader.read_var_u32().map_err(read)?;
        let mut section = Vec::new();
        count.encode(&mut section);
        for _ in 0..count {
            let from = reader.read_string().map_err(read)?;
            let name = reader.read_string().map_err(read)?;
            let start = reader.original_position() as usize;
            reader.read::<TypeRef>().map_err(read)?;
            let kind = &wasm[start..reader.original_position() as usize];
            from.encode(&mut section);
            if from == glue_module {
                let short = short_name(renamed.len());
                short.encode(&mut section);
                renamed.insert(name.to_string(), short);
            } else {
                name.encode(&mut section);
            }
            section.extend_from_slice(kind);
        }
        module.section(&RawSection { id, data: &section });
    }
    let mut out = glue.to_string();
    for (name, short) in &renamed {
        let key = format!("{name}:");
        if glue.matches(name.as_str()).count() != 1 || !glue.contains(&key) {
            return Err(fail(format!(
                "the glue does not name the import {name} exactly once, as a key; see xtask/src/imports.rs"
            )));
        }
        out = out.replacen(&key, &format!("{short}:"), 1);
    }
    Ok((module.finish(), out))
}

/// [`shorten`] on the files of a wasm-bindgen build named `name` in `dir` (`name_bg.wasm` and
/// `name.js`), in place.
pub fn shorten_in(dir: &Path, name: &str) -> Result<()> {
    let wasm_path = dir.join(format!("{name}_bg.wasm"));
    let glue_path = dir.join(format!("{name}.js"));
    let wasm = fs::read(&wasm_path).context(format!("reading {}", wasm_path.display()))?;
    let glue =
        fs::read_to_string(&glue_path).context(format!("reading {}", glue_path.display()))?;
    let (wasm, glue) = shorten(&wasm, &glue, &format!("./{name}_bg.js"))?;
    fs::write(&wasm_path, wasm).context(format!("writing {}", wasm_path.display()))?;
    fs::write(&glue_path, glue).context(format!("writing {}", glue_path.display()))?;
    Ok(())
}

/// The `n`th short name: `a` to `z`, `A` to `Z`, then `aa`, `ab`, … (never a word JavaScript
/// gives a meaning to as an object key, such as `__proto__`).
fn short_name(n: usize) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = n + 1;
    let mut name = Vec::new();
    while n > 0 {
        n -= 1;
        name.push(LETTERS[n % LETTERS.len()]);
        n /= LETTERS.len();
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{EntityType, ImportSection, Module, TypeSection, ValType};

    /// A module importing `f` and `g` from `glue` and `h` from `other`, all `() -> i32`.
    fn module(glue: &str) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        let mut imports = ImportSection::new();
        imports.import(glue, "__wbg_f_0123456789abcdef", EntityType::Function(0));
        imports.import(glue, "__wbg_g_fedcba9876543210", EntityType::Function(0));
        imports.import("./other.js", "h", EntityType::Function(0));
        let mut module = Module::new();
        module.section(&types).section(&imports);
        module.finish()
    }

    fn names(wasm: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Ok(Payload::ImportSection(reader)) = payload {
                for import in reader.into_imports() {
                    let import = import.expect("an import");
                    out.push((import.module.to_string(), import.name.to_string()));
                }
            }
        }
        out
    }

    #[test]
    fn the_glues_imports_get_short_names_in_the_module_and_the_glue_and_others_keep_theirs() {
        let glue = "const i={\"./app_bg.js\":{__proto__:null,__wbg_f_0123456789abcdef:function(){return 1},__wbg_g_fedcba9876543210:function(){return 2}}};";
        let (wasm, out) = shorten(&module("./app_bg.js"), glue, "./app_bg.js").expect("shortened");
        assert_eq!(
            names(&wasm),
            vec![
                ("./app_bg.js".to_string(), "a".to_string()),
                ("./app_bg.js".to_string(), "b".to_string()),
                ("./other.js".to_string(), "h".to_string()),
            ]
        );
        assert_eq!(
            out,
            "const i={\"./app_bg.js\":{__proto__:null,a:function(){return 1},b:function(){return 2}}};"
        );
        wasmparser::Validator::new()
            .validate_all(&wasm)
            .expect("still a valid module");
    }

    #[test]
    fn a_glue_that_names_an_import_twice_is_refused() {
        let glue = "{__wbg_f_0123456789abcdef:function(){},__wbg_g_fedcba9876543210:function(){}};call(__wbg_f_0123456789abcdef)";
        let error = shorten(&module("./app_bg.js"), glue, "./app_bg.js").expect_err("refused");
        assert!(
            error.to_string().contains("__wbg_f_0123456789abcdef"),
            "{error}"
        );
    }

    #[test]
    fn short_names_run_through_the_letters_then_grow() {
        assert_eq!(short_name(0), "a");
        assert_eq!(short_name(25), "z");
        assert_eq!(short_name(26), "A");
        assert_eq!(short_name(51), "Z");
        assert_eq!(short_name(52), "aa");
        assert_eq!(short_name(53), "ab");
    }
}
