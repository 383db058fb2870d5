use backend::Config;
use clap::Parser;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let config = Config::parse();
    backend::init_tracing(&config.log);
    backend::serve(config).await
}
