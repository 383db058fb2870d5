fn main() {
    frontend::fatal::install_panic_hook();
    leptos::mount::mount_to_body(frontend::App);
}
