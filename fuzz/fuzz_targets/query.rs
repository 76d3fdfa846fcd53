//! The search query language, end to end: any query against a small real archive (the sample's
//! English stories) answers, or is refused as invalid; it never panics or fails otherwise.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use storybank_archive::{Archive, Config, ErrorKind, NoProgress, SearchRequest};
use storybank_domain::Audience;

fn archive() -> &'static Archive {
    static ARCHIVE: OnceLock<(tempfile_dir::Dir, Archive)> = OnceLock::new();
    &ARCHIVE
        .get_or_init(|| {
            let dir = tempfile_dir::Dir::new();
            let archive = Archive::open(Config::new(&dir.0)).expect("an archive");
            let sample =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../stories-sample/stories/en");
            archive.ingest_paths(&[sample], &NoProgress).expect("the sample ingests");
            (dir, archive)
        })
        .1
}

/// A temporary folder removed at exit (no extra dependency for one folder).
mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!("storybank-fuzz-query-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).expect("a temporary folder");
            Self(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let today = chrono::Utc::now().date_naive();
    for audience in [Audience::Curator, Audience::Public] {
        let mut request = SearchRequest::new(query, audience, today);
        request.facets = true;
        match archive().search(&request) {
            Ok(response) => assert!(response.hits.len() <= request.limit),
            Err(err) => assert_eq!(err.kind(), ErrorKind::Invalid, "{err}"),
        }
    }
});
