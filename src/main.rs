//! The `newsprep` binary: parse flags, resolve settings, run, print the summary, map the result
//! to an exit code (0 ok, 1 ran with file errors, 2 could not run).

mod cli;

use anyhow::Context;
use clap::Parser;
use cli::{CheckArgs, CleanArgs, Cli, Command, ExplainArgs, RunArgs, ShardArgs, SitesArgs};
use newsprep::check::report;
use newsprep::progress::{Bar, Reporter};
use newsprep::run;
use newsprep::run::stream::{self, Source};
use newsprep::settings::Settings;
use newsprep::stages::boilerplate::sites::{self, SiteKnowledge};
use std::process::ExitCode;
use std::time::Instant;

/// mimalloc instead of the system allocator: a 200,000-article run spent about a tenth of its
/// time in glibc's malloc and free (paragraph strings, token buffers); see docs/benchmarks.md.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `eprintln!` that lets a closed stderr pass (`newsprep run ... 2>&1 | head`): the run goes on
/// and commits its corpus, as a message nobody reads is no failure. (`eprintln!` panics.)
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// The reader of stdout went away (`newsprep sites | head -2`): how a pipe ends, not a failure.
fn closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// `result` of writing to stdout, with a closed stdout taken as done.
fn written(result: std::io::Result<()>) -> std::io::Result<()> {
    result.or_else(|e| if closed_pipe(&e) { Ok(()) } else { Err(e) })
}

/// At most this many file errors are listed on stderr; all are in manifest.csv.
const SHOW_ERRORS: usize = 20;

/// Transparent huge pages off for this process. mimalloc asks for them, and on Linux every
/// first touch of a 2 MB page then zeroes all of it: on `benches/incremental.sh` (1,000
/// articles added to 100,000, which loads a 100 MB index) the run took 1.45-1.57 s with them
/// off against 1.91-2.24 s with them on (system time 0.44-0.51 s against 0.96-1.20 s), and a
/// full 101,000-article run took the same time (27.4 s against 27.3 s) in 65 MB less memory.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_THP_DISABLE) takes integers only and touches no memory of ours; on
    // failure (an old kernel) nothing changes.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc returns freed memory to the system at once instead of after a second. A run frees
