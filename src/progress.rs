//! Progress reporting. Stages and the pipeline talk to the [`Reporter`] trait; only this module
//! touches indicatif, and its bar is hidden when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Receives progress from the pipeline.
pub trait Reporter: Sync {
    /// A phase of the run (`"learning site boilerplate"`, `"cleaning"`) over `total` bytes of
    /// input begins (bytes, not files: one feed can be most of a run).
    fn phase(&self, name: &'static str, total: u64);
    /// `n` more bytes are done.
    fn advance(&self, n: u64);
    /// `total` documents (files, feed records) are done in this phase so far.
    fn documents(&self, total: u64) {
        let _ = total;
    }
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
        if enabled && std::io::stderr().is_terminal() {
            Bar::drawing_to(ProgressDrawTarget::stderr())
        } else {
            Bar(ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()))
        }
    }

    /// A bar drawn to `target`: sizes in KiB, MiB or GiB, the rate, and the time left.
    fn drawing_to(target: ProgressDrawTarget) -> Bar {
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg}: {binary_bytes}/{binary_total_bytes} [{bar:30}] {prefix} {binary_bytes_per_sec}, {elapsed} elapsed, eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        Bar(bar)
    }
}

impl Reporter for Bar {
    fn phase(&self, name: &'static str, total: u64) {
        self.0.set_message(name);
        self.0.set_prefix("");
        self.0.set_position(0);
        self.0.set_length(total);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn documents(&self, total: u64) {
        // A feed is one file of many records: the count says how far into it the run is.
        self.0.set_prefix(if total == 1 { "1 document".to_string() } else { format!("{total} documents") });
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::InMemoryTerm;

    #[test]
    fn the_bar_counts_bytes_as_sizes_with_a_rate() {
        let term = InMemoryTerm::new(4, 200);
        let bar = Bar::drawing_to(ProgressDrawTarget::term_like(Box::new(term.clone())));
        bar.phase("cleaning", 96_269_413);
        bar.advance(22_125_792);
        bar.documents(20_000);
        bar.0.force_draw();
        let shown = term.contents();
        assert!(shown.contains("cleaning: 21.10 MiB/91.81 MiB"), "{shown}");
        assert!(shown.contains("/s"), "a rate: {shown}");
        assert!(shown.contains("20000 documents"), "records of a feed are counted: {shown}");
        assert!(!shown.contains("files"), "{shown}");
    }
}
