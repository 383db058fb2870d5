use std::process::ExitCode;

use backend::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_command_line() {
        Ok(config) => config,
        Err(error) => error.exit(),
    };
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
