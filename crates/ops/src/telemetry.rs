//! Structured JSON logs (tracing), level from RUST_LOG (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber; a second call is a no-op.
pub fn init() {
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // neo4rs warns "Client-side routing is in experimental mode" on every `neo4j://`
    // connection; client-side routing is not compiled in (server-side routing is used).
    if let Ok(quiet) = "neo4rs::connection=error".parse() {
        filter = filter.add_directive(quiet);
    }
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
