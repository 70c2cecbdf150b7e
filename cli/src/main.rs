use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The safety-reporting platform on one machine.
#[derive(Parser)]
#[command(name = "num", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every function on this machine on embedded backends: web pages, public and staff API, streams, delivery.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Where the database and master key live (default: $NUM_DATA_DIR, else ./.num-data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { addr, data_dir } => {
            num_cli::logging::init();
            let dir = num_cli::serve::data_dir(data_dir);
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("the runtime starts");
            match rt.block_on(num_cli::serve::run(&addr, &dir)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("num serve: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
