//! Per-topic ability estimation by sequential expected a posteriori (EAP) updating
//! (Bock & Mislevy, 1982, "Adaptive EAP estimation of ability in a microcomputer
//! environment", *Applied Psychological Measurement* 6(4), 431–444).
//!
//! The stored estimate (θ, SE) is the mean and standard deviation of a normal approximation
//! of the posterior. On each quiz, the prior is N(θ, SE² + τ²), where τ = 0.1 lets ability
//! drift as the student learns, the prior is multiplied by the 3PL likelihood of the new
//! dichotomous responses on an 81-point quadrature grid over [−4, 4], and the posterior
//! mean and SD become the new (θ, SE). A new topic starts at N(0, 1).

use serde::{Deserialize, Serialize};

use super::model::p_correct;
use crate::domain::IrtParams;

/// Drift SD added to the prior on every update (learning between quizzes).
pub const DRIFT_SD: f64 = 0.1;
const GRID_POINTS: usize = 81;
const GRID_MIN: f64 = -4.0;
const GRID_MAX: f64 = 4.0;

/// A topic ability estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ability {
    /// Posterior mean θ (logit scale).
    pub theta: f64,
    /// Posterior standard deviation (standard error of θ).
    pub se: f64,
}

impl Default for Ability {
    /// The population prior N(0, 1).
    fn default() -> Self {
        Ability { theta: 0.0, se: 1.0 }
    }
}

/// One scored response: the item and whether it earned full marks.
#[derive(Clone, Copy, Debug)]
pub struct ItemResponse {
    /// Item parameters.
    pub item: IrtParams,
    /// Full marks (true) or not.
    pub correct: bool,
}

impl Ability {
    /// The EAP update with `responses` (skipped items carry no information: leave them out).
    /// With no responses the estimate is unchanged.
    pub fn update(self, responses: &[ItemResponse]) -> Ability {
        if responses.is_empty() {
            return self;
        }
        let prior_var = self.se * self.se + DRIFT_SD * DRIFT_SD;
        let step = (GRID_MAX - GRID_MIN) / (GRID_POINTS - 1) as f64;
        // Work in log space so long quizzes cannot underflow.
        let log_post: Vec<(f64, f64)> = (0..GRID_POINTS)
            .map(|i| {
                let t = GRID_MIN + step * i as f64;
                let log_prior = -(t - self.theta).powi(2) / (2.0 * prior_var);
                let log_lik: f64 = responses
                    .iter()
                    .map(|r| {
                        let p = p_correct(t, &r.item).clamp(1e-12, 1.0 - 1e-12);
                        if r.correct { p.ln() } else { (1.0 - p).ln() }
                    })
                    .sum();
                (t, log_prior + log_lik)
            })
            .collect();
        let max = log_post.iter().map(|(_, l)| *l).fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<(f64, f64)> = log_post.iter().map(|(t, l)| (*t, (l - max).exp())).collect();
        let total: f64 = weights.iter().map(|(_, w)| w).sum();
        let mean = weights.iter().map(|(t, w)| t * w).sum::<f64>() / total;
        let var = weights.iter().map(|(t, w)| (t - mean).powi(2) * w).sum::<f64>() / total;
        Ability { theta: mean, se: var.sqrt() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(b: f64) -> IrtParams {
        IrtParams { a: 1.2, b, c: 0.0 }
    }

    #[test]
    fn correct_answers_raise_theta_and_shrink_se() {
        let start = Ability::default();
        let up = start.update(&[
            ItemResponse { item: item(0.0), correct: true },
            ItemResponse { item: item(0.5), correct: true },
        ]);
        assert!(up.theta > 0.3, "{up:?}");
        assert!(up.se < 1.0);
        let down = start.update(&[
            ItemResponse { item: item(0.0), correct: false },
            ItemResponse { item: item(-0.5), correct: false },
        ]);
        assert!(down.theta < -0.3, "{down:?}");
    }

    #[test]
    fn symmetric_and_stable() {
        let start = Ability::default();
        let one = start.update(&[ItemResponse { item: item(0.0), correct: true }]);
        let other = start.update(&[ItemResponse { item: item(0.0), correct: false }]);
        assert!((one.theta + other.theta).abs() < 1e-9);
        assert_eq!(start.update(&[]), start);
        let many: Vec<ItemResponse> = (0..200).map(|_| ItemResponse { item: item(0.0), correct: true }).collect();
        let r = start.update(&many);
        assert!(r.theta.is_finite() && r.theta <= 4.0 && r.se > 0.0);
    }
}
