//! Beside the run: the temporary files that become output files by an atomic rename. Used by
//! the writer and the commit; depends on nothing else in the crate.

use std::path::Path;
use tempfile::NamedTempFile;

/// A temporary file in `dir` that, renamed into place, has the mode a plain create would give
/// (0666 less the umask) instead of tempfile's private 0600: an output folder is read by other
/// users, web servers and containers, and a rerun must not make a committed file private.
pub fn temp_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Passed to open(2) as its mode, so the umask applies as to any created file.
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn a_temp_output_file_gets_the_mode_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let plain = d.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let t = super::temp_in(d.path()).unwrap();
        let kept = d.path().join("kept");
        t.persist(&kept).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&kept), mode(&plain));
        assert_ne!(mode(&kept), 0o600, "not tempfile's private default (umask 077 aside)");
    }
}
