//! Binary entry point: parse the command line, run, map errors to a clear message and exit code.

mod cli;

use clap::{CommandFactory, FromArgMatches};

fn main() {
    let matches = cli::Cli::command().get_matches();
    let mut cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // The dashboard falls back to a free port only when nobody asked for this one.
    cli.dashboard.port_given = matches!(
        matches.value_source("port"),
        Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
    );
    // One-shot commands end quietly when their reader goes away (`runs show ID | head`), as Unix
    // tools do, instead of panicking on the broken pipe. The server and the dashboard keep Rust's
    // default (the signal ignored; a closed socket is an error they handle).
    #[cfg(unix)]
    if !matches!(cli.command, None | Some(cli::Command::Serve(_))) {
        // SAFETY: called before any other thread exists; restores the default disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    if let Err(e) = cli::run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
