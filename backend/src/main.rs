use std::process::ExitCode;

use backend::Config;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    backend::init_tracing(&config.log);
    match backend::serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        // The message, not the Debug form `fn main() -> Result` would print.
        Err(error) => {
            eprintln!("keyblade: {error}");
            ExitCode::FAILURE
        }
    }
}
