//! Foldlab's browser entry point: installs the panic hook and mounts the app.

mod address;
mod app;
mod bench;
mod components;
mod lab;
mod lazy;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
