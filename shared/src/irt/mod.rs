//! Item response theory: the 3PL model, sequential EAP ability estimation, and adaptive
//! item selection.

pub mod estimator;
pub mod model;
pub mod selection;

pub use estimator::{Ability, ItemResponse};
pub use model::{fisher_information, p_correct};
