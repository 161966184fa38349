//! Progress reporting. Stages and the pipeline talk to the [`Reporter`] trait; only this module
//! touches indicatif, and its bar is hidden when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Receives progress from the pipeline.
pub trait Reporter: Sync {
    /// A phase of the run (`"learning site boilerplate"`, `"cleaning"`) over `total` files begins.
    fn phase(&self, name: &'static str, total: u64);
    /// `n` more files are done.
    fn advance(&self, n: u64);
    /// The run is over.
    fn finish(&self);
}

/// Reports nothing (library use, tests, `--quiet`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Reporter for Silent {
    fn phase(&self, _: &'static str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// An indicatif bar on stderr, drawn only when stderr is a terminal.
#[derive(Debug)]
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar that shows only if `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if enabled && std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg}: {pos}/{len} files [{bar:30}] {elapsed} elapsed, eta {eta}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
        }
        Bar(bar)
    }
}

impl Reporter for Bar {
    fn phase(&self, name: &'static str, total: u64) {
        self.0.set_message(name);
        self.0.set_position(0);
        self.0.set_length(total);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
