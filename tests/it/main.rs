//! Storybank integration tests.
