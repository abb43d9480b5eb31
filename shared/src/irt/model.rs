//! Birnbaum's three-parameter logistic model (3PL) in the logistic metric (D = 1).
//!
//! P(θ) = c + (1 − c) / (1 + e^{−a(θ − b)})
//!
//! I(θ) = a² · (Q/P) · ((P − c)/(1 − c))²   (Lord, 1980, *Applications of Item Response
//! Theory to Practical Testing Problems*, eq. 5-19; with c = 0 it is the 2PL's a²PQ).

use crate::domain::IrtParams;

/// Probability of a correct response at ability `theta`.
pub fn p_correct(theta: f64, p: &IrtParams) -> f64 {
    p.c + (1.0 - p.c) / (1.0 + (-p.a * (theta - p.b)).exp())
}

/// Fisher information of the item at `theta` (Lord, 1980).
pub fn fisher_information(theta: f64, p: &IrtParams) -> f64 {
    let prob = p_correct(theta, p);
    if prob <= 0.0 || prob >= 1.0 {
        return 0.0;
    }
    let q = 1.0 - prob;
    let r = (prob - p.c) / (1.0 - p.c);
    p.a * p.a * (q / prob) * r * r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_pl_information_peaks_at_b() {
        let item = IrtParams { a: 1.5, b: 0.7, c: 0.0 };
        assert!((p_correct(0.7, &item) - 0.5).abs() < 1e-12);
        // 2PL: I(b) = a² · 0.25
        assert!((fisher_information(0.7, &item) - 1.5 * 1.5 * 0.25).abs() < 1e-12);
        assert!(fisher_information(0.7, &item) > fisher_information(1.7, &item));
    }

    #[test]
    fn guessing_lowers_information_and_shifts_peak_up() {
        let two = IrtParams { a: 1.2, b: 0.0, c: 0.0 };
        let three = IrtParams { a: 1.2, b: 0.0, c: 0.25 };
        assert!(fisher_information(0.0, &three) < fisher_information(0.0, &two));
        assert!(fisher_information(0.3, &three) > fisher_information(-0.3, &three));
        assert!((p_correct(-20.0, &three) - 0.25).abs() < 1e-6);
    }
}
