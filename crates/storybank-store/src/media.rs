//! The content-addressed media folder: each file is named by the BLAKE3 hash of its bytes, never by
//! anything a person typed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use storybank_domain::ContentHash;

use crate::StoreError;

/// The media folder under the data directory.
#[derive(Clone, Debug)]
pub struct MediaFolder {
    root: PathBuf,
}

impl MediaFolder {
    /// The folder at `root`, as it is (for read-only use).
    pub(crate) fn at(root: PathBuf) -> Self {
        Self { root }
    }

    pub(crate) fn open(root: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(root.join("tmp")).map_err(|err| StoreError::io(&root, err))?;
        Ok(Self { root })
    }

    /// Where the file with this hash lives: `media/ab/abcdef...`.
    pub fn path_of(&self, hash: &ContentHash) -> PathBuf {
        self.root.join(&hash.as_str()[..2]).join(hash.as_str())
    }

    /// Writes `bytes` durably under their hash (write to a temporary file, fsync, rename); a file
    /// already there is left as it is. Returns the hash.
    pub fn put(&self, bytes: &[u8]) -> Result<ContentHash, StoreError> {
        let hash = ContentHash::from_hex(blake3::hash(bytes).to_hex().as_str())
            .expect("BLAKE3 hex is a content hash");
        let target = self.path_of(&hash);
        if target.exists() {
            return Ok(hash);
        }
        let folder = target.parent().expect("media paths have a parent");
        fs::create_dir_all(folder).map_err(|err| StoreError::io(folder, err))?;
        let temporary = self.root.join("tmp").join(format!("{}.{}", hash.as_str(), std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, &target)?;
            fs::File::open(folder)?.sync_all()
        };
        write().map_err(|err| {
            let _ = fs::remove_file(&temporary);
            StoreError::io(&target, err)
        })?;
        Ok(hash)
    }

    /// Reads a stored file.
    pub fn read(&self, hash: &ContentHash) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(hash);
        fs::read(&path).map_err(|err| StoreError::io(path, err))
    }

    /// Deletes a stored file (one already gone is fine), and makes the deletion durable.
    pub fn remove(&self, hash: &ContentHash) -> Result<(), StoreError> {
        let path = self.path_of(hash);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(StoreError::io(path, err)),
        }
        let folder = path.parent().expect("media paths have a parent");
        fs::File::open(folder).and_then(|dir| dir.sync_all()).map_err(|err| StoreError::io(folder, err))
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