/// large buffers as its index grows, and held back they stayed in the peak: a 200,000-article
/// run (`benches/dedup_quality.sh`) peaked at 1,059 MB with mimalloc's default and, with the
/// index changes of the same commit, peaks at 567-581 MB with no delay. It costs 3-5% of the
/// run's time (36.4-37.2 s against 34.7-35.6 s, alternating runs of both builds). A 10 ms delay
/// kept the time but not the peak: 578, 592 and 760 MB in three runs, as the frees and the next
/// large allocations happened to fall.
fn purge_freed_memory_at_once() {
    /// `mi_option_purge_delay` in mimalloc's `mi_option_t` (the same in its v2 and v3 headers).
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    // mimalloc's public C API, in the library libmimalloc-sys links in.
    #[allow(unsafe_code)]
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: sets one integer option; mimalloc reads it when it next purges.
    #[allow(unsafe_code)]
    unsafe {
        mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    purge_freed_memory_at_once();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Explain(args) => explain(&args),
        Command::Sites(args) => sites(&args),
        Command::Check(args) => check(&args),
        Command::Clean(args) => clean(&args),
        Command::Shard(args) => shard(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            say!("newsprep: error: {}", causes(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated. A typed error's message already names its
/// source (`cannot read input raw: No such file or directory`), so a cause whose text is
/// already there is not repeated.
fn causes(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args.overrides())?;
    let stdout = std::io::stdout();
    let pick = match (&args.id, args.line) {
        (Some(id), _) => Some(newsprep::explain::Pick::Id(id.clone())),
        (None, Some(n)) => Some(newsprep::explain::Pick::Line(n)),
        (None, None) => None,
    };
    match newsprep::explain::explain(&settings, &args.file, pick.as_ref(), &mut stdout.lock()) {
        Err(newsprep::error::RunError::Output { source, .. }) if closed_pipe(&source) => {}
        r => r?,
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args.overrides())?;
    let bar = Bar::new(true);
    let report = newsprep::check::check(&settings, &bar as &dyn Reporter).with_context(|| {
        format!("check {} against {}", settings.input.display(), settings.output.display())
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    written(
        report::write(&report, args.format.into(), &mut out).and_then(|()| std::io::Write::flush(&mut out)),
    )?;
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn clean(args: &CleanArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args.overrides())?;
    let source = if args.input.as_os_str() == "-" { Source::stdin() } else { Source::file(&args.input)? };
    let name = source.name.clone();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut shown = 0;
    let mut report = |message: String| {
        shown += 1;
        if shown <= SHOW_ERRORS {
            say!("newsprep: {message}");
        }
    };
    let summary = stream::clean(
        &settings,
        source,
        args.format.into(),
        args.dedup_window,
        stream::Emit::Corpus,
        &mut out,
        &mut report,
    )
    .with_context(|| format!("clean {name}"))?;
    if shown > SHOW_ERRORS {
        say!("newsprep: ... and {} more bad records", shown - SHOW_ERRORS);
    }
    let d = &summary.documents;
    if !args.quiet && !summary.closed {
        say!("newsprep: {name}: {}: {}", newsprep::stats::count(d.files, "record", "records"), d.line());
    }
    // The reader of stdout stopping early (`| head -1`) is how a pipe ends, not a failure.
    Ok(if d.error > 0 && !summary.closed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(not(feature = "parquet"))]
fn shard(args: &ShardArgs) -> anyhow::Result<ExitCode> {
    Settings::resolve(&args.overrides())?;
    anyhow::bail!(
        "this newsprep was built without Parquet (the `parquet` feature), which the sharded phases exchange"
    )
}

#[cfg(feature = "parquet")]
fn shard(args: &ShardArgs) -> anyhow::Result<ExitCode> {
    use cli::Phase;
    use newsprep::run::shards::{self, Shard};
    use std::io::Write;
    let s = Settings::resolve(&args.overrides())?;
    let work = &args.work;
    let feed = || args.feed.as_deref().context("this phase reads the feed: give --feed");
    let one = || -> anyhow::Result<Shard> {
        let i = args.shard.context("a per-shard phase needs --shard")?;
        Ok(Shard::new(i, args.shards)?)
    };
    let output = || args.output.as_deref().context("apply writes the shard's output: give --output");
    let n = args.shards;
    let summary = match args.phase {
        Phase::Sites => vec![shards::site_lines(&s, feed()?, one()?, work)?],
        Phase::Learn => vec![shards::learn_sites(&s, feed()?, n, work)?],
        Phase::Prints => vec![shards::prints(&s, feed()?, one()?, work)?],
        Phase::Bands => {
            let p = args.partitions.context("bands needs --partitions")?;
            vec![shards::bands(&s, one()?, p, work)?]
        }
        Phase::Pairs => {
            let p = args.partitions.context("pairs needs --partitions")?;
            let part = args.shard.context("pairs needs --shard, the partition")?;
            Shard::new(part, p)?;
            vec![shards::pairs(&s, part, n, work)?]
        }
        Phase::Decide => match args.partitions {
            Some(p) => vec![shards::decide_pairs(&s, n, p, work)?],
            None => vec![shards::decide(&s, n, work)?],
        },
        Phase::Apply => vec![shards::apply(&s, feed()?, one()?, work, output()?)?],
        Phase::All => {
            let (feed, out) = (feed()?, output()?);
            let each = |f: &dyn Fn(Shard) -> Result<shards::PhaseSummary, newsprep::error::RunError>| {
                (0..n).map(|i| f(Shard::new(i, n)?)).collect::<Result<Vec<_>, _>>()
            };
            let mut all = Vec::new();
            if s.boilerplate.sites.enabled {
                all.extend(each(&|sh| shards::site_lines(&s, feed, sh, work))?);
                all.push(shards::learn_sites(&s, feed, n, work)?);
            }
            all.extend(each(&|sh| shards::prints(&s, feed, sh, work))?);
            match args.partitions {
                Some(p) => {
                    all.extend(each(&|sh| shards::bands(&s, sh, p, work))?);
                    for part in 0..p {
                        all.push(shards::pairs(&s, part, n, work)?);
                    }
                    all.push(shards::decide_pairs(&s, n, p, work)?);
                }
                None => all.push(shards::decide(&s, n, work)?),
            }
            all.extend(each(&|sh| shards::apply(&s, feed, sh, work, out))?);
            all
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for x in summary {
        serde_json::to_writer(&mut out, &x)?;
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn sites(args: &SitesArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args.overrides())?;
    if !settings.output.is_dir() {
        anyhow::bail!(
            "no corpus at {}: it is not a folder (run `newsprep run` first, or give --output)",
            settings.output.display()
        );
    }
    let k = SiteKnowledge::load(&settings.output)?;
    let file = settings.output.join(sites::FILE);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    written(list_sites(&k, &file, args.limit, &mut out).and_then(|()| std::io::Write::flush(&mut out)))?;
    Ok(ExitCode::SUCCESS)
}

fn list_sites(
    k: &SiteKnowledge,
    file: &std::path::Path,
    limit: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    if k.is_empty() {
        return writeln!(out, "no site boilerplate learned yet ({} does not list any)", file.display());
    }
    let by_site = k.by_site();
    writeln!(out, "{} lines of site boilerplate over {} sites ({})", k.len(), by_site.len(), file.display())?;
    for (site, lines) in by_site {
        writeln!(out, "\n{site}: {} lines", lines.len())?;
        let shown = if limit == 0 { lines.len() } else { limit.min(lines.len()) };
        for (_, l) in &lines[..shown] {
            writeln!(out, "  {:>6} docs  {}", l.docs, l.text)?;
        }
        if shown < lines.len() {
            writeln!(out, "  ... and {} more (--limit 0 shows all)", lines.len() - shown)?;
        }
    }
    Ok(())
}

fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(&args.overrides())?;
    let started = Instant::now();
    let bar = Bar::new(settings.verbose);
    let stats = run::run(&settings, &bar as &dyn Reporter)
        .with_context(|| format!("run {} -> {}", settings.input.display(), settings.output.display()))?;
    for (source, message) in stats.errors.iter().take(SHOW_ERRORS) {
        say!("newsprep: {source}: {message}");
    }
    if stats.errors.len() > SHOW_ERRORS {
        say!("newsprep: ... and {} more file errors (see manifest.csv)", stats.errors.len() - SHOW_ERRORS);
    }
    let b = &stats.batch;
    if !b.gone.is_empty() && !settings.prune {
        for f in b.gone.iter().take(SHOW_ERRORS) {
            say!("newsprep: {f}: gone from the input; its output stays (--prune removes it)");
        }
        if b.gone.len() > SHOW_ERRORS {
            say!("newsprep: ... and {} more gone files", b.gone.len() - SHOW_ERRORS);
        }
    }
    if settings.verbose {
        say!("{}", summary(&settings, &stats, started.elapsed().as_secs_f64()));
    }
    Ok(if stats.documents.error > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The run summary: this run's work, then the corpus it leaves, then where to look next.
fn summary(settings: &Settings, stats: &newsprep::stats::RunStats, secs: f64) -> String {
    use newsprep::stats::{count, size};
    use std::fmt::Write as _;
    let (b, w) = (&stats.batch, &stats.this_run);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "newsprep: {} -> {} ({}, config: {})",
        settings.input.display(),
        settings.output.display(),
        count(settings.jobs as u64, "thread", "threads"),
        settings.config
    );
    if let Some(why) = &b.rebuilt {
        let _ = writeln!(out, "rebuilt the whole corpus: {why}");
    }
    let rate = if secs > 0.0 { w.bytes as f64 / 1e6 / secs } else { 0.0 };
    let _ = writeln!(
        out,
        "this run  {} read ({}) in {secs:.2}s, {rate:.1} MB/s: {}",
        count(w.files, "file", "files"),
        size(w.bytes),
        count(w.documents.files, "document", "documents"),
    );
    let _ = writeln!(out, "  {}", w.documents.line());
    let _ = writeln!(
        out,
        "  raw files: {} new, {} changed, {} unchanged (skipped), {} cleaned again, {} gone ({} pruned)",
        b.new,
        b.changed,
        b.unchanged,
        b.recleaned,
        b.gone.len(),
        b.pruned
    );
    if !b.duplicates_of_earlier.is_empty() {
        let _ = writeln!(
            out,
            "  {} of documents from earlier runs:",
            count(b.duplicates_of_earlier.len() as u64, "duplicate", "duplicates")
        );
        for (id, of) in b.duplicates_of_earlier.iter().take(SHOW_ERRORS) {
            let _ = writeln!(out, "    {id} duplicates {of}");
        }
        if b.duplicates_of_earlier.len() > SHOW_ERRORS {
            let _ = writeln!(
                out,
                "    ... and {} more (see manifest.csv)",
                b.duplicates_of_earlier.len() - SHOW_ERRORS
            );
        }
    }
    let _ = write!(out, "{stats}");
    let o = settings.output.display();
    let _ = write!(
        out,
        "next: {o}/manifest.csv has a row per document, {o}/duplicates.csv the duplicate clusters; `newsprep explain FILE` shows why each paragraph of a file went or stayed"
    );
    out
}
