//! Read-only connections for reads that need not wait for the writer.
//!
//! SQLite in WAL mode lets any number of readers work while one writer commits; each read sees
//! the last committed state. The archive keeps one writing [`Store`] behind a lock (writes must be
//! serialised, and some reads must see the writer's own uncommitted work), and a [`Readers`] pool
//! for everything else: sessions, searches reading their hits, story pages.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::{DATABASE_FILE, MediaFolder, Store, StoreError};

/// Idle connections kept for reuse; more are opened when more readers are busy at once. Enough
/// for a busy server's concurrent requests (each holds one or two readers at a time): a
/// connection dropped and opened again costs unmapping and mapping the database and preparing
/// its statements again, which took a fifth of the search page's time under load when this was
/// 8. An idle connection holds little memory (pages are read through the shared map).
const MAX_IDLE: usize = 64;

/// A pool of read-only connections to the store in one data directory. Open the writing
/// [`Store`] first: it creates and migrates the database, which readers never do.
#[derive(Debug)]
pub struct Readers {
    data_dir: PathBuf,
    idle: Mutex<Vec<Store>>,
}

impl Readers {
    /// A pool over the store in `data_dir` (connections are opened when first needed).
    pub fn new(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    /// A read-only store: an idle connection, or a new one.
    pub fn get(&self) -> Result<Reader<'_>, StoreError> {
        let idle = self.idle.lock().map_or(None, |mut idle| idle.pop());
        let store = match idle {
            Some(store) => store,
            None => open_read_only(&self.data_dir)?,
        };
        Ok(Reader { pool: self, store: Some(store) })
    }
}

/// A read-only [`Store`] borrowed from [`Readers`]; it goes back to the pool when dropped. Its
/// write methods fail (the connection is read-only), so it cannot change anything by mistake.
#[derive(Debug)]
pub struct Reader<'a> {
    pool: &'a Readers,
    store: Option<Store>,
}

impl Deref for Reader<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store.as_ref().expect("a reader holds its store until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let (Some(store), Ok(mut idle)) = (self.store.take(), self.pool.idle.lock())
            && idle.len() < MAX_IDLE
        {
            idle.push(store);
        }
    }
}

/// How much of the database file a reader maps into memory (SQLite caps it at 2 GiB on Linux).
const READ_MAP_BYTES: i64 = 1 << 30;

fn open_read_only(data_dir: &Path) -> Result<Store, StoreError> {
    let connection = Connection::open_with_flags(
        data_dir.join(DATABASE_FILE),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    crate::configure(&connection)?;
    // Pages are read straight from the file's memory map instead of copied in by a system call
    // each (a tenth of the search page's time went to `pread`). Readers only: the writer keeps
    // SQLite's default. Address space, not memory: the kernel's page cache backs it.
    connection.pragma_update(None, "mmap_size", READ_MAP_BYTES)?;
    Ok(Store { connection, media: MediaFolder::at(data_dir.join("media")), data_dir: data_dir.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_see_committed_changes_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Store::open(dir.path()).unwrap();
        let readers = Readers::new(dir.path());
        assert_eq!(readers.get().unwrap().count_stories().unwrap(), 0);
        writer
            .connection
            .execute("INSERT INTO themes (path, label, description) VALUES ('a', 'A', '')", [])
            .unwrap();
        // The same pooled connection, reused, sees the commit made after it was opened.
        assert_eq!(readers.get().unwrap().themes().unwrap().len(), 1);
        let reader = readers.get().unwrap();
        let refused = reader.connection.execute("DELETE FROM themes", []);
        assert!(refused.is_err(), "a reader must not write");
        assert_eq!(writer.themes().unwrap().len(), 1);
    }

    #[test]
    fn busy_readers_get_connections_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let _writer = Store::open(dir.path()).unwrap();
        let readers = Readers::new(dir.path());
        let first = readers.get().unwrap();
        let second = readers.get().unwrap();
        assert!(!std::ptr::eq(&*first, &*second));
        drop((first, second));
        assert_eq!(readers.idle.lock().unwrap().len(), 2);
    }
}
