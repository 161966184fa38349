//! The Python binding's native module, `newsprep._newsprep`: a thin layer over the library's
//! stream cleaner (`run::stream`, the engine of `newsprep clean`). Records go in as JSON lines
//! and come back as JSON lines, one per record, so the Python side sees exactly what the CLI
//! decides. The work runs with the GIL released.

use newsprep::config;
use newsprep::run::stream::{self, Emit, Source, StreamFormat};
use newsprep::settings::Settings;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::path::{Path, PathBuf};

create_exception!(_newsprep, NewsprepError, PyException, "Any error newsprep reports.");
create_exception!(
    _newsprep,
    ConfigError,
    NewsprepError,
    "A pipeline.toml (or config dict) that cannot be used."
);
create_exception!(_newsprep, CleanError, NewsprepError, "A batch that cannot be cleaned as a whole.");

/// The cleaner: settings resolved once, used for every batch.
#[pyclass(module = "newsprep._newsprep", frozen)]
struct NativeCleaner {
    settings: Settings,
}

#[pymethods]
impl NativeCleaner {
    /// `toml`: the text of a pipeline.toml; `path`: where it is (names it in errors; relative
    /// paths in it start from its folder); `jobs`: threads, 0 for all cores.
    #[new]
    #[pyo3(signature = (toml, path, jobs))]
    fn new(toml: &str, path: &str, jobs: usize) -> PyResult<Self> {
        let path = PathBuf::from(path);
        let cfg = config::load_text(toml, &path).map_err(|e| ConfigError::new_err(e.to_string()))?;
        let base = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let mut settings = Settings::from_config(&cfg, &base);
        settings.verbose = false;
        if jobs > 0 {
            settings.jobs = jobs;
        }
        Ok(NativeCleaner { settings })
    }

    /// Clean JSON lines (one record each); returns one JSON line per record, in order, and
    /// the messages about records that could not be read.
    #[pyo3(signature = (lines, name, window))]
    fn clean(
        &self,
        py: Python<'_>,
        lines: Vec<u8>,
        name: String,
        window: usize,
    ) -> PyResult<(Vec<u8>, Vec<String>)> {
        let settings = &self.settings;
        py.detach(move || {
            let mut out = Vec::with_capacity(lines.len() * 2);
            let mut messages = Vec::new();
            let source = Source { name, reader: Box::new(std::io::Cursor::new(lines)) };
            stream::clean(settings, source, StreamFormat::Jsonl, window, Emit::Every, &mut out, &mut |m| {
                messages.push(m)
            })
            .map_err(|e| CleanError::new_err(e.to_string()))?;
            Ok((out, messages))
        })
    }

    /// Run one phase of a sharded run (`newsprep shard`): `sites`, `prints`, `bands` and
    /// `apply` on shard `shard` of `shards`, `pairs` on partition `shard` of `partitions`,
    /// `learn` and `decide` over all of them (`decide` from the pairs when `partitions` > 0,
    /// else with one index of every print). Returns what the phase did, as JSON.
    #[pyo3(signature = (phase, feed, work, shard, shards, output, partitions))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn shard(
        &self,
        py: Python<'_>,
        phase: &str,
        feed: PathBuf,
        work: PathBuf,
        shard: u32,
        shards: u32,
        output: PathBuf,
        partitions: u32,
    ) -> PyResult<String> {
        use newsprep::run::shards::{self as phases, Shard};
        let s = &self.settings;
        py.detach(move || {
            let err = |e: newsprep::error::RunError| CleanError::new_err(e.to_string());
            let one = || Shard::new(shard, shards).map_err(err);
            let summary = match phase {
                "sites" => phases::site_lines(s, &feed, one()?, &work),
                "learn" => phases::learn_sites(s, &feed, shards, &work),
                "prints" => phases::prints(s, &feed, one()?, &work),
                "bands" => phases::bands(s, one()?, partitions, &work),
                "pairs" => {
                    Shard::new(shard, partitions).map_err(err)?;
                    phases::pairs(s, shard, shards, &work)
                }
                "decide" if partitions > 0 => phases::decide_pairs(s, shards, partitions, &work),
                "decide" => phases::decide(s, shards, &work),
                "apply" => phases::apply(s, &feed, one()?, &work, &output),
                other => return Err(CleanError::new_err(format!("no phase `{other}`"))),
            }
            .map_err(err)?;
            Ok(serde_json::to_string(&summary).expect("plain data serializes"))
        })
    }

    /// The `pairs` phase for partition `partition` over band rows an engine partitioned by
    /// key itself: `files` hold every row of the partition's keys. Returns what it did, as JSON.
    #[pyo3(signature = (partition, files, work))]
    fn pairs_of(
        &self,
        py: Python<'_>,
        partition: u32,
        files: Vec<PathBuf>,
        work: PathBuf,
    ) -> PyResult<String> {
        let s = &self.settings;
        py.detach(move || {
            let summary = newsprep::run::shards::pairs_of(s, partition, &files, &work)
                .map_err(|e| CleanError::new_err(e.to_string()))?;
            Ok(serde_json::to_string(&summary).expect("plain data serializes"))
        })
    }

    /// Is site learning on (the sites and learn phases run only then)?
    #[getter]
    fn learns_sites(&self) -> bool {
        self.settings.boilerplate.sites.enabled
    }
}

/// Turn a JSON config (a dict from Python) into pipeline.toml text.
#[pyfunction]
fn toml_of_json(json: &str) -> PyResult<String> {
    let value: toml::Value =
        serde_json::from_str(json).map_err(|e| ConfigError::new_err(format!("config dict: {e}")))?;
    toml::to_string(&value).map_err(|e| ConfigError::new_err(format!("config dict: {e}")))
}

#[pymodule]
fn _newsprep(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeCleaner>()?;
    m.add_function(wrap_pyfunction!(toml_of_json, m)?)?;
    m.add("NewsprepError", m.py().get_type::<NewsprepError>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("CleanError", m.py().get_type::<CleanError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
