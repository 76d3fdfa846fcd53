//! Shared test helpers: a temporary archive, the sample folder, the `storybank` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use storybank_archive::{Archive, Config, IngestReport, NoProgress};

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// `stories-sample/`.
pub fn sample_dir() -> PathBuf {
    repo_root().join("stories-sample")
}

/// `tests/data/<name>`.
pub fn data_dir(name: &str) -> PathBuf {
    repo_root().join("tests").join("data").join(name)
}

/// An archive in a temporary data directory, removed when dropped.
pub struct TestArchive {
    pub archive: Archive,
    /// The data directory, removed when the archive is dropped.
    dir: tempfile::TempDir,
}

impl TestArchive {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let archive = Archive::open(Config::new(dir.path())).expect("the archive opens");
        Self { archive, dir }
    }

    /// The data directory.
    pub fn archive_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    pub fn ingest(&self, path: &Path) -> IngestReport {
        self.archive.ingest_paths(&[path.to_owned()], &NoProgress).expect("ingest runs")
    }
}

/// The `storybank` binary built next to this test binary.
pub fn storybank_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/it-*");
    let bin = target.join(format!("storybank{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --bin storybank` (or `make test`) first",
        bin.display()
    );
    bin
}

/// Runs `storybank --data-dir DATA ARGS...`.
pub fn storybank(data: &Path, args: &[&str]) -> Output {
    Command::new(storybank_bin())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("STORYBANK_DATA")
        .output()
        .expect("storybank runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
