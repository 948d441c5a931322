//! The `lain` binary: parse flags, run one command, report an error, exit with its code.
//! All logic lives in `lain-core`; the commands here only translate flags into calls.

mod cli;
mod commands;

use clap::Parser;
use lain_core::error::{LainError, exit};
use lain_core::output::{self, Verbosity};

fn main() {
    let cli = cli::Cli::parse();
    output::set_verbosity(if cli.silent {
        Verbosity::Silent
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    });
    // One TLS provider for the whole process (kube and reqwest both use rustls with ring).
    let _ = rustls_provider();
    let code = match commands::run(cli) {
        Ok(()) => 0,
        Err(e) => report(&e),
    };
    std::process::exit(code);
}

fn rustls_provider() -> Option<()> {
    lain_core::install_crypto_provider();
    Some(())
}

/// Prints `lain: error: ...` with the chain of causes, and picks the exit code.
fn report(e: &anyhow::Error) -> i32 {
    let code = e.chain().find_map(|c| c.downcast_ref::<LainError>().map(LainError::exit_code)).unwrap_or(exit::FAILURE);
    let mut msg = format!("{e}");
    for cause in e.chain().skip(1) {
        let s = cause.to_string();
        if !msg.contains(&s) {
            msg.push_str(&format!("\n  caused by: {s}"));
        }
    }
    let prefix = if output::color() { "\x1b[31mlain: error:\x1b[0m" } else { "lain: error:" };
    eprintln!("{prefix} {msg}");
    code
}
