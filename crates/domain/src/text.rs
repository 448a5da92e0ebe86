//! What a name may not hold, for every way a name gets in: typed into the Create customer form
//! (the Customer's `decide`), or read from a lab file or a scenario (`foldlab_lab::sharing`).
//! One rule for both, so that every lab the app can make, it can also export and import again.
//!
//! Names are always shown as text, never parsed as markup; the rule keeps out what would look
//! like markup or script to a person or to another tool that reads an exported file, and the
//! invisible bidirectional controls that make text display differently from what it is.

/// What in `text` is not allowed in a name or an id, described for a person (`“<”`,
/// `a control character (U+0007)`), or `None` when the text is fine.
pub fn refused_in_names(text: &str) -> Option<String> {
    if let Some(c) = text.chars().find(|c| *c == '<' || *c == '>') {
        return Some(format!("\u{201c}{c}\u{201d}"));
    }
    if text.to_ascii_lowercase().contains("javascript:") {
        return Some("\u{201c}javascript:\u{201d}".to_string());
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Some(format!("a control character (U+{:04X})", c as u32));
    }
    text.chars().find(|c| is_bidi_control(*c)).map(|c| {
        format!(
            "a right-to-left or left-to-right control (U+{:04X})",
            c as u32
        )
    })
}

/// The embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they reorder how
/// the text after them is displayed.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_in_any_script_are_fine() {
        for name in [
            "Ada Lovelace",
            "O'Brien & Sons",
            "Zoë Ærø",
            "محمد",
            "李小龙",
            "a > b?",
        ] {
            let expected = name.contains('>').then(|| "\u{201c}>\u{201d}".to_string());
            assert_eq!(refused_in_names(name), expected, "{name}");
        }
    }

    #[test]
    fn markup_script_and_controls_are_named() {
        assert_eq!(
            refused_in_names("<img src=x onerror=alert(1)>").as_deref(),
            Some("\u{201c}<\u{201d}")
        );
        assert_eq!(
            refused_in_names("JavaScript:alert(1)").as_deref(),
            Some("\u{201c}javascript:\u{201d}")
        );
        assert_eq!(
            refused_in_names("bell\u{7}").as_deref(),
            Some("a control character (U+0007)")
        );
        assert_eq!(
            refused_in_names("abc\u{202E}fdp.exe").as_deref(),
            Some("a right-to-left or left-to-right control (U+202E)")
        );
        assert!(refused_in_names("x\u{2067}y").is_some());
    }
}
