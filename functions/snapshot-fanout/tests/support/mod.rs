//! Helpers shared by this crate's benchmark tests.

pub mod population;
