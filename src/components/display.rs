//! Display settings for a room full of people: the theme (the system's, light or dark) and a
//! large-text mode for projectors. Kept in localStorage and applied as attributes on `<html>`,
//! which the stylesheet reads.

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The localStorage key the settings are saved under.
const KEY: &str = "foldlab-display";

/// Which colours the page uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Whatever the system prefers.
    #[default]
    System,
    /// Light, whatever the system prefers.
    Light,
    /// Dark, whatever the system prefers.
    Dark,
}

impl Theme {
    fn value(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    fn from_value(value: &str) -> Theme {
        match value {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

/// The saved settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplaySettings {
    /// The theme.
    pub theme: Theme,
    /// Whether text is large.
    pub large_text: bool,
}

impl DisplaySettings {
    /// The saved settings, or the defaults when none (or unreadable ones) are saved.
    pub fn load() -> Self {
        LocalStorage::get(KEY).unwrap_or_default()
    }

    /// Saves the settings and applies them to the page.
    fn save_and_apply(self) {
        // Not being able to save (storage full or off) only means the choice is not remembered.
        let _ = LocalStorage::set(KEY, self);
        self.apply();
    }

    /// Sets the attributes the stylesheet reads on `<html>`.
    pub fn apply(self) {
        let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        else {
            return;
        };
        let _ = match self.theme {
            Theme::System => root.remove_attribute("data-theme"),
            theme => root.set_attribute("data-theme", theme.value()),
        };
        let _ = if self.large_text {
            root.set_attribute("data-text", "large")
        } else {
            root.remove_attribute("data-text")
        };
    }
}

/// The theme choice and the large-text switch, for the header's Settings menu.
#[component]
pub fn DisplayControls() -> impl IntoView {
    let settings = RwSignal::new(DisplaySettings::load());
    settings.get_untracked().apply();
    let update = move |change: &dyn Fn(&mut DisplaySettings)| {
        settings.update(|s| change(s));
        settings.get_untracked().save_and_apply();
    };
    view! {
        <div class="display" role="group" aria-label="Display">
            <label>
                "Theme"
                <select
                    prop:value=move || settings.get().theme.value()
                    on:change=move |ev| {
                        let theme = Theme::from_value(&event_target_value(&ev));
                        update(&|s| s.theme = theme);
                    }
                >
                    <option value="system">"System"</option>
                    <option value="light">"Light"</option>
                    <option value="dark">"Dark"</option>
                </select>
            </label>
            <button
                class="small quiet"
                aria-pressed=move || settings.get().large_text.to_string()
                on:click=move |_| update(&|s| s.large_text = !s.large_text)
            >
                "Large text"
            </button>
        </div>
    }
}
