//! The `newsprep` binary: parse flags, resolve settings, run, print the summary, map the result
//! to an exit code (0 ok, 1 ran with file errors, 2 could not run).

use anyhow::Context;
use clap::Parser;
use newsprep::cli::{Cli, Command, RunArgs};
use newsprep::pipeline;
use newsprep::progress::{Bar, Reporter};
use newsprep::settings::Settings;
use std::process::ExitCode;
use std::time::Instant;

/// At most this many file errors are listed on stderr; all are in manifest.csv.
const SHOW_ERRORS: usize = 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("newsprep: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args)?;
    let started = Instant::now();
    let bar = Bar::new(settings.verbose);
    let stats = pipeline::run(&settings, &bar as &dyn Reporter)
        .with_context(|| format!("run {} -> {}", settings.input.display(), settings.output.display()))?;
    for (source, message) in stats.errors.iter().take(SHOW_ERRORS) {
        eprintln!("newsprep: {source}: {message}");
    }
    if stats.errors.len() > SHOW_ERRORS {
        eprintln!(
            "newsprep: ... and {} more file errors (see manifest.csv)",
            stats.errors.len() - SHOW_ERRORS
        );
    }
    if settings.verbose {
        eprintln!(
            "newsprep: {} -> {} in {:.2}s ({} threads, config: {})",
            settings.input.display(),
            settings.output.display(),
            started.elapsed().as_secs_f64(),
            settings.jobs,
            settings.config
        );
        eprint!("{stats}");
    }
    Ok(if stats.documents.error > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
