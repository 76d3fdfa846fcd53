//! What searches derive from a segment and keep (facet levels, filter bit sets, id columns).
//! Segments never change, so whatever is read from one stays right for as long as it lives;
//! entries are dropped when their segment is merged away.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::index::SegmentId;

/// One value per live segment.
#[derive(Debug)]
pub(crate) struct SegmentCache<V> {
    entries: Mutex<HashMap<SegmentId, V>>,
}

impl<V> Default for SegmentCache<V> {
    fn default() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }
}

impl<V> SegmentCache<V> {
    /// Forgets segments that are no longer searched.
    pub(crate) fn keep_only(&self, live: &[SegmentId]) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|id, _| live.contains(id));
        }
    }

    /// Runs `f` on `segment`'s value (a default one first, if it has none). `None` if the lock
    /// was poisoned: the caller then works without the cache.
    pub(crate) fn with<R>(&self, segment: SegmentId, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        V: Default,
    {
        self.entries.lock().ok().map(|mut entries| f(entries.entry(segment).or_default()))
    }
}

impl<V: Clone> SegmentCache<V> {
    /// `segment`'s value, built by `build` the first time (outside the lock: two searches may
    /// both build it, and one of the two is kept).
    pub(crate) fn get_or_build<E>(
        &self,
        segment: SegmentId,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        if let Some(value) = self.entries.lock().ok().and_then(|entries| entries.get(&segment).cloned()) {
            return Ok(value);
        }
        let value = build()?;
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(segment, value.clone());
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[test]
    fn a_value_is_built_once_per_segment_and_dropped_with_its_segment() {
        let cache: SegmentCache<u32> = SegmentCache::default();
        let (first, second) = (SegmentId::generate_random(), SegmentId::generate_random());
        let builds = Cell::new(0);
        let build = |value: u32| {
            builds.set(builds.get() + 1);
            Ok::<_, ()>(value)
        };
        assert_eq!(cache.get_or_build(first, || build(1)), Ok(1));
        assert_eq!(cache.get_or_build(first, || build(99)), Ok(1), "cached");
        assert_eq!(cache.get_or_build(second, || build(2)), Ok(2));
        assert_eq!(builds.get(), 2);
        // A failed build caches nothing.
        let third = SegmentId::generate_random();
        assert_eq!(cache.get_or_build(third, || Err::<u32, ()>(())), Err(()));
        assert_eq!(cache.get_or_build(third, || build(3)), Ok(3));

        cache.keep_only(&[second]);
        assert_eq!(cache.get_or_build(first, || build(10)), Ok(10), "rebuilt after being dropped");
        assert_eq!(cache.get_or_build(second, || build(20)), Ok(2), "kept");
        assert_eq!(cache.with(second, |value| *value), Some(2));
    }
}
