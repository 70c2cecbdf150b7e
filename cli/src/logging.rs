/// JSON logs on standard error. Log lines carry ids, kinds and counts only; no layer here records URIs, headers or
/// client addresses.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NUM_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).with_writer(std::io::stderr).try_init();
}
